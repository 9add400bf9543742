/* The offline reasoner: every agent's answer follows its schema, answers are
 * deterministic, degenerate users and odd texts work, and the explanations say only
 * what the items' evidence (evidence.h) says. */
#include "agents.h"
#include "reasoner.h"
#include "test.h"

#include "cJSON.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DIM 64

typedef struct fx_item {
  arag_item it;
  char *cats[6];
  float vec[DIM];
  float tvec[DIM];
} fx_item;

/* An item with its own storage; categories is a "A|B|C" path or NULL. */
static fx_item *mk(const char *id, const char *title, const char *brand, const char *path,
                   double pop) {
  fx_item *f = calloc(1, sizeof *f);
  f->it.id = (char *)id;
  f->it.id_len = (uint32_t)strlen(id);
  f->it.title = (char *)title;
  f->it.text = (char *)"";
  f->it.brand = (char *)(brand ? brand : "");
  f->it.price = NAN;
  f->it.popularity = pop;
  if (path) {
    char *p = malloc(strlen(path) + 1);
    strcpy(p, path);
    for (char *tok = strtok(p, "|"); tok && f->it.n_categories < 6; tok = strtok(NULL, "|"))
      f->cats[f->it.n_categories++] = tok;
  }
  f->it.categories = f->cats;
  arag_embed_text(title, strlen(title), DIM, f->tvec);
  memcpy(f->vec, f->tvec, sizeof f->vec);
  f->it.vec = f->vec;
  return f;
}

static void fx_free(fx_item *f) {
  if (f->it.n_categories) free(f->cats[0]);
  free(f);
}

typedef struct fixture {
  fx_item *hist[8];
  arag_event ev[8];
  const arag_event *evp[8];
  uint32_t n_hist, n_long;
  fx_item *cand[8];
  const arag_item *candp[8];
  uint32_t n_cand;
  void *scratch;
  void (*free_scratch)(void *);
} fixture;

static void fx_add_event(fixture *x, fx_item *f) {
  x->hist[x->n_hist] = f;
  x->ev[x->n_hist].item = f->it;
  x->ev[x->n_hist].ts = x->n_hist;
  x->ev[x->n_hist].kind = ARAG_EV_PURCHASE;
  x->ev[x->n_hist].rating = NAN;
  x->evp[x->n_hist] = &x->ev[x->n_hist];
  x->n_hist++;
}

static void fx_add_cand(fixture *x, fx_item *f) {
  x->cand[x->n_cand] = f;
  x->candp[x->n_cand] = &f->it;
  x->n_cand++;
}

/* History: three Maybelline eyeliners long ago, then a session of nail polish. */
static void fx_build(fixture *x) {
  memset(x, 0, sizeof *x);
  fx_add_event(x, mk("h1", "Maybelline Eyeliner Black", "Maybelline New York",
                     "Beauty|Makeup|Eyes|Eyeliner", 3));
  fx_add_event(x, mk("h2", "Maybelline Liquid Liner Brown", "Maybelline New York",
                     "Beauty|Makeup|Eyes|Eyeliner", 2));
  fx_add_event(x, mk("h3", "Maybelline Brow Pencil", "Maybelline New York",
                     "Beauty|Makeup|Eyes|Eyebrow Color", 1));
  fx_add_event(x, mk("h4", "OPI Nail Lacquer Red", "OPI", "Beauty|Makeup|Nails|Nail Polish", 5));
  fx_add_event(x,
               mk("h5", "Essie Nail Polish Pink", "Essie", "Beauty|Makeup|Nails|Nail Polish", 4));
  x->n_long = 3;
  /* c1: shares the brand; c2: shares the session's category; c3: nothing; c4: a repeat. */
  fx_add_cand(x, mk("c1", "Maybelline Mascara Volum Express", "Maybelline New York",
                    "Beauty|Makeup|Eyes|Mascara", 2));
  fx_add_cand(
      x, mk("c2", "Sally Hansen Top Coat", "Sally Hansen", "Beauty|Makeup|Nails|Nail Polish", 1));
  fx_add_cand(x, mk("c3", "Garden Hose Nozzle", "Gilmour", "Tools|Garden|Watering", 0));
  fx_add_cand(x, mk("h4", "OPI Nail Lacquer Red", "OPI", "Beauty|Makeup|Nails|Nail Polish", 5));
}

static void fx_clear(fixture *x) {
  for (uint32_t i = 0; i < x->n_hist; i++) fx_free(x->hist[i]);
  for (uint32_t i = 0; i < x->n_cand; i++) fx_free(x->cand[i]);
  if (x->scratch && x->free_scratch) x->free_scratch(x->scratch);
  x->scratch = NULL;
}

static arag_agent_input fx_input(fixture *x, arag_agent a) {
  arag_agent_input in;
  memset(&in, 0, sizeof in);
  in.agent = a;
  in.dim = DIM;
  in.long_term = x->evp;
  in.n_long_term = x->n_long;
  in.session = x->evp + x->n_long;
  in.n_session = x->n_hist - x->n_long;
  in.cands = x->candp;
  in.n_cands = x->n_cand;
  in.scratch = &x->scratch;
  in.free_scratch = &x->free_scratch;
  return in;
}

/* An agent's answer with the given weights, parsed (checked: valid JSON of that length). */
static cJSON *answer_with(const arag_agent_input *in, const arag_reasoner_params *p) {
  size_t len = 0;
  char *s = arag_reasoner_answer_with(in, p, &len);
  CHECK(s != NULL);
  if (!s) return NULL;
  CHECK_EQ_INT(len, strlen(s));
  cJSON *o = cJSON_ParseWithLength(s, len);
  CHECK(o != NULL);
  if (!o) fprintf(stderr, "bad JSON: %s\n", s);
  free(s);
  return o;
}

static cJSON *answer(const arag_agent_input *in) {
  arag_reasoner_params p;
  arag_reasoner_params_default(&p);
  return answer_with(in, &p);
}

static const char *str_field(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Schema checks. Returns the summary / nothing. */
static void check_uua(const cJSON *o) {
  CHECK(cJSON_IsObject(o));
  CHECK(str_field(o, "summary") != NULL);
  const cJSON *in = cJSON_GetObjectItemCaseSensitive(o, "interests");
  CHECK(cJSON_IsArray(in));
  const cJSON *x;
  cJSON_ArrayForEach(x, in) CHECK(cJSON_IsString(x) && x->valuestring[0]);
}

static void check_nli(const cJSON *o, const arag_agent_input *in) {
  const cJSON *items = cJSON_GetObjectItemCaseSensitive(o, "items");
  CHECK(cJSON_IsArray(items));
  CHECK_EQ_INT(cJSON_GetArraySize(items), in->n_cands);
  uint32_t i = 0;
  const cJSON *x;
  cJSON_ArrayForEach(x, items) {
    const char *id = str_field(x, "id");
    CHECK(id && i < in->n_cands && strcmp(id, in->cands[i]->id) == 0);
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(x, "score");
    CHECK(cJSON_IsNumber(sc) && sc->valuedouble >= 0 && sc->valuedouble <= 1);
    const char *label = str_field(x, "label");
    CHECK(label && (strcmp(label, "supports") == 0 || strcmp(label, "neutral") == 0 ||
                    strcmp(label, "contradicts") == 0));
    CHECK(str_field(x, "rationale") != NULL); /* "" when the item has no evidence */
    i++;
  }
}

static void check_csa(const cJSON *o) {
  CHECK(cJSON_IsObject(o));
  const char *s = str_field(o, "summary");
  CHECK(s && s[0]);
}

static void check_ira(const cJSON *o, const arag_agent_input *in) {
  const cJSON *r = cJSON_GetObjectItemCaseSensitive(o, "ranking");
  CHECK(cJSON_IsArray(r));
  CHECK_EQ_INT(cJSON_GetArraySize(r), in->n_cands);
  int seen[16] = {0};
  double prev = 1.0;
  const cJSON *x;
  cJSON_ArrayForEach(x, r) {
    const char *id = str_field(x, "id");
    CHECK(id != NULL);
    int found = -1;
    for (uint32_t i = 0; id && i < in->n_cands; i++)
      if (strcmp(id, in->cands[i]->id) == 0 && !seen[i]) found = (int)i;
    CHECK(found >= 0); /* no foreign or repeated id */
    if (found >= 0) seen[found]++;
    CHECK(str_field(x, "reason") != NULL); /* "" when the item has no evidence */
    /* The score is in [0, 1] (the schema's range: out of it, the parser would clamp
     * and note a repair) and does not rise down the ranking. */
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(x, "score");
    CHECK(cJSON_IsNumber(sc) && sc->valuedouble >= 0 && sc->valuedouble <= 1);
    if (cJSON_IsNumber(sc)) {
      CHECK(sc->valuedouble <= prev);
      prev = sc->valuedouble;
    }
  }
  for (uint32_t i = 0; i < in->n_cands; i++) CHECK_EQ_INT(seen[i], 1);
}

/* Runs the four agents the way the pipeline chains them; checks every answer.
 * Returns the IRA answer. */
static cJSON *run_all(fixture *x, int nli_on, int csa_on, int uua_on) {
  arag_agent_input in = fx_input(x, ARAG_AGENT_UUA);
  char *s_user = NULL, *s_ctx = NULL;
  if (uua_on) {
    cJSON *u = answer(&in);
    check_uua(u);
    const char *s = str_field(u, "summary");
    if (s) s_user = strcpy(malloc(strlen(s) + 1), s);
    cJSON_Delete(u);
  }
  arag_nli_verdict v[8];
  char *rat[8] = {0};
  if (nli_on) {
    in = fx_input(x, ARAG_AGENT_NLI);
    cJSON *o = answer(&in);
    check_nli(o, &in);
    uint32_t i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(o, "items")) {
      if (i >= 8) break;
      v[i].score = (float)cJSON_GetObjectItemCaseSensitive(it, "score")->valuedouble;
      v[i].label = ARAG_NLI_NEUTRAL;
      const char *r = str_field(it, "rationale");
      rat[i] = strcpy(malloc(strlen(r) + 1), r);
      v[i].rationale = rat[i];
      i++;
    }
    cJSON_Delete(o);
  }
  if (csa_on) {
    in = fx_input(x, ARAG_AGENT_CSA);
    in.nli = nli_on ? v : NULL;
    in.s_user = s_user;
    cJSON *o = answer(&in);
    check_csa(o);
    const char *s = str_field(o, "summary");
    if (s) s_ctx = strcpy(malloc(strlen(s) + 1), s);
    cJSON_Delete(o);
  }
  in = fx_input(x, ARAG_AGENT_IRA);
  float ret[8];
  for (uint32_t i = 0; i < x->n_cand; i++) ret[i] = 0.1f * (float)i;
  in.retrieval = ret;
  in.nli = nli_on ? v : NULL;
  in.s_user = s_user;
  in.s_ctx = s_ctx;
  cJSON *o = answer(&in);
  check_ira(o, &in);
  for (int i = 0; i < 8; i++) free(rat[i]);
  free(s_user);
  free(s_ctx);
  return o;
}

static int rank_of(const cJSON *ira, const char *id) {
  int k = 0;
  const cJSON *x;
  cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(ira, "ranking")) {
    k++;
    const char *s = str_field(x, "id");
    if (s && strcmp(s, id) == 0) return k;
  }
  return -1;
}

static double score_of(const cJSON *ira, const char *id) {
  const cJSON *x;
  cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(ira, "ranking")) {
    const char *s = str_field(x, "id");
    if (s && strcmp(s, id) == 0) return cJSON_GetObjectItemCaseSensitive(x, "score")->valuedouble;
  }
  return NAN;
}

static void test_schemas_full_and_ablations(void) {
  for (int mode = 0; mode < 4; mode++) {
    fixture x;
    fx_build(&x);
    cJSON *o = run_all(&x, mode != 1, mode != 2, mode != 3);
    CHECK(o != NULL);
    /* The unrelated garden item never beats the brand match or the repeat. */
    CHECK(rank_of(o, "c3") > rank_of(o, "c1"));
    CHECK(rank_of(o, "c3") > rank_of(o, "h4"));
    cJSON_Delete(o);
    fx_clear(&x);
  }
}

static char *raw(const arag_agent_input *in) {
  size_t len;
  return arag_reasoner_answer(in, &len);
}

static void test_determinism(void) {
  fixture x;
  fx_build(&x);
  for (int a = 0; a < 4; a++) {
    arag_agent_input in = fx_input(&x, (arag_agent)a);
    char *s1 = raw(&in); /* builds the cached profile */
    char *s2 = raw(&in); /* uses it */
    void *saved = x.scratch;
    in.scratch = NULL; /* no cache at all */
    in.free_scratch = NULL;
    char *s3 = raw(&in);
    CHECK(s1 && s2 && s3);
    if (s1 && s2 && s3) {
      CHECK(strcmp(s1, s2) == 0);
      CHECK(strcmp(s1, s3) == 0);
    }
    CHECK(x.scratch == saved);
    free(s1);
    free(s2);
    free(s3);
  }
  CHECK(x.scratch != NULL && x.free_scratch != NULL);
  fx_clear(&x);
}

/* The rationales and reasons are the items' evidence in plain words. */
static void test_evidence(void) {
  fixture x;
  fx_build(&x);
  arag_agent_input in = fx_input(&x, ARAG_AGENT_NLI);
  cJSON *o = answer(&in);
  const cJSON *items = cJSON_GetObjectItemCaseSensitive(o, "items");
  const char *r1 = str_field(cJSON_GetArrayItem(items, 0), "rationale");
  const char *r2 = str_field(cJSON_GetArrayItem(items, 1), "rationale");
  const char *r3 = str_field(cJSON_GetArrayItem(items, 2), "rationale");
  const char *r4 = str_field(cJSON_GetArrayItem(items, 3), "rationale");
  CHECK(r1 && strcmp(r1, "From Maybelline New York, like 3 of your items. In Eyes, like 3 of "
                         "your items.") == 0);
  CHECK(r2 && strcmp(r2, "In Nail Polish, like 2 of your items.") == 0);
  CHECK(r3 && strcmp(r3, "") == 0); /* a garden item: nothing in common */
  /* A repeat: bought once; a word its title shares with the other nail item (which the
   * category it shares rests on too, so that is not said again); the most popular of
   * the four candidates. */
  CHECK(r4 && strcmp(r4, "You bought this before. Shares \"Nail\" with your Essie Nail Polish "
                         "Pink. Popular with other shoppers.") == 0);
  double s1 = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(items, 0), "score")->valuedouble;
  double s3 = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(items, 2), "score")->valuedouble;
  CHECK(s1 > s3);
  cJSON_Delete(o);

  /* A variant of a past item: the title words they share, not the brand's. */
  fx_item *v = mk("c5", "OPI Nail Lacquer Blue", "OPI", "Beauty|Makeup|Nails|Nail Polish", 1);
  const arag_item *vp[1] = {&v->it};
  in.cands = vp;
  in.n_cands = 1;
  o = answer(&in);
  const char *rv =
      str_field(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, "items"), 0), "rationale");
  CHECK(rv &&
        strncmp(rv, "Shares \"Nail\" and \"Lacquer\" with your OPI Nail Lacquer Red.", 58) == 0);
  cJSON_Delete(o);
  fx_free(v);

  /* One word in common: "Pink" (the brand's "Essie" is brand evidence); the brand
   * rests on that same item, so the reason does not name it twice. */
  v = mk("c6", "Essie Gel Couture Pink", "Essie", NULL, 1);
  vp[0] = &v->it;
  in.evidence = NULL;
  o = answer(&in);
  const cJSON *vi = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, "items"), 0);
  rv = str_field(vi, "rationale");
  CHECK(rv && strcmp(rv, "Shares \"Pink\" with your Essie Nail Polish Pink.") == 0);
  CHECK(cJSON_GetObjectItemCaseSensitive(vi, "score")->valuedouble > s3);
  cJSON_Delete(o);
  fx_free(v);

  in = fx_input(&x, ARAG_AGENT_UUA);
  o = answer(&in);
  const char *sum = str_field(o, "summary");
  CHECK(sum && strstr(sum, "Brands: ") && strstr(sum, "Maybelline New York (3 of 5"));
  CHECK(sum && strstr(sum, "Beauty > Makeup > Nails > Nail Polish (2 of 5"));
  CHECK(sum && strstr(sum, "Session brands:"));
  cJSON_Delete(o);

  /* CSA over the two nail items and the repeat: they share the category. */
  in = fx_input(&x, ARAG_AGENT_CSA);
  const arag_item *acc[3] = {x.candp[1], x.candp[3], x.candp[0]};
  in.cands = acc;
  in.n_cands = 3;
  o = answer(&in);
  sum = str_field(o, "summary");
  if (getenv("VERBOSE")) fprintf(stderr, "CSA: %s\n", sum);
  CHECK(sum && strstr(sum, "share category Makeup (3)"));
  CHECK(sum && strstr(sum, "Categories: Beauty > Makeup (3 of 3, 100%); Beauty > Makeup > Nails > "
                           "Nail Polish (2 of 3"));
  cJSON_Delete(o);
  fx_clear(&x);
}

/* Items, not events: an item viewed, carted and bought counts once in S_user's sentence
 * and trait lines, and function words are no session topic. */
static void test_items_not_events(void) {
  fixture x;
  memset(&x, 0, sizeof x);
  fx_item *a = mk("a", "Curl Creme Packaging May Vary", "Bumble and Bumble", "Beauty|Hair", 1);
  for (int k = 0; k < 3; k++) {
    fx_add_event(&x, a);
    x.ev[k].kind = k == 0 ? ARAG_EV_VIEW : k == 1 ? ARAG_EV_CART : ARAG_EV_PURCHASE;
  }
  x.hist[1] = x.hist[2] = NULL; /* one fixture item, freed once */
  fx_add_cand(&x, mk("b", "Curl Defining Creme", "Bumble and Bumble", "Beauty|Hair", 1));
  arag_agent_input in = fx_input(&x, ARAG_AGENT_UUA);
  cJSON *o = answer(&in);
  const char *sum = str_field(o, "summary");
  CHECK(sum && strncmp(sum, "Based on 1 past items (1 in this session)", 41) == 0);
  CHECK(sum && strstr(sum, "Brands: Bumble and Bumble (1 of 1, 100%)"));
  CHECK(sum && strstr(sum, "this session is about curl and creme."));
  CHECK(sum && !strstr(sum, "may") && !strstr(sum, "packaging") && !strstr(sum, "vary"));
  cJSON_Delete(o);
  in = fx_input(&x, ARAG_AGENT_NLI);
  o = answer(&in);
  const char *r =
      str_field(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, "items"), 0), "rationale");
  CHECK(r && strstr(r, "Shares \"Curl\" and \"Creme\" with your Curl Creme Packaging May Vary."));
  CHECK(r && !strstr(r, "3 of your items"));
  cJSON_Delete(o);
  fx_free(x.cand[0]);
  fx_free(a);
  x.n_hist = x.n_cand = 0;
  fx_clear(&x);
}

/* Price: with priced history (typical price about 10), a candidate at that price
 * scores above the same candidate at ten times it, and its rationale says why;
 * without prices on either side the score is the same as before. */
static void test_price(void) {
  fixture x;
  fx_build(&x);
  double prices[5] = {8, 12, 9, 11, 10};
  for (uint32_t i = 0; i < x.n_hist; i++) x.ev[i].item.price = prices[i];
  fx_item *a = mk("p1", "Garden Hose Nozzle", "Gilmour", "Tools|Garden|Watering", 0);
  fx_item *b = mk("p2", "Garden Hose Nozzle", "Gilmour", "Tools|Garden|Watering", 0);
  fx_item *c = mk("p3", "Garden Hose Nozzle", "Gilmour", "Tools|Garden|Watering", 0);
  a->it.price = 10;
  b->it.price = 100;
  const arag_item *cp[3] = {&a->it, &b->it, &c->it};
  arag_agent_input in = fx_input(&x, ARAG_AGENT_NLI);
  in.cands = cp;
  in.n_cands = 3;
  cJSON *o = answer(&in);
  check_nli(o, &in);
  const cJSON *items = cJSON_GetObjectItemCaseSensitive(o, "items");
  double sa = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(items, 0), "score")->valuedouble;
  double sb = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(items, 1), "score")->valuedouble;
  double sc = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(items, 2), "score")->valuedouble;
  const char *ra = str_field(cJSON_GetArrayItem(items, 0), "rationale");
  const char *rb = str_field(cJSON_GetArrayItem(items, 1), "rationale");
  CHECK(sa > sb);
  CHECK(sb == sc); /* 10x away: no price evidence, like an item without a price */
  CHECK(ra && strstr(ra, "Priced like your items, from 8 to 12."));
  CHECK(rb && !strstr(rb, "Priced"));
  cJSON_Delete(o);
  fx_free(a);
  fx_free(b);
  fx_free(c);
  fx_clear(&x);

  /* No priced history: a priced candidate gets no price evidence. */
  fx_build(&x);
  fx_item *d = mk("p4", "Garden Hose Nozzle", "Gilmour", "Tools|Garden|Watering", 0);
  fx_item *e = mk("p5", "Garden Hose Nozzle", "Gilmour", "Tools|Garden|Watering", 0);
  d->it.price = 10;
  const arag_item *dp[2] = {&d->it, &e->it};
  in = fx_input(&x, ARAG_AGENT_NLI);
  in.cands = dp;
  in.n_cands = 2;
  o = answer(&in);
  items = cJSON_GetObjectItemCaseSensitive(o, "items");
  double sd = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(items, 0), "score")->valuedouble;
  double se = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(items, 1), "score")->valuedouble;
  CHECK(sd == se);
  cJSON_Delete(o);
  fx_free(d);
  fx_free(e);
  fx_clear(&x);
}

static char *answer_text(const arag_agent_input *in) {
  size_t len = 0;
  char *s = arag_reasoner_answer(in, &len);
  CHECK(s != NULL);
  return s;
}

/* Bought together: the candidate's "related" list names a recent event, or a
 * recent event's list names the candidate; the rationale names that event and the
 * number of shoppers. Related data that links nothing changes no byte. */
static void test_related(void) {
  fixture x;
  fx_build(&x);
  fx_item *a = mk("r1", "Garden Hose Nozzle", "Gilmour", "Tools|Garden|Watering", 0);
  fx_item *b = mk("r2", "Garden Hose Nozzle", "Gilmour", "Tools|Garden|Watering", 0);
  fx_item *c = mk("r3", "Garden Hose Nozzle", "Gilmour", "Tools|Garden|Watering", 0);
  char *a_ids[2] = {(char *)"zz", (char *)"h5"};
  float a_w[2] = {9, 7};
  a->it.related_ids = a_ids;
  a->it.related_w = a_w;
  a->it.n_related = 2;
  char *h3_ids[1] = {(char *)"r2"};
  float h3_w[1] = {1};
  x.ev[2].item.related_ids = h3_ids;
  x.ev[2].item.related_w = h3_w;
  x.ev[2].item.n_related = 1;
  const arag_item *cp[3] = {&a->it, &b->it, &c->it};
  arag_agent_input in = fx_input(&x, ARAG_AGENT_NLI);
  in.cands = cp;
  in.n_cands = 3;
  cJSON *o = answer(&in);
  check_nli(o, &in);
  const cJSON *items = cJSON_GetObjectItemCaseSensitive(o, "items");
  double sa = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(items, 0), "score")->valuedouble;
  double sb = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(items, 1), "score")->valuedouble;
  double sc = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(items, 2), "score")->valuedouble;
  const char *ra = str_field(cJSON_GetArrayItem(items, 0), "rationale");
  const char *rb = str_field(cJSON_GetArrayItem(items, 1), "rationale");
  const char *rc = str_field(cJSON_GetArrayItem(items, 2), "rationale");
  CHECK(sa > sc && sb > sc);
  CHECK(sa > sb); /* 7 shoppers on the latest item beat 1 on an older one */
  CHECK(ra && strstr(ra, "Shoppers bought it together with your Essie Nail Polish Pink."));
  CHECK(rb && strstr(rb, "Shoppers bought it together with your Maybelline Brow Pencil."));
  CHECK(rc && !strstr(rc, "together"));
  cJSON_Delete(o);
  fx_clear(&x);

  /* Related lists that name nothing in the history (or with weight 0): every
   * agent's answer is byte-identical to the one without any related data. */
  char *none_ids[2] = {(char *)"zz", (char *)"h4"};
  float none_w[2] = {5, 0};
  for (int agent = ARAG_AGENT_UUA; agent <= ARAG_AGENT_IRA; agent++) {
    char *plain, *with;
    fx_build(&x);
    in = fx_input(&x, (arag_agent)agent);
    in.cands = cp;
    in.n_cands = 3;
    a->it.n_related = 0;
    b->it.n_related = 0;
    plain = answer_text(&in);
    fx_clear(&x);
    fx_build(&x);
    in = fx_input(&x, (arag_agent)agent);
    in.cands = cp;
    in.n_cands = 3;
    a->it.related_ids = none_ids;
    a->it.related_w = none_w;
    a->it.n_related = 2;
    x.ev[4].item.related_ids = none_ids; /* h5 names zz and h4: no candidate */
    x.ev[4].item.related_w = none_w;
    x.ev[4].item.n_related = 2;
    with = answer_text(&in);
    CHECK(plain && with && strcmp(plain, with) == 0);
    free(plain);
    free(with);
    fx_clear(&x);
  }
  a->it.n_related = 0;
  fx_free(a);
  fx_free(b);
  fx_free(c);
}

/* IRA reads S_user as text: with NLI and CSA off, the brand in S_user decides. */
static void test_ira_reads_summaries(void) {
  fixture x;
  fx_build(&x);
  arag_agent_input in = fx_input(&x, ARAG_AGENT_IRA);
  in.s_user = "Brands: Gilmour (5 of 5, 100%)";
  cJSON *o = answer(&in);
  CHECK_EQ_INT(rank_of(o, "c3"), 1);
  /* The garden item shares nothing with the history: its reason says nothing, though a
   * summary speaks for it. */
  const char *reason =
      str_field(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, "ranking"), 0), "reason");
  CHECK(reason && strcmp(reason, "") == 0);
  cJSON_Delete(o);
  /* A rationale (an LLM's, say) is never quoted: "shares brand Gilmour with 2 of your
   * recent items" is not true of this history, and the reasons say only the evidence. */
  arag_nli_verdict v[4];
  memset(v, 0, sizeof v);
  for (int i = 0; i < 4; i++) v[i].score = 0.9f, v[i].rationale = "";
  v[2].rationale = "shares brand Gilmour with 2 of your recent items";
  in.nli = v;
  o = answer(&in);
  const cJSON *x2;
  cJSON_ArrayForEach(x2, cJSON_GetObjectItemCaseSensitive(o, "ranking")) {
    const char *why = str_field(x2, "reason");
    CHECK(why && !strstr(why, "Gilmour"));
  }
  cJSON_Delete(o);
  in.nli = NULL;
  cJSON *base = answer(&in);
  in.s_ctx = "Categories: Beauty > Makeup > Nails > Nail Polish (2 of 3, 70%)";
  /* The default gives S_ctx no weight (docs/offline-reasoner.md); the mechanism with one. */
  arag_reasoner_params p;
  arag_reasoner_params_default(&p);
  p.ira_c_cat = 0.5f;
  o = answer_with(&in, &p);
  CHECK(score_of(o, "c2") > score_of(base, "c2")); /* the shared category counts */
  CHECK(score_of(o, "c1") > score_of(base, "c1")); /* partly: Beauty > Makeup */
  CHECK(score_of(o, "c2") - score_of(base, "c2") > score_of(o, "c1") - score_of(base, "c1"));
  CHECK_NEAR(score_of(o, "c3"), score_of(base, "c3"), 1e-6);
  cJSON_Delete(o);
  /* Prose from an LLM (no trait lines) still counts its words. */
  in.s_ctx = NULL;
  in.s_user = "The shopper loves mascara and volume.";
  o = answer(&in);
  CHECK(score_of(o, "c1") > score_of(base, "c1"));
  CHECK_NEAR(score_of(o, "c2"), score_of(base, "c2"), 1e-6);
  cJSON_Delete(o);
  cJSON_Delete(base);
  fx_clear(&x);
}

/* Popularity the catalog does not give (NaN) counts as the candidates' median, not as 0. */
static void test_missing_popularity(void) {
  fixture x;
  fx_build(&x); /* popularity: c1 2, c2 1, c3 0, h4 5 */
  arag_agent_input in = fx_input(&x, ARAG_AGENT_IRA);
  arag_reasoner_params p;
  arag_reasoner_params_default(&p);
  p.ira_ret = p.ira_u_brand = p.ira_u_cat = p.ira_u_kw = 0; /* popularity alone */
  cJSON *o = answer_with(&in, &p);
  CHECK_EQ_INT(rank_of(o, "c3"), 4); /* a known 0 is last */
  cJSON_Delete(o);
  x.cand[2]->it.popularity = NAN;
  o = answer_with(&in, &p);
  /* The median of log(1 + 2), log(1 + 1), log(1 + 5) is c1's: c3 ties it, above c2. */
  CHECK_NEAR(score_of(o, "c3"), score_of(o, "c1"), 1e-6);
  CHECK(score_of(o, "c3") > score_of(o, "c2"));
  CHECK(score_of(o, "h4") > score_of(o, "c3"));
  cJSON_Delete(o);
  /* An even count of known figures: the mean of the middle two. */
  x.cand[1]->it.popularity = NAN; /* known: c1 2, h4 5 */
  o = answer_with(&in, &p);
  CHECK(score_of(o, "c3") > score_of(o, "c1") && score_of(o, "c3") < score_of(o, "h4"));
  CHECK_NEAR(score_of(o, "c3"), score_of(o, "c2"), 1e-6);
  cJSON_Delete(o);
  /* No figures at all: popularity weighs nothing, every score alike. */
  for (uint32_t i = 0; i < x.n_cand; i++) x.cand[i]->it.popularity = NAN;
  o = answer_with(&in, &p);
  CHECK_NEAR(score_of(o, "c1"), score_of(o, "h4"), 1e-6);
  CHECK_NEAR(score_of(o, "c3"), score_of(o, "h4"), 1e-6);
  cJSON_Delete(o);
  fx_clear(&x);
}

/* UUA's Words line: the words of the whole history's text, function words left
 * out; IRA weighs a candidate's text by them (ira_text) and names the word when
 * nothing else speaks for the candidate. */
static void test_history_words(void) {
  fixture x;
  memset(&x, 0, sizeof x);
  const char *texts[3] = {"With hyaluronic acid, for the face and the neck.",
                          "Hyaluronic gel with aloe, for your skin.",
                          "A cream with hyaluronic acid and the best of aloe."};
  const char *titles[3] = {"Day Cream", "Cooling Gel", "Night Cream"};
  for (int i = 0; i < 3; i++) {
    char id[4] = {'h', (char)('1' + i), 0, 0};
    fx_item *f = mk(strcpy(malloc(4), id), titles[i], NULL, NULL, 1);
    f->it.text = (char *)texts[i];
    fx_add_event(&x, f);
  }
  x.n_long = 1;
  /* Alike but for their descriptions: only one shares the history's words. */
  fx_item *a = mk("a", "Travel Bottle", NULL, NULL, 1), *b = mk("b", "Travel Flask", NULL, NULL, 1);
  a->it.text = "Holds hyaluronic serum and aloe gel.";
  b->it.text = "Holds water and juice.";
  fx_add_cand(&x, a);
  fx_add_cand(&x, b);
  arag_agent_input in = fx_input(&x, ARAG_AGENT_UUA);
  cJSON *u = answer(&in);
  const char *sum = str_field(u, "summary");
  const char *words = sum ? strstr(sum, "\nWords: ") : NULL;
  CHECK(words != NULL);
  /* "hyaluronic" is in all three texts, "aloe" in two: the heaviest first. */
  CHECK(words && strncmp(words, "\nWords: hyaluronic (", 20) == 0);
  CHECK(words && strstr(words, "aloe ("));
  CHECK(words && !strstr(words, " the (") && !strstr(words, " with (") && !strstr(words, " for ("));
  arag_agent_input ir = fx_input(&x, ARAG_AGENT_IRA);
  ir.s_user = sum;
  cJSON *o = answer(&ir);
  CHECK_EQ_INT(rank_of(o, "a"), 1);
  CHECK(score_of(o, "a") > score_of(o, "b"));
  const char *reason =
      str_field(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, "ranking"), 0), "reason");
  /* Nothing else in common: the words its text shares with a history item's text. */
  CHECK(reason && strcmp(reason, "Mentions \"hyaluronic\", \"aloe\" and \"gel\", like your "
                                 "Cooling Gel.") == 0);
  cJSON_Delete(o);
  arag_reasoner_params p;
  arag_reasoner_params_default(&p);
  p.ira_text = 0;
  o = answer_with(&ir, &p);
  CHECK_NEAR(score_of(o, "a"), score_of(o, "b"), 1e-6);
  cJSON_Delete(o);
  /* The weights are read back from the line: a word given more weighs more. */
  ir.s_user = "Words: aloe (90.0%); hyaluronic (10.0%)";
  cJSON *o1 = answer(&ir);
  ir.s_user = "Words: aloe (10.0%); hyaluronic (10.0%)";
  cJSON *o2 = answer(&ir);
  CHECK(score_of(o1, "a") > score_of(o2, "a"));
  CHECK_NEAR(score_of(o1, "b"), score_of(o2, "b"), 1e-6);
  cJSON_Delete(o1);
  cJSON_Delete(o2);
  cJSON_Delete(u);
  for (uint32_t i = 0; i < x.n_hist; i++) free(x.hist[i]->it.id);
  fx_clear(&x);
}

static void test_degenerate_users(void) {
  /* No history at all. */
  fixture x;
  fx_build(&x);
  x.n_long = 0;
  uint32_t keep = x.n_hist;
  x.n_hist = 0;
  cJSON *o = run_all(&x, 1, 1, 1);
  CHECK(o != NULL);
  cJSON_Delete(o);
  arag_agent_input in = fx_input(&x, ARAG_AGENT_UUA);
  o = answer(&in);
  CHECK(str_field(o, "summary") && strstr(str_field(o, "summary"), "No history"));
  cJSON_Delete(o);
  x.n_hist = keep;
  fx_clear(&x);

  /* One event. */
  fx_build(&x);
  x.n_long = 0;
  keep = x.n_hist;
  x.n_hist = 1;
  o = run_all(&x, 1, 1, 1);
  cJSON_Delete(o);
  x.n_hist = keep;
  fx_clear(&x);

  /* Every event the same item. */
  fx_build(&x);
  for (uint32_t i = 0; i < x.n_hist; i++) x.ev[i].item = x.hist[3]->it;
  o = run_all(&x, 1, 1, 1);
  CHECK_EQ_INT(rank_of(o, "h4"), 1);
  cJSON_Delete(o);
  fx_clear(&x);

  /* Empty, very long and non-Latin texts, no categories, zero vectors. */
  fx_build(&x);
  size_t big = 200000;
  char *longt = malloc(big + 1);
  for (size_t i = 0; i < big; i++) longt[i] = "Abc; def\n\"x\" "[i % 14];
  longt[big] = 0;
  fx_item *e1 = mk("e1", "", "", NULL, NAN);
  memset(e1->vec, 0, sizeof e1->vec);
  memset(e1->tvec, 0, sizeof e1->tvec);
  fx_item *e2 = mk("e2", longt, longt, "A;B|C\nD|E (x)", INFINITY);
  fx_item *e3 = mk("e3", "Шампунь Чистая Линия для волос", "", "Красота|Волосы", 7);
  fx_item *e4 = mk("e4", "資生堂 シャンプー 500ml", "資生堂", "美容|ヘアケア", 2);
  fx_item *e5 = mk("e5", "Bad \xff\xfe utf8 \xc3", "", NULL, 0);
  x.ev[0].item = e2->it;
  x.ev[1].item = e3->it;
  x.ev[2].item = e4->it;
  x.ev[3].item = e1->it;
  x.ev[4].item = e5->it;
  x.candp[0] = &e1->it;
  x.candp[1] = &e2->it;
  x.candp[2] = &e3->it;
  fx_item *e6 = mk("e6", "資生堂 ボディソープ", "", "美容|ボディ", 1);
  x.candp[3] = &e6->it;
  o = run_all(&x, 1, 1, 1);
  CHECK(o != NULL);
  cJSON_Delete(o);
  in = fx_input(&x, ARAG_AGENT_NLI);
  o = answer(&in);
  const char *r =
      str_field(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, "items"), 3), "rationale");
  /* Without a brand field or a catalog to tell its title's brand, the item shares a
   * title word with the other one. */
  CHECK(r && strcmp(r, "Shares \"資生堂\" with your 資生堂 シャンプー 500ml.") == 0);
  CHECK(r && strstr(r, "In 美容") == NULL); /* the root alone is no evidence */
  cJSON_Delete(o);
  fx_free(e1);
  fx_free(e2);
  fx_free(e3);
  fx_free(e4);
  fx_free(e5);
  fx_free(e6);
  free(longt);
  fx_clear(&x);
}

/* A brand of several words is a brand trait, and none of its words is a keyword:
 * S_user's interests name the brand once and then what the items are, not "glow"
 * or "works"; nor do the brand's words make a product line. */
static void test_brand_words_not_keywords(void) {
  fixture x;
  fx_build(&x);
  fx_item *b[3] = {
      mk("b1", "Puffin Glow Works Hyaluronic Serum", "Puffin Glow Works", NULL, 1),
      mk("b2", "Puffin Glow Works Mineral Sunscreen", "Puffin Glow Works", NULL, 1),
      mk("b3", "Puffin Glow Works Tinted Sunscreen Fluid", "Puffin Glow Works", NULL, 1),
  };
  for (int i = 0; i < 3; i++) x.ev[2 + i].item = b[i]->it;
  arag_agent_input in = fx_input(&x, ARAG_AGENT_UUA);
  cJSON *o = answer(&in);
  const char *sum = str_field(o, "summary");
  CHECK(sum && strstr(sum, "Puffin Glow Works"));
  int sunscreen = 0;
  const cJSON *v;
  cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(o, "interests")) {
    const char *t = cJSON_IsString(v) ? v->valuestring : "";
    if (strcmp(t, "Puffin Glow Works") == 0) continue; /* the brand itself */
    CHECK(strstr(t, "Glow") == NULL && strstr(t, "glow") == NULL);
    CHECK(strstr(t, "Works") == NULL && strstr(t, "works") == NULL);
    CHECK(strstr(t, "Puffin") == NULL && strstr(t, "puffin") == NULL);
    sunscreen += strstr(t, "unscreen") != NULL;
  }
  CHECK_EQ_INT(sunscreen, 1);
  cJSON_Delete(o);
  /* A product line starts after the brand: sharing "Puffin Glow Works" is sharing the
   * brand; sharing "Puffin Glow Works Mineral" is one line. */
  fx_item *c[2] = {
      mk("p1", "Puffin Glow Works Mineral Sunscreen, Coral", "Puffin Glow Works", NULL, 1),
      mk("p2", "Puffin Glow Works Night Balm", "Puffin Glow Works", NULL, 1),
  };
  x.candp[0] = &c[0]->it;
  x.candp[1] = &c[1]->it;
  in = fx_input(&x, ARAG_AGENT_NLI);
  o = answer(&in);
  const cJSON *items = cJSON_GetObjectItemCaseSensitive(o, "items");
  const char *r1 = str_field(cJSON_GetArrayItem(items, 0), "rationale");
  const char *r2 = str_field(cJSON_GetArrayItem(items, 1), "rationale");
  CHECK(r1 && strncmp(r1,
                      "Shares \"Mineral\" and \"Sunscreen\" with your Puffin Glow Works "
                      "Mineral Sunscreen.",
                      78) == 0);
  CHECK(r2 && strcmp(r2, "From Puffin Glow Works, like 3 of your items.") == 0);
  CHECK(r2 && strstr(r2, "Shares") == NULL); /* only the brand's words in common */
  cJSON_Delete(o);
  fx_free(c[0]);
  fx_free(c[1]);
  for (int i = 0; i < 3; i++) fx_free(b[i]);
  fx_clear(&x);
}

/* IRA's diversity step (ira_div): off by default, variants of one product rank
 * together; on, a different product moves up between them, and the scores still
 * fall down the list. */
static void test_ira_diversity(void) {
  fixture x;
  fx_build(&x);
  fx_item *c[4] = {
      mk("v1", "Lumen Mineral Sunscreen Lotion", "Lumen", NULL, 5),
      mk("v2", "Lumen Mineral Sunscreen Lotion, Coral", "Lumen", NULL, 5),
      mk("v3", "Lumen Mineral Sunscreen Lotion, Honey", "Lumen", NULL, 5),
      mk("d1", "Aster Hydrating Face Cream", "Aster", NULL, 4),
  };
  for (int i = 0; i < 4; i++) x.candp[i] = &c[i]->it;
  arag_agent_input in = fx_input(&x, ARAG_AGENT_IRA);
  arag_reasoner_params p;
  arag_reasoner_params_default(&p);
  CHECK(p.ira_div == 0.0f);
  const char *want[2][4] = {{"v1", "v2", "v3", "d1"}, {"v1", "d1", "v2", "v3"}};
  for (int on = 0; on < 2; on++) {
    p.ira_div = on ? 1.0f : 0.0f;
    cJSON *o = answer_with(&in, &p);
    check_ira(o, &in);
    for (int k = 0; k < 4; k++) CHECK_EQ_INT(rank_of(o, want[on][k]), k + 1);
    cJSON_Delete(o);
  }
  CHECK_EQ_INT(arag_reasoner_params_set(&p, "ira_div", 1.5, NULL, NULL), -2);
  for (int i = 0; i < 4; i++) fx_free(c[i]);
  fx_clear(&x);
}

/* A long history (past the default long_term_len): every agent still answers. */
static void test_long_history(void) {
  fixture x;
  fx_build(&x);
  enum { N = 3000 };
  arag_event *ev = calloc(N, sizeof *ev);
  const arag_event **evp = calloc(N, sizeof *evp);
  for (uint32_t i = 0; i < N; i++) {
    ev[i] = x.ev[i % x.n_hist];
    ev[i].ts = i;
    evp[i] = &ev[i];
  }
  for (int a = 0; a < 4; a++) {
    arag_agent_input in = fx_input(&x, (arag_agent)a);
    in.long_term = evp;
    in.n_long_term = N - 5;
    in.session = evp + N - 5;
    in.n_session = 5;
    cJSON *o = answer(&in);
    CHECK(o != NULL);
    if (a == ARAG_AGENT_NLI) check_nli(o, &in);
    if (a == ARAG_AGENT_IRA) check_ira(o, &in);
    if (a == ARAG_AGENT_UUA) {
      const char *sum = str_field(o, "summary");
      /* 3000 events of 5 items: items are counted, not events. */
      CHECK(sum && strstr(sum, "Based on 5 past items (5 in this session)"));
    }
    cJSON_Delete(o);
  }
  free(ev);
  free(evp);
  fx_clear(&x);
}

static void test_bad_input(void) {
  size_t len = 123;
  CHECK(arag_reasoner_answer(NULL, &len) == NULL);
  CHECK_EQ_INT(len, 0);
  arag_agent_input in;
  memset(&in, 0, sizeof in);
  in.agent = ARAG_AGENT_NLI;
  in.dim = DIM;
  in.n_cands = 3; /* but no candidate array */
  CHECK(arag_reasoner_answer(&in, &len) == NULL);
  in.agent = (arag_agent)42;
  in.n_cands = 0;
  CHECK(arag_reasoner_answer(&in, &len) == NULL);
  /* Zero candidates is fine: empty lists. */
  in.agent = ARAG_AGENT_IRA;
  char *s = arag_reasoner_answer(&in, &len);
  CHECK(s && strcmp(s, "{\"ranking\":[]}") == 0);
  free(s);
  arag_reasoner_params p;
  arag_reasoner_params_default(&p);
  CHECK(arag_reasoner_params_set(&p, "nli_brand", 2.5, NULL, NULL) == 0 && p.nli_brand == 2.5f);
  CHECK(arag_reasoner_params_set(&p, "no_such_weight", 1, NULL, NULL) == -1);
  /* Out of range, not finite, or a fractional window: refused, nothing changes. */
  double lo = 0, hi = 0;
  arag_reasoner_params before = p;
  CHECK(arag_reasoner_params_set(&p, "decay", 1.5, &lo, &hi) == -2 && lo == 0 && hi == 1);
  CHECK(arag_reasoner_params_set(&p, "nli_isim", NAN, NULL, NULL) == -2);
  CHECK(arag_reasoner_params_set(&p, "nli_isim", 1e9, NULL, NULL) == -2);
  CHECK(arag_reasoner_params_set(&p, "sim_window", 2.5, NULL, NULL) == -2);
  CHECK(memcmp(&before, &p, sizeof p) == 0);
  CHECK(arag_reasoner_params_set(&p, "sim_window", 4, NULL, NULL) == 0 && p.sim_window == 4);
  /* Every parameter is listed once, and reads back what was set. */
  uint32_t n = arag_reasoner_params_count();
  CHECK(n >= 30);
  for (uint32_t i = 0; i < n; i++) {
    const char *name = arag_reasoner_params_name(i);
    CHECK(name != NULL);
    for (uint32_t j = 0; j < i; j++) CHECK(strcmp(name, arag_reasoner_params_name(j)) != 0);
    CHECK(arag_reasoner_params_set(&p, name, 1, NULL, NULL) == 0);
    CHECK(arag_reasoner_params_get(&p, i) == 1.0);
  }
  CHECK(arag_reasoner_params_name(n) == NULL);
}

int main(void) {
  RUN(test_schemas_full_and_ablations);
  RUN(test_determinism);
  RUN(test_evidence);
  RUN(test_items_not_events);
  RUN(test_price);
  RUN(test_related);
  RUN(test_ira_reads_summaries);
  RUN(test_missing_popularity);
  RUN(test_history_words);
  RUN(test_degenerate_users);
  RUN(test_brand_words_not_keywords);
  RUN(test_ira_diversity);
  RUN(test_long_history);
  RUN(test_bad_input);
  return test_report();
}
