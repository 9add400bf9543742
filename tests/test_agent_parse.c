/* Agent output parsing: JSON extraction, repairs and degradations. */
#include "agent_parse.h"
#include "test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const ids3[] = {"A1", "B2", "123"};

static void clear(arag_strlist *a, arag_strlist *b) {
  arag_strlist_free(a);
  arag_strlist_free(b);
}

static int has_prefix_entry(const arag_strlist *l, const char *s) {
  for (uint32_t i = 0; i < l->n; i++)
    if (strncmp(l->v[i], s, strlen(s)) == 0) return 1;
  return 0;
}

static void test_extract(void) {
  arag_strlist rep = {0};
  const char *plain = "  {\"a\":1}  ";
  cJSON *v = arag_extract_json(plain, strlen(plain), "x", &rep);
  CHECK(v && cJSON_GetObjectItem(v, "a"));
  CHECK_EQ_INT(rep.n, 0);
  cJSON_Delete(v);

  const char *fenced = "Sure!\n```json\n{\"a\": 2}\n```\nbye";
  v = arag_extract_json(fenced, strlen(fenced), "x", &rep);
  CHECK(v && cJSON_GetObjectItem(v, "a")->valueint == 2);
  CHECK(arag_strlist_has(&rep, "x:json_in_code_fence"));
  cJSON_Delete(v);

  const char *prose = "Here is my answer: {\"a\": 3} Hope it helps.";
  v = arag_extract_json(prose, strlen(prose), "x", &rep);
  CHECK(v && cJSON_GetObjectItem(v, "a")->valueint == 3);
  CHECK(arag_strlist_has(&rep, "x:json_after_prose"));
  cJSON_Delete(v);

  /* Cut short: the complete items are kept. */
  const char *trunc = "{\"items\": [{\"id\": \"A1\", \"score\": 0.4}, {\"id\": \"B2\", \"sc";
  v = arag_extract_json(trunc, strlen(trunc), "x", &rep);
  CHECK(v && cJSON_GetArraySize(cJSON_GetObjectItem(v, "items")) == 2);
  CHECK(v && !cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(v, "items"), 1), "sc"));
  CHECK(arag_strlist_has(&rep, "x:truncated_salvaged"));
  cJSON_Delete(v);

  const char *none = "I cannot answer that.";
  CHECK(arag_extract_json(none, strlen(none), "x", &rep) == NULL);
  CHECK(arag_extract_json("", 0, "x", &rep) == NULL);
  /* Not NUL-terminated: the length bounds the parse. */
  const char buf[] = {'{', '"', 'a', '"', ':', '1', '}', 'X', 'X'};
  v = arag_extract_json(buf, 7, "x", &rep);
  CHECK(v != NULL);
  cJSON_Delete(v);
  arag_strlist_free(&rep);
}

static void test_summary(void) {
  arag_strlist rep = {0}, deg = {0};
  char *s = NULL;
  cJSON *out = NULL;
  const char *ok =
      "{\"summary\": \"  Likes red lipstick. \", \"interests\": [\"lips\", 3, \"nails\"]}";
  CHECK_EQ_INT(arag_parse_summary(ARAG_AGENT_UUA, ok, strlen(ok), "uua", &s, &out, &rep, &deg), 0);
  CHECK(s && strncmp(s, "Likes red lipstick.", 19) == 0);
  CHECK(s && strstr(s, "lips; nails") != NULL);
  CHECK(has_prefix_entry(&rep, "uua:interests_dropped"));
  CHECK_EQ_INT(deg.n, 0);
  CHECK(out && cJSON_GetArraySize(cJSON_GetObjectItem(out, "interests")) == 2);
  free(s);
  cJSON_Delete(out);
  clear(&rep, &deg);

  const char *upper = "{\"Summary\": \"x\"}";
  CHECK_EQ_INT(
      arag_parse_summary(ARAG_AGENT_CSA, upper, strlen(upper), "csa", &s, &out, &rep, &deg), 0);
  CHECK(s && strcmp(s, "x") == 0);
  free(s);
  cJSON_Delete(out);
  clear(&rep, &deg);

  const char *off = "{\"text\": \"x\"}";
  CHECK_EQ_INT(arag_parse_summary(ARAG_AGENT_CSA, off, strlen(off), "csa", &s, &out, &rep, &deg),
               -1);
  CHECK(s == NULL && out == NULL);
  CHECK(arag_strlist_has(&deg, "csa:off_schema"));
  clear(&rep, &deg);

  const char *empty = "{\"summary\": \"   \"}";
  CHECK_EQ_INT(
      arag_parse_summary(ARAG_AGENT_UUA, empty, strlen(empty), "uua", &s, &out, &rep, &deg), -1);
  CHECK(arag_strlist_has(&deg, "uua:off_schema"));
  clear(&rep, &deg);

  /* A summary cut mid-sentence is not used (a string is never closed half way). */
  const char *trunc = "{\"summary\": \"abc";
  CHECK_EQ_INT(
      arag_parse_summary(ARAG_AGENT_UUA, trunc, strlen(trunc), "uua", &s, &out, &rep, &deg), -1);
  CHECK(arag_strlist_has(&deg, "uua:off_schema"));
  clear(&rep, &deg);
  const char *nothing = "{\"summ";
  CHECK_EQ_INT(
      arag_parse_summary(ARAG_AGENT_UUA, nothing, strlen(nothing), "uua", &s, &out, &rep, &deg),
      -1);
  CHECK(arag_strlist_has(&deg, "uua:off_schema") || arag_strlist_has(&deg, "uua:parse_error"));
  clear(&rep, &deg);

  /* Long summaries are cut on a UTF-8 boundary. */
  size_t big = ARAG_MAX_SUMMARY_BYTES * 2;
  char *longj = malloc(big + 32);
  strcpy(longj, "{\"summary\":\"");
  size_t p = strlen(longj);
  for (size_t i = 0; i < big / 2; i++) longj[p++] = (char)0xC3, longj[p++] = (char)0xA9;
  strcpy(longj + p, "\"}");
  CHECK_EQ_INT(
      arag_parse_summary(ARAG_AGENT_CSA, longj, strlen(longj), "csa", &s, &out, &rep, &deg), 0);
  CHECK(s && strlen(s) <= ARAG_MAX_SUMMARY_BYTES && strlen(s) % 2 == 0);
  CHECK(arag_strlist_has(&rep, "csa:summary_truncated"));
  free(s);
  free(longj);
  cJSON_Delete(out);
  clear(&rep, &deg);
}

static void test_labels(void) {
  int ch = 0;
  CHECK_EQ_INT(arag_normalize_label("supports", &ch), ARAG_NLI_SUPPORTS);
  CHECK_EQ_INT(ch, 0);
  CHECK_EQ_INT(arag_normalize_label("SUPPORTS", &ch), ARAG_NLI_SUPPORTS);
  CHECK_EQ_INT(arag_normalize_label(" Entailment ", &ch), ARAG_NLI_SUPPORTS);
  CHECK_EQ_INT(ch, 1);
  CHECK_EQ_INT(arag_normalize_label("Contradiction", &ch), ARAG_NLI_CONTRADICTS);
  CHECK_EQ_INT(arag_normalize_label("Neutral", &ch), ARAG_NLI_NEUTRAL);
  CHECK_EQ_INT(arag_normalize_label("maybe", &ch), -1);
}

typedef struct nli_run {
  arag_nli_verdict v[3];
  char *rat[3];
  uint8_t have[3];
  cJSON *out;
  arag_strlist rep, deg;
  int got;
} nli_run;

static void nli(nli_run *r, const char *text) {
  memset(r, 0, sizeof *r);
  r->got = arag_parse_nli(text, strlen(text), "nli_batch_0", ids3, 3, r->v, r->rat, r->have,
                          &r->out, &r->rep, &r->deg);
}

static void nli_done(nli_run *r) {
  for (int i = 0; i < 3; i++) free(r->rat[i]);
  cJSON_Delete(r->out);
  clear(&r->rep, &r->deg);
}

static void test_nli(void) {
  nli_run r;
  nli(&r, "{\"items\":[{\"id\":\"A1\",\"score\":0.9,\"label\":\"supports\",\"rationale\":\"same "
          "brand\"},{\"id\":\"B2\",\"score\":0.2,\"label\":\"contradicts\",\"rationale\":\"\"},"
          "{\"id\":\"123\",\"score\":0.5,\"label\":\"neutral\",\"rationale\":\"r\"}]}");
  CHECK_EQ_INT(r.got, 3);
  CHECK_EQ_INT(r.rep.n, 0);
  CHECK_EQ_INT(r.deg.n, 0);
  CHECK_NEAR(r.v[0].score, 0.9, 1e-6);
  CHECK_EQ_INT(r.v[1].label, ARAG_NLI_CONTRADICTS);
  CHECK(strcmp(r.v[0].rationale, "same brand") == 0);
  nli_done(&r);

  /* Repairs: bare array, number id, score out of range and as a string, label case,
   * missing label, missing score. */
  nli(&r, "[{\"id\":123,\"score\":1.7,\"label\":\"SUPPORTS\"},"
          "{\"id\":\" A1 \",\"score\":\"-0.5\"},{\"id\":\"B2\",\"label\":\"Contradiction\"}]");
  CHECK_EQ_INT(r.got, 3);
  CHECK_EQ_INT(r.deg.n, 0);
  CHECK(arag_strlist_has(&r.rep, "nli_batch_0:bare_array"));
  CHECK(arag_strlist_has(&r.rep, "nli_batch_0:id_repaired:123"));
  CHECK(arag_strlist_has(&r.rep, "nli_batch_0:score_clamped:123"));
  CHECK(arag_strlist_has(&r.rep, "nli_batch_0:label_normalized:123"));
  CHECK(arag_strlist_has(&r.rep, "nli_batch_0:id_repaired:A1"));
  CHECK(arag_strlist_has(&r.rep, "nli_batch_0:score_from_string:A1"));
  CHECK(arag_strlist_has(&r.rep, "nli_batch_0:label_from_score:A1"));
  CHECK(arag_strlist_has(&r.rep, "nli_batch_0:score_from_label:B2"));
  CHECK_NEAR(r.v[2].score, 1.0, 0);
  CHECK_EQ_INT(r.v[2].label, ARAG_NLI_SUPPORTS);
  CHECK_NEAR(r.v[0].score, 0.0, 0);
  CHECK_EQ_INT(r.v[0].label, ARAG_NLI_CONTRADICTS);
  CHECK_EQ_INT(r.v[1].label, ARAG_NLI_CONTRADICTS);
  CHECK(r.v[1].score >= 0 && r.v[1].score <= 1);
  nli_done(&r);

  /* Unknown, duplicate and missing ids. */
  nli(&r, "{\"items\":[{\"id\":\"A1\",\"score\":0.6,\"label\":\"neutral\"},"
          "{\"id\":\"A1\",\"score\":0.1,\"label\":\"neutral\"},"
          "{\"id\":\"ZZ\",\"score\":0.6,\"label\":\"neutral\"}]}");
  CHECK_EQ_INT(r.got, 1);
  CHECK_NEAR(r.v[0].score, 0.6, 1e-6);
  CHECK(arag_strlist_has(&r.deg, "nli_batch_0:duplicate_id:A1"));
  CHECK(arag_strlist_has(&r.deg, "nli_batch_0:unknown_id:ZZ"));
  CHECK(arag_strlist_has(&r.deg, "nli_batch_0:missing:B2"));
  CHECK(arag_strlist_has(&r.deg, "nli_batch_0:missing:123"));
  CHECK(r.have[0] && !r.have[1] && !r.have[2]);
  nli_done(&r);

  nli(&r, "{\"verdict\": \"all good\"}");
  CHECK_EQ_INT(r.got, -1);
  CHECK(arag_strlist_has(&r.deg, "nli_batch_0:off_schema"));
  CHECK(!r.have[0] && !r.have[1] && !r.have[2]);
  nli_done(&r);

  /* Cut short: the complete verdict is kept, the cut one is named. */
  nli(&r, "{\"items\":[{\"id\":\"A1\",\"score\":0.9,\"label\":\"supports\"},{\"id\":\"B2\"");
  CHECK_EQ_INT(r.got, 1);
  CHECK(r.have[0] && !r.have[1]);
  CHECK(arag_strlist_has(&r.rep, "nli_batch_0:truncated_salvaged"));
  CHECK(arag_strlist_has(&r.deg, "nli_batch_0:off_schema_item:B2"));
  nli_done(&r);
  nli(&r, "Sure. {\"items\":[{\"id\":\"A1\",\"sc");
  CHECK_EQ_INT(r.got, 0);
  nli_done(&r);
  nli(&r, "no JSON at all");
  CHECK_EQ_INT(r.got, -1);
  CHECK(arag_strlist_has(&r.deg, "nli_batch_0:parse_error"));
  nli_done(&r);

  /* An entry with neither score nor label is off-schema. */
  nli(&r, "{\"items\":[{\"id\":\"A1\",\"rationale\":\"?\"}, {\"score\": 0.3}]}");
  CHECK_EQ_INT(r.got, 0);
  CHECK(arag_strlist_has(&r.deg, "nli_batch_0:off_schema_item:A1"));
  CHECK(arag_strlist_has(&r.deg, "nli_batch_0:entry_without_id"));
  nli_done(&r);
}

typedef struct ira_run {
  uint32_t order[3];
  float score[3];
  char *reason[3];
  cJSON *out;
  arag_strlist rep, deg;
  int got;
} ira_run;

static void ira(ira_run *r, const char *text) {
  memset(r, 0, sizeof *r);
  r->got = arag_parse_ira(text, strlen(text), "ira", ids3, 3, r->order, r->score, r->reason,
                          &r->out, &r->rep, &r->deg);
}

static void ira_done(ira_run *r) {
  for (int i = 0; i < 3; i++) free(r->reason[i]);
  cJSON_Delete(r->out);
  clear(&r->rep, &r->deg);
}

static int is_perm(const uint32_t *o, uint32_t n) {
  uint8_t seen[16] = {0};
  for (uint32_t i = 0; i < n; i++) {
    if (o[i] >= n || seen[o[i]]) return 0;
    seen[o[i]] = 1;
  }
  return 1;
}

static void test_ira(void) {
  ira_run r;
  ira(&r, "{\"ranking\":[{\"id\":\"123\",\"reason\":\"best\",\"score\":0.9},"
          "{\"id\":\"A1\",\"reason\":\"ok\"},{\"id\":\"B2\",\"reason\":\"meh\",\"score\":0.1}]}");
  CHECK_EQ_INT(r.got, 3);
  CHECK_EQ_INT(r.order[0], 2);
  CHECK_EQ_INT(r.order[1], 0);
  CHECK_EQ_INT(r.order[2], 1);
  CHECK_NEAR(r.score[2], 0.9, 1e-6);
  CHECK(isnan(r.score[0]));
  CHECK(r.reason[2] && strcmp(r.reason[2], "best") == 0);
  CHECK_EQ_INT(r.deg.n, 0);
  ira_done(&r);

  /* Unknown, duplicate, missing appended in fallback order; numeric id. */
  ira(&r, "```\n{\"ranking\":[{\"id\":\"B2\"},{\"id\":\"nope\"},{\"id\":\"B2\"}]}\n```");
  CHECK_EQ_INT(r.got, 1);
  CHECK(is_perm(r.order, 3));
  CHECK_EQ_INT(r.order[0], 1);
  CHECK_EQ_INT(r.order[1], 0);
  CHECK_EQ_INT(r.order[2], 2);
  CHECK(arag_strlist_has(&r.deg, "ira:unknown_id:nope"));
  CHECK(arag_strlist_has(&r.deg, "ira:duplicate_id:B2"));
  CHECK(arag_strlist_has(&r.deg, "ira:missing_appended:2"));
  CHECK(arag_strlist_has(&r.rep, "ira:json_in_code_fence"));
  ira_done(&r);

  /* Bare list of ids, one a number; a whole-number score read on a 0-10 scale, one out
   * of [0, 1] otherwise clamped. */
  ira(&r, "[123, \"A1\", {\"id\": \"B2\", \"score\": 7}]");
  CHECK_EQ_INT(r.got, 3);
  CHECK_EQ_INT(r.order[0], 2);
  CHECK(arag_strlist_has(&r.rep, "ira:bare_ids"));
  CHECK(arag_strlist_has(&r.rep, "ira:score_scale:10"));
  CHECK_NEAR(r.score[1], 0.7, 1e-6);
  ira_done(&r);
  ira(&r, "[{\"id\": \"B2\", \"score\": 1.5}, {\"id\": \"A1\", \"score\": 0.5}]");
  CHECK(arag_strlist_has(&r.rep, "ira:score_clamped:B2"));
  CHECK_NEAR(r.score[1], 1.0, 0);
  CHECK_NEAR(r.score[0], 0.5, 1e-6);
  ira_done(&r);

  ira(&r, "{\"ranking\": []}");
  CHECK_EQ_INT(r.got, 0);
  CHECK(is_perm(r.order, 3) && r.order[0] == 0 && r.order[1] == 1 && r.order[2] == 2);
  ira_done(&r);

  ira(&r, "{\"best\": \"A1\"}");
  CHECK_EQ_INT(r.got, -1);
  CHECK(arag_strlist_has(&r.deg, "ira:off_schema"));
  CHECK(is_perm(r.order, 3) && r.order[0] == 0);
  ira_done(&r);

  /* A flood of entries is cut, not scanned without bound. */
  size_t cap = 200000;
  char *flood = malloc(cap);
  size_t p = (size_t)sprintf(flood, "{\"ranking\":[");
  for (int i = 0; i < 5000; i++) p += (size_t)sprintf(flood + p, "%s\"x%d\"", i ? "," : "", i);
  strcpy(flood + p, "]}");
  ira(&r, flood);
  CHECK_EQ_INT(r.got, 0);
  CHECK(arag_strlist_has(&r.rep, "ira:entries_truncated"));
  CHECK(r.deg.n <= 4 * 3 + 16);
  ira_done(&r);
  free(flood);
}

static void test_reasoning_blocks(void) {
  arag_strlist rep = {0}, deg = {0};
  char *s = NULL;
  cJSON *out = NULL;
  struct {
    const char *text, *want, *repair;
  } cases[] = {
      /* Braces and brackets inside the thoughts, and a draft answer. */
      {"<think>The shopper likes {nail polish} and [gel]. Draft: {\"summary\":\"draft\"}"
       "</think>\n\n{\"summary\":\"final\"}",
       "final", "uua:reasoning_skipped"},
      {"<THINKING>{x} [y</THINKING>{\"summary\":\"upper\"}", "upper", "uua:reasoning_skipped"},
      {"<reasoning>a { b</reasoning> Answer: {\"summary\":\"r\"}", "r", "uua:json_after_prose"},
      /* Only the closing tag (the template opened the block in the prompt). */
      {"the user wants {lipstick} </think>{\"summary\":\"after\"}", "after",
       "uua:reasoning_skipped"},
      /* Left open (cut by max_tokens), the answer inside it. */
      {"<think>I will answer {\"summary\":\"inside\"} and then", "inside", "uua:json_in_reasoning"},
      /* Only thoughts, a draft first: the last answer in them is taken. */
      {"<think>Draft: {\"summary\":\"draft\"}. Better: {\"summary\":\"last\", \"interests\": "
       "[\"{x}\"]} done</think>",
       "last", "uua:json_in_reasoning"},
      /* gpt-oss' harmony channels. */
      {"<|channel|>analysis<|message|>think {x}<|end|><|start|>assistant<|channel|>final"
       "<|message|>{\"summary\":\"harmony\"}",
       "harmony", "uua:reasoning_skipped"},
      /* Prose with braces before the answer, no reasoning block. */
      {"I weighed {a, b} and [c]. Here: {\"summary\":\"prose\"}", "prose", "uua:json_after_prose"},
      /* Near misses of a tag before it, any case; a tag that opens at the very end. */
      {"a < b, <thin <th <ThInK>{x}</tHiNk>{\"summary\":\"mixed\"}<think>", "mixed",
       "uua:reasoning_unclosed"},
      {"<|channel|>fina <|channel|>final<|message|>{\"summary\":\"h2\"}", "h2",
       "uua:reasoning_skipped"},
      /* A fence closed at the very end. */
      {"Here:\n```json\n{\"summary\":\"fenced\"}\n```", "fenced", "uua:json_in_code_fence"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int r = arag_parse_summary(ARAG_AGENT_UUA, cases[i].text, strlen(cases[i].text), "uua", &s,
                               &out, &rep, &deg);
    CHECK_EQ_INT(r, 0);
    CHECK(s && strncmp(s, cases[i].want, strlen(cases[i].want)) == 0);
    if (!arag_strlist_has(&rep, cases[i].repair))
      fprintf(stderr, "case %zu: no %s\n", i, cases[i].repair);
    CHECK(arag_strlist_has(&rep, cases[i].repair));
    CHECK_EQ_INT(deg.n, 0);
    free(s);
    cJSON_Delete(out);
    clear(&rep, &deg);
  }
  /* Thoughts with no answer anywhere: a parse error, the open block named. */
  const char *open = "<think>Let me consider {the options} carefully and";
  CHECK_EQ_INT(arag_parse_summary(ARAG_AGENT_UUA, open, strlen(open), "uua", &s, &out, &rep, &deg),
               -1);
  CHECK(arag_strlist_has(&rep, "uua:reasoning_unclosed"));
  CHECK(arag_strlist_has(&deg, "uua:parse_error"));
  clear(&rep, &deg);
  /* A JSON value of another shape first: passed over for the one with the ranking. */
  ira_run r;
  ira(&r, "Note {\"note\": 1}. <think>[\"B2\"]</think> {\"ranking\":[\"123\",\"A1\",\"B2\"]}");
  CHECK_EQ_INT(r.got, 3);
  CHECK_EQ_INT(r.order[0], 2);
  ira_done(&r);
}

static void test_salvage(void) {
  ira_run r;
  /* Cut inside a reason: the item keeps its id, the half sentence is dropped. */
  ira(&r, "{\"ranking\":[{\"id\":\"123\",\"reason\":\"matches \\\"your\\\" [brand] {x}\"},"
          "{\"id\":\"A1\",\"reason\":\"because it is sim");
  CHECK_EQ_INT(r.got, 2);
  CHECK_EQ_INT(r.order[0], 2);
  CHECK_EQ_INT(r.order[1], 0);
  CHECK_EQ_INT(r.order[2], 1);
  CHECK(r.reason[2] && strcmp(r.reason[2], "matches \"your\" [brand] {x}") == 0);
  CHECK(r.reason[0] == NULL);
  CHECK(arag_strlist_has(&r.rep, "ira:truncated_salvaged"));
  CHECK(arag_strlist_has(&r.deg, "ira:missing_appended:1"));
  ira_done(&r);
  /* Cut inside a number, a key, after a comma or a colon. */
  const char *cuts[] = {"{\"ranking\":[{\"id\":\"A1\"},{\"id\":\"B2\",\"score\":0.",
                        "{\"ranking\":[{\"id\":\"A1\"},{\"id\":\"B2\",\"sco",
                        "{\"ranking\":[{\"id\":\"A1\"},{\"id\":\"B2\",",
                        "{\"ranking\":[{\"id\":\"A1\"},{\"id\":\"B2\",\"score\":",
                        "{\"ranking\":[{\"id\":\"A1\"},{\"id\":\"B2\"},"};
  for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
    ira(&r, cuts[i]);
    CHECK_EQ_INT(r.got, 2);
    CHECK(r.order[0] == 0 && r.order[1] == 1 && r.order[2] == 2);
    CHECK(isnan(r.score[1]));
    ira_done(&r);
  }
  /* A reasoning block left open after a cut answer is not mistaken for it. */
  ira(&r, "<think>{\"ranking\":[\"B2\"");
  CHECK_EQ_INT(r.got, 1);
  CHECK_EQ_INT(r.order[0], 1);
  ira_done(&r);
  /* Deep nesting is not followed past its bound. */
  char deep[400];
  size_t p = 0;
  for (int i = 0; i < 100; i++) deep[p++] = '[';
  deep[p] = 0;
  ira(&r, deep);
  CHECK(is_perm(r.order, 3));
  ira_done(&r);
}

static void test_score_scale(void) {
  nli_run r;
  nli(&r, "{\"items\":[{\"id\":\"A1\",\"score\":8},{\"id\":\"B2\",\"score\":3},"
          "{\"id\":\"123\",\"score\":10}]}");
  CHECK_EQ_INT(r.got, 3);
  CHECK(arag_strlist_has(&r.rep, "nli_batch_0:score_scale:10"));
  CHECK(!has_prefix_entry(&r.rep, "nli_batch_0:score_clamped"));
  CHECK_NEAR(r.v[0].score, 0.8, 1e-6);
  CHECK_NEAR(r.v[1].score, 0.3, 1e-6);
  CHECK_NEAR(r.v[2].score, 1.0, 1e-6);
  CHECK_EQ_INT(r.v[0].label, ARAG_NLI_SUPPORTS);
  nli_done(&r);
  nli(&r, "{\"items\":[{\"id\":\"A1\",\"score\":85.5},{\"id\":\"B2\",\"score\":\"40\"},"
          "{\"id\":\"123\",\"score\":62}]}");
  CHECK(arag_strlist_has(&r.rep, "nli_batch_0:score_scale:100"));
  CHECK_NEAR(r.v[0].score, 0.855, 1e-6);
  CHECK_NEAR(r.v[1].score, 0.4, 1e-6);
  nli_done(&r);
  /* On [0, 1] with one stray value: no rescale, the stray one clamped. */
  nli(&r, "{\"items\":[{\"id\":\"A1\",\"score\":0.9},{\"id\":\"B2\",\"score\":1.2},"
          "{\"id\":\"123\",\"score\":0.3}]}");
  CHECK(!has_prefix_entry(&r.rep, "nli_batch_0:score_scale"));
  CHECK(arag_strlist_has(&r.rep, "nli_batch_0:score_clamped:B2"));
  CHECK_NEAR(r.v[0].score, 0.9, 1e-6);
  nli_done(&r);
  ira_run q;
  ira(&q, "{\"ranking\":[{\"id\":\"A1\",\"score\":95},{\"id\":\"B2\",\"score\":40},"
          "{\"id\":\"123\",\"score\":12}]}");
  CHECK(arag_strlist_has(&q.rep, "ira:score_scale:100"));
  CHECK_NEAR(q.score[0], 0.95, 1e-6);
  CHECK_NEAR(q.score[2], 0.12, 1e-6);
  ira_done(&q);
}

static void test_loose_ids(void) {
  static const char *const ids[] = {"B00ABC", "b00xyz", "0042", "item 7", "AB", "ab"};
  uint32_t order[6];
  float score[6];
  char *reason[6];
  cJSON *out = NULL;
  arag_strlist rep = {0}, deg = {0};
  const char *text = "{\"ranking\":[{\"id\":\"b00abc\"},{\"id\":\" B00XYZ \"},{\"id\":42},"
                     "{\"id\":\"ITEM7\"},{\"id\":\"[B00ABC]\"},{\"id\":\"Ab\"},{\"id\":\"ab\"}]}";
  int got =
      arag_parse_ira(text, strlen(text), "ira", ids, 6, order, score, reason, &out, &rep, &deg);
  CHECK_EQ_INT(got, 5);
  CHECK(order[0] == 0 && order[1] == 1 && order[2] == 2 && order[3] == 3 && order[4] == 5);
  CHECK(arag_strlist_has(&rep, "ira:id_matched:b00abc"));
  CHECK(arag_strlist_has(&rep, "ira:id_matched:B00XYZ"));
  CHECK(arag_strlist_has(&rep, "ira:id_matched:42"));
  CHECK(arag_strlist_has(&rep, "ira:id_matched:ITEM7"));
  /* The same item again, written loosely: a duplicate of the exact id. */
  CHECK(arag_strlist_has(&deg, "ira:duplicate_id:B00ABC"));
  /* "Ab" matches both "AB" and "ab": ambiguous, so unknown. */
  CHECK(arag_strlist_has(&deg, "ira:unknown_id:Ab"));
  for (int i = 0; i < 6; i++) free(reason[i]);
  cJSON_Delete(out);
  clear(&rep, &deg);
}

/* The entry of id in an IRA output. */
static const cJSON *ira_entry(const cJSON *out, const char *id) {
  const cJSON *e;
  cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(out, "ranking")) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, "id");
    if (cJSON_IsString(v) && strcmp(v->valuestring, id) == 0) return e;
  }
  return NULL;
}

/* The kept citations of an entry as "kind:id,id;kind;..." and its dropped count. */
static const char *cites_of(const cJSON *e, char *buf, size_t cap, int *dropped) {
  size_t n = 0;
  buf[0] = 0;
  const cJSON *c, *x;
  cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(e, "cite")) {
    n += (size_t)snprintf(buf + n, cap - n, "%s%s", n ? ";" : "",
                          cJSON_GetObjectItemCaseSensitive(c, "kind")->valuestring);
    int q = 0;
    cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(c, "items")) {
      n += (size_t)snprintf(buf + n, cap - n, "%s%s", q++ ? "," : ":", x->valuestring);
    }
  }
  const cJSON *d = cJSON_GetObjectItemCaseSensitive(e, "cite_dropped");
  *dropped = cJSON_IsNumber(d) ? d->valueint : 0;
  return buf;
}

/* IRA citations are read tolerantly: every form a model may write is kept as {kind,
 * items}, anything malformed is dropped and counted, and no citation makes the answer
 * fail or changes the ranking. */
static void test_ira_citations(void) {
  char buf[1024];
  int dropped = -1;
  ira_run r;
  ira(&r, "{\"ranking\":["
          "{\"id\":\"A1\",\"cite\":[\"brand:h1\",\" Category : h2 \",\"popular\","
          "{\"kind\":\"title-words\",\"items\":[\"h3\",7]},{\"type\":\"price\",\"id\":\"h4\"},"
          "{\"bought_together\":\"h5\",\"repeat\":null}]},"
          "{\"id\":\"B2\",\"citations\":\"brand:h:1:x\"},"
          "{\"id\":\"123\",\"reason\":\"r\"}]}");
  CHECK_EQ_INT(r.got, 3);
  CHECK(strcmp(cites_of(ira_entry(r.out, "A1"), buf, sizeof buf, &dropped),
               "brand:h1;category:h2;popular;title_words:h3,7;price:h4;bought_together:h5;"
               "repeat") == 0);
  CHECK_EQ_INT(dropped, 0);
  /* The id is everything after the first ':'. */
  CHECK(strcmp(cites_of(ira_entry(r.out, "B2"), buf, sizeof buf, &dropped), "brand:h:1:x") == 0);
  /* No citations: no key at all. */
  CHECK(cJSON_GetObjectItemCaseSensitive(ira_entry(r.out, "123"), "cite") == NULL);
  CHECK(cJSON_GetObjectItemCaseSensitive(ira_entry(r.out, "123"), "cite_dropped") == NULL);
  CHECK_EQ_INT(r.deg.n, 0);
  ira_done(&r);

  /* Malformed ones: nested junk, non-string kinds, empty or overlong kinds and ids, more
   * than ARAG_CITE_IDS ids, objects as ids, numbers, null and booleans as elements. */
  ira(&r,
      "{\"ranking\":[{\"id\":\"B2\",\"score\":0.5,\"cite\":[[[[\"brand\"]]],{\"kind\":7},"
      "{\"kind\":{\"kind\":\"brand\"}},\"\",\":h1\",\"brand:\",\"this kind is far too long "
      "to be a kind of evidence:h1\",{\"kind\":\"brand\",\"items\":[1,2,3,4,5,6,7,8,9]},"
      "{\"kind\":\"brand\",\"items\":[{\"id\":\"h1\"}]},{\"kind\":\"brand\",\"items\":[[\"h1\"]]},"
      "42,null,true,{},\"bra\\u0001nd:h1\",\"brand:h1\"]},"
      "{\"id\":\"123\",\"cite\":17},{\"id\":\"A1\",\"cite\":null}]}");
  CHECK_EQ_INT(r.got, 3);
  CHECK(r.order[0] == 1 && r.order[1] == 2 && r.order[2] == 0);
  CHECK(r.score[1] == 0.5f);
  CHECK(strcmp(cites_of(ira_entry(r.out, "B2"), buf, sizeof buf, &dropped), "brand:h1") == 0);
  CHECK_EQ_INT(dropped, 15);
  CHECK(strcmp(cites_of(ira_entry(r.out, "123"), buf, sizeof buf, &dropped), "") == 0);
  CHECK_EQ_INT(dropped, 1);
  CHECK(cJSON_GetObjectItemCaseSensitive(ira_entry(r.out, "A1"), "cite_dropped") == NULL);
  ira_done(&r);

  /* A huge list: the first ARAG_CITES_MAX are kept, the rest counted as dropped. */
  arag_sb b;
  arag_sb_init(&b);
  arag_sb_puts(&b, "{\"ranking\":[{\"id\":\"B2\",\"cite\":[");
  for (int i = 0; i < 20000; i++) arag_sb_printf(&b, "%s\"brand:h%d\"", i ? "," : "", i);
  arag_sb_puts(&b, "]},{\"id\":\"123\"},{\"id\":\"A1\"}]}");
  memset(&r, 0, sizeof r);
  r.got = arag_parse_ira(b.p, b.len, "ira", ids3, 3, r.order, r.score, r.reason, &r.out, &r.rep,
                         &r.deg);
  CHECK_EQ_INT(r.got, 3);
  const cJSON *a = ira_entry(r.out, "B2");
  CHECK_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(a, "cite")), ARAG_CITES_MAX);
  cites_of(a, buf, sizeof buf, &dropped);
  CHECK_EQ_INT(dropped, 20000 - ARAG_CITES_MAX);
  ira_done(&r);
  arag_sb_free(&b);

  /* Citations of an entry that is itself dropped (an unknown id) go with it. */
  ira(&r, "{\"ranking\":[{\"id\":\"zz\",\"cite\":[\"brand:h1\"]},{\"id\":\"B2\"}]}");
  CHECK_EQ_INT(r.got, 1);
  CHECK(ira_entry(r.out, "zz") == NULL);
  CHECK(cJSON_GetObjectItemCaseSensitive(ira_entry(r.out, "B2"), "cite") == NULL);
  ira_done(&r);
}

int main(void) {
  RUN(test_extract);
  RUN(test_summary);
  RUN(test_labels);
  RUN(test_nli);
  RUN(test_ira);
  RUN(test_ira_citations);
  RUN(test_reasoning_blocks);
  RUN(test_salvage);
  RUN(test_score_scale);
  RUN(test_loose_ids);
  return test_report();
}
