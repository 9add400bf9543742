/* libFuzzer target: the offline reasoner on untrusted text. The input is split at
 * 0x01 bytes into S_user, S_ctx (which an LLM may have written), a history title, a
 * brand and a candidate title. Invariants: every agent answers valid JSON in its
 * schema, NLI scores are in [0,1], and IRA's ranking (with NLI's own rationales, with
 * and without the diversity step) is a permutation with scores in [0, 1] that do not
 * rise down the list. */
#include "agents.h"
#include "cJSON.h"
#include "reasoner.h"

#include <stdlib.h>
#include <string.h>

#define DIM 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *part(const uint8_t *data, size_t size, int k) {
  size_t i = 0, start = 0;
  int at = 0;
  for (; i <= size; i++) {
    if (i == size || data[i] == 1) {
      if (at == k) {
        char *s = malloc(i - start + 1);
        if (!s) abort();
        memcpy(s, data + start, i - start);
        s[i - start] = 0; /* a 0 byte inside just cuts the string short */
        return s;
      }
      at++;
      start = i + 1;
    }
  }
  char *s = malloc(1);
  if (!s) abort();
  s[0] = 0;
  return s;
}

static void mk(arag_item *it, char *id, char *title, char *brand, char **cats, uint32_t ncat,
               float *vec) {
  memset(it, 0, sizeof *it);
  it->id = id;
  it->id_len = (uint32_t)strlen(id);
  it->title = title;
  it->text = (char *)"";
  it->brand = brand;
  it->categories = cats;
  it->n_categories = ncat;
  it->price = 1.0;
  it->popularity = 2.0;
  arag_embed_text(title, strlen(title), DIM, vec);
  it->vec = vec;
}

static cJSON *run_with(const arag_agent_input *in, const arag_reasoner_params *p) {
  size_t len;
  char *s = arag_reasoner_answer_with(in, p, &len);
  if (!s) abort();
  if (strlen(s) != len) abort();
  cJSON *o = cJSON_ParseWithLength(s, len);
  if (!o) abort();
  free(s);
  return o;
}

static cJSON *run(const arag_agent_input *in) {
  arag_reasoner_params p;
  arag_reasoner_params_default(&p);
  return run_with(in, &p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s_user = part(data, size, 0), *s_ctx = part(data, size, 1);
  char *htitle = part(data, size, 2), *brand = part(data, size, 3), *ctitle = part(data, size, 4);
  char *cats[3] = {(char *)"Root", brand, htitle};
  float v[4][DIM];
  arag_event ev[2];
  memset(ev, 0, sizeof ev);
  mk(&ev[0].item, (char *)"h1", htitle, brand, cats, 3, v[0]);
  mk(&ev[1].item, (char *)"h2", ctitle, (char *)"", cats, 2, v[1]);
  const arag_event *evp[2] = {&ev[0], &ev[1]};
  arag_item c[2];
  mk(&c[0], (char *)"c1", ctitle, brand, cats, 3, v[2]);
  mk(&c[1], (char *)"h1", htitle, (char *)"", cats, 1, v[3]);
  const arag_item *cp[2] = {&c[0], &c[1]};
  void *scratch = NULL;
  void (*free_scratch)(void *) = NULL;
  arag_agent_input in;
  memset(&in, 0, sizeof in);
  in.dim = DIM;
  in.long_term = evp;
  in.n_long_term = 1;
  in.session = evp + 1;
  in.n_session = 1;
  in.cands = cp;
  in.n_cands = 2;
  in.scratch = &scratch;
  in.free_scratch = &free_scratch;

  in.agent = ARAG_AGENT_UUA;
  cJSON *o = run(&in);
  if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, "summary"))) abort();
  cJSON_Delete(o);

  in.agent = ARAG_AGENT_NLI;
  o = run(&in);
  arag_nli_verdict vd[2];
  char *rat[2] = {NULL, NULL};
  int k = 0;
  const cJSON *x;
  cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(o, "items")) {
    double sc = cJSON_GetObjectItemCaseSensitive(x, "score")->valuedouble;
    const cJSON *rv = cJSON_GetObjectItemCaseSensitive(x, "rationale");
    if (k >= 2 || !(sc >= 0 && sc <= 1) || !cJSON_IsString(rv)) abort();
    vd[k].score = (float)sc;
    vd[k].label = ARAG_NLI_NEUTRAL;
    /* The rationale as IRA gets it, which its reasons quote clause by clause. */
    size_t rl = strlen(rv->valuestring);
    rat[k] = malloc(rl + 1);
    if (!rat[k]) abort();
    memcpy(rat[k], rv->valuestring, rl + 1);
    vd[k].rationale = rat[k];
    k++;
  }
  if (k != 2) abort();
  cJSON_Delete(o);

  in.agent = ARAG_AGENT_CSA;
  in.nli = vd;
  in.s_user = s_user;
  o = run(&in);
  if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, "summary"))) abort();
  cJSON_Delete(o);

  in.agent = ARAG_AGENT_IRA;
  in.s_ctx = s_ctx;
  float ret[2] = {0.5f, -0.25f};
  in.retrieval = ret;
  /* Without and with the diversity step: a permutation, scores in [0, 1] that do not
   * rise down the list. */
  arag_reasoner_params p;
  arag_reasoner_params_default(&p);
  for (int div = 0; div < 2; div++) {
    p.ira_div = div ? 1.0f : 0.0f;
    o = run_with(&in, &p);
    int seen[2] = {0, 0}, n = 0;
    double prev = 1.0;
    cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(o, "ranking")) {
      const char *id = cJSON_GetObjectItemCaseSensitive(x, "id")->valuestring;
      double sc = cJSON_GetObjectItemCaseSensitive(x, "score")->valuedouble;
      if (!(sc >= 0 && sc <= prev)) abort();
      prev = sc;
      if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(x, "reason"))) abort();
      if (strcmp(id, "c1") == 0)
        seen[0]++;
      else if (strcmp(id, "h1") == 0)
        seen[1]++;
      else
        abort();
      n++;
    }
    if (n != 2 || seen[0] != 1 || seen[1] != 1) abort();
    cJSON_Delete(o);
  }
  free(rat[0]);
  free(rat[1]);

  if (scratch && free_scratch) free_scratch(scratch);
  free(s_user);
  free(s_ctx);
  free(htitle);
  free(brand);
  free(ctitle);
  return 0;
}
