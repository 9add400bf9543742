/* libFuzzer target: agent answers (any bytes) through the repair/validation parser
 * (reasoning blocks, cut answers salvaged, score scales, loose ids), also behind an
 * open reasoning block, and the same bytes as item text through the prompt renderer.
 * Invariants: no crash, the IRA order is a permutation, verdict and IRA scores in
 * [0,1], a value arag_extract_json returns is an object or array, the rendered data
 * never contains a fence token. */
#include "agent_parse.h"
#include "prompt_render.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const ids[] = {"A1", "B2", "123", "x y", "\"q\"", "a1", "0042"};
#define N_IDS 7

static void parse_all(const char *text, size_t size);
static void render_item(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  parse_all((const char *)data, size);
  /* The same bytes after an opening reasoning tag (a block cut open, its answer inside). */
  char *wrapped = malloc(size + 8);
  if (wrapped) {
    memcpy(wrapped, "<think>", 7);
    memcpy(wrapped + 7, data, size);
    parse_all(wrapped, size + 7);
    free(wrapped);
  }
  arag_strlist rep = {0};
  cJSON *v = arag_extract_json((const char *)data, size, "x", &rep);
  if (v && !cJSON_IsObject(v) && !cJSON_IsArray(v)) abort();
  cJSON_Delete(v);
  arag_strlist_free(&rep);
  render_item(data, size);
  return 0;
}

static void parse_all(const char *text, size_t size) {
  arag_strlist rep = {0}, deg = {0};
  char *sum = NULL;
  cJSON *out = NULL;
  if (arag_parse_summary(ARAG_AGENT_UUA, text, size, "uua", &sum, &out, &rep, &deg) == 0 &&
      (!sum || !out))
    abort();
  free(sum);
  cJSON_Delete(out);

  arag_nli_verdict v[N_IDS];
  char *rat[N_IDS];
  uint8_t have[N_IDS];
  int got = arag_parse_nli(text, size, "nli_batch_0", ids, N_IDS, v, rat, have, &out, &rep, &deg);
  for (int i = 0; i < N_IDS; i++) {
    if (got >= 0 && have[i] && !(v[i].score >= 0 && v[i].score <= 1)) abort();
    free(rat[i]);
  }
  cJSON_Delete(out);

  uint32_t order[N_IDS];
  float score[N_IDS];
  char *reason[N_IDS];
  arag_parse_ira(text, size, "ira", ids, N_IDS, order, score, reason, &out, &rep, &deg);
  uint8_t seen[N_IDS] = {0};
  for (int i = 0; i < N_IDS; i++) {
    if (order[i] >= N_IDS || seen[order[i]]) abort();
    seen[order[i]] = 1;
    if (!isnan(score[i]) && !(score[i] >= 0 && score[i] <= 1)) abort();
    free(reason[i]);
  }
  cJSON_Delete(out);
  arag_strlist_free(&rep);
  arag_strlist_free(&deg);
}

/* The bytes as item text. */
static void render_item(const uint8_t *data, size_t size) {
  char *t = malloc(size + 1);
  if (!t) return;
  memcpy(t, data, size);
  t[size] = 0;
  arag_item it;
  memset(&it, 0, sizeof it);
  it.id = (char *)"F";
  it.id_len = 1;
  it.title = t;
  it.text = t;
  it.brand = (char *)"";
  it.price = NAN;
  const arag_item *cp[1] = {&it};
  arag_agent_input in;
  memset(&in, 0, sizeof in);
  in.agent = ARAG_AGENT_NLI;
  in.cands = cp;
  in.n_cands = 1;
  arag_render_opts o = {64, 10, 0};
  size_t len = 0;
  char *u = arag_render_user_message(&in, &o, &len);
  if (u) {
    const char *open = strstr(u, ARAG_FENCE_OPEN);
    if (open != u || strstr(open + 1, ARAG_FENCE_OPEN)) abort();
    const char *close = strstr(u, ARAG_FENCE_CLOSE);
    if (!close || strstr(close + 1, ARAG_FENCE_CLOSE)) abort();
    /* only the renderer's own line breaks: labels, one item line, fence lines */
    size_t nl = 0;
    for (size_t i = 0; i < len; i++) nl += u[i] == '\n';
    if (nl != 6) abort();
  }
  free(u);
  free(t);
}
