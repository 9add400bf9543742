/* The end of a recommendation: the shelf's rules on the first k places (shelf.h),
 * then the result JSON (items with reasons and evidence, the whole order, what
 * degraded and which fallbacks answered, usage, and the trace), written directly:
 * the same bytes cJSON_PrintUnformatted gives for the same values (json_write.h). */
#include "pipeline.h"

#include "evidence.h"
#include "interest.h"
#include "json_write.h"
#include "strbuf.h"
#include <math.h>
#include <stdlib.h>

static double round4(double x) { return floor(x * 10000 + 0.5) / 10000; }

static float base_score(const arag_session *s, uint32_t j) {
  if (s->cfg.agents[ARAG_AGENT_NLI]) return s->nli[j].score;
  float r = s->retrieval[j];
  return r < 0 ? 0.0f : r > 1 ? 1.0f : r;
}

static void string_array(arag_sb *b, const char *const *v, uint32_t n) {
  arag_sb_append(b, "[", 1);
  for (uint32_t i = 0; i < n; i++) {
    if (i) arag_sb_append(b, ",", 1);
    arag_jw_string(b, v[i]);
  }
  arag_sb_append(b, "]", 1);
}

/* The first k of the order: id, score (IRA's, else one from rank and verdict),
 * reason (IRA's, else the NLI rationale) and evidence. */
static void write_items(arag_sb *b, const arag_session *s, uint32_t k) {
  uint32_t n = s->n_cands;
  arag_sb_append(b, "[", 1);
  for (uint32_t r = 0; r < k; r++) {
    uint32_t j = s->order[r];
    double score = s->ira_score[j];
    if (isnan(score)) score = 0.5 * (1.0 - (double)r / (double)n) + 0.5 * (double)base_score(s, j);
    const char *reason = s->ira_reason[j]                          ? s->ira_reason[j]
                         : s->nli_source[j] && s->nli_rationale[j] ? s->nli_rationale[j]
                                                                   : "";
    int f = 1;
    arag_sb_append(b, r ? ",{" : "{", r ? 2 : 1);
    arag_jw_key(b, &f, "id");
    arag_jw_string(b, s->cand_ids[j]);
    arag_jw_key(b, &f, "score");
    arag_jw_number(b, round4(score));
    arag_jw_key(b, &f, "reason");
    arag_jw_string(b, reason);
    if (s->evidence) {
      arag_jw_key(b, &f, "evidence");
      arag_evidence_json(b, s->ev_history, &s->cands[j], &s->cand_feat[j], &s->evidence[j],
                         s->cited ? s->cited[j] : 0);
    }
    arag_sb_append(b, "}", 1);
  }
  arag_sb_append(b, "]", 1);
}

static void write_order(arag_sb *b, const arag_session *s) {
  arag_sb_append(b, "[", 1);
  for (uint32_t r = 0; r < s->n_cands; r++) {
    if (r) arag_sb_append(b, ",", 1);
    arag_jw_string(b, s->cand_ids[s->order[r]]);
  }
  arag_sb_append(b, "]", 1);
}

/* Every step a fallback answered (or filled in), with the cause. */
static void write_fallbacks(arag_sb *b, const arag_session *s) {
  arag_sb_append(b, "[", 1);
  int fb_first = 1;
  for (uint32_t i = 0; i < s->bb.n; i++) {
    const arag_bb_msg *m = &s->bb.msgs[i];
    if (!m->fallback) continue;
    char step[48];
    arag_step_name(m, step, sizeof step);
    int f = 1;
    arag_sb_append(b, fb_first ? "{" : ",{", fb_first ? 1 : 2);
    fb_first = 0;
    arag_jw_key(b, &f, "step");
    arag_jw_string(b, step);
    arag_jw_key(b, &f, "agent");
    arag_jw_string(b, arag_agent_name(m->agent));
    arag_jw_key(b, &f, "cause");
    arag_jw_string(b, m->cause ? m->cause : "parse");
    arag_jw_key(b, &f, "fallback");
    arag_jw_string(b, m->fallback);
    arag_jw_key(b, &f, "items");
    arag_jw_number(b, m->fallback_items            ? m->fallback_items
                      : m->agent == ARAG_AGENT_NLI ? m->count
                      : m->agent == ARAG_AGENT_IRA ? s->n_cands
                                                   : 0);
    arag_sb_append(b, "}", 1);
  }
  arag_sb_append(b, "]", 1);
}

static void write_usage(arag_sb *b, const arag_session *s) {
  uint64_t pt = 0, ct = 0, pc = 0, calls = 0;
  for (uint32_t i = 0; i < s->bb.n; i++) {
    const arag_bb_msg *m = &s->bb.msgs[i];
    if (m->sent) calls++;
    pc += m->prompt_chars;
    if (m->prompt_tokens > 0) pt += (uint64_t)m->prompt_tokens;
    if (m->completion_tokens > 0) ct += (uint64_t)m->completion_tokens;
  }
  int f = 1;
  arag_sb_append(b, "{", 1);
  arag_jw_key(b, &f, "calls");
  arag_jw_number(b, (double)calls);
  arag_jw_key(b, &f, "prompt_tokens");
  arag_jw_number(b, (double)pt);
  arag_jw_key(b, &f, "completion_tokens");
  arag_jw_number(b, (double)ct);
  arag_jw_key(b, &f, "prompt_chars");
  arag_jw_number(b, (double)pc);
  arag_sb_append(b, "}", 1);
}

static void event_ids(arag_sb *b, const arag_session *s, uint32_t from, uint32_t n) {
  arag_sb_append(b, "[", 1);
  for (uint32_t i = 0; i < n; i++) {
    if (i) arag_sb_append(b, ",", 1);
    arag_jw_string(b, s->events[from + i].item.id);
  }
  arag_sb_append(b, "]", 1);
}

/* The interest shift the context and the offline reasoner weighed (interest.h). */
static void write_shift(arag_sb *b, const arag_session *s) {
  uint32_t total = s->n_long + s->n_sess;
  float *w = total ? malloc(total * sizeof *w) : NULL;
  arag_shift sh = {0};
  float older = 1.0f;
  if (w) {
    arag_interest_shift((const arag_event *const *)s->ev_ptrs, total, s->cfg.reasoner.shift, &sh,
                        w);
    if (sh.first) older = w[0];
    for (uint32_t i = 0; i < sh.first; i++)
      if (w[i] < older) older = w[i];
    free(w);
  }
  int g = 1;
  arag_sb_append(b, "{", 1);
  arag_jw_key(b, &g, "share");
  arag_jw_number(b, round4(sh.shift));
  arag_jw_key(b, &g, "run");
  arag_jw_number(b, (double)sh.run);
  arag_jw_key(b, &g, "older_weight");
  arag_jw_number(b, round4(older));
  arag_sb_append(b, "}", 1);
}

static void write_context(arag_sb *b, const arag_session *s) {
  int f = 1;
  arag_sb_append(b, "{", 1);
  arag_jw_key(b, &f, "long_term");
  event_ids(b, s, 0, s->n_long);
  arag_jw_key(b, &f, "session");
  event_ids(b, s, s->n_long, s->n_sess);
  arag_jw_key(b, &f, "shift");
  write_shift(b, s);
  arag_sb_append(b, "}", 1);
}

static void string_or_null(arag_sb *b, const char *v) {
  if (v)
    arag_jw_string(b, v);
  else
    arag_sb_append(b, "null", 4);
}

static void write_i0(arag_sb *b, const arag_session *s) {
  arag_sb_append(b, "[", 1);
  for (uint32_t j = 0; j < s->n_cands; j++) {
    int f = 1;
    arag_sb_append(b, j ? ",{" : "{", j ? 2 : 1);
    arag_jw_key(b, &f, "id");
    arag_jw_string(b, s->cand_ids[j]);
    arag_jw_key(b, &f, "title");
    arag_jw_string(b, s->cands[j].title);
    arag_jw_key(b, &f, "retrieval");
    arag_jw_number(b, round4(s->retrieval[j]));
    arag_sb_append(b, "}", 1);
  }
  arag_sb_append(b, "]", 1);
}

/* Who gave each verdict, by ARAG_SRC_*. */
static const char *const source_names[] = {"retrieval_fallback", "agent", "offline"};

static void write_nli(arag_sb *b, const arag_session *s) {
  arag_sb_append(b, "[", 1);
  for (uint32_t j = 0; s->cfg.agents[ARAG_AGENT_NLI] && j < s->n_cands; j++) {
    int f = 1;
    arag_sb_append(b, j ? ",{" : "{", j ? 2 : 1);
    arag_jw_key(b, &f, "id");
    arag_jw_string(b, s->cand_ids[j]);
    arag_jw_key(b, &f, "score");
    arag_jw_number(b, round4(s->nli[j].score));
    arag_jw_key(b, &f, "label");
    arag_jw_string(b, arag_nli_label_name(s->nli[j].label));
    arag_jw_key(b, &f, "rationale");
    arag_jw_string(b, s->nli[j].rationale ? s->nli[j].rationale : "");
    arag_jw_key(b, &f, "accepted");
    arag_sb_puts(b, s->accepted[j] ? "true" : "false");
    arag_jw_key(b, &f, "source");
    arag_jw_string(b, source_names[s->nli_source[j] <= ARAG_SRC_OFFLINE ? s->nli_source[j] : 0]);
    arag_sb_append(b, "}", 1);
  }
  arag_sb_append(b, "]", 1);
}

/* A model ranked: per item with citations, the kinds that held and the dropped. */
static void write_citations(arag_sb *b, const arag_session *s) {
  arag_sb_append(b, "[", 1);
  int c_first = 1;
  for (uint32_t r = 0; r < s->n_cands; r++) {
    uint32_t j = s->order[r];
    if (!s->cited[j] && !s->cite_dropped[j]) continue;
    int f = 1;
    arag_sb_append(b, c_first ? "{" : ",{", c_first ? 1 : 2);
    c_first = 0;
    arag_jw_key(b, &f, "id");
    arag_jw_string(b, s->cand_ids[j]);
    arag_jw_key(b, &f, "cited");
    arag_sb_append(b, "[", 1);
    for (uint32_t e = 0, q = 0; e < s->evidence[j].n; e++)
      if (s->cited[j] >> e & 1u) {
        if (q++) arag_sb_append(b, ",", 1);
        arag_jw_string(b, arag_ev_kind_name(s->evidence[j].e[e].kind));
      }
    arag_sb_append(b, "]", 1);
    arag_jw_key(b, &f, "dropped");
    arag_jw_number(b, (double)s->cite_dropped[j]);
    arag_sb_append(b, "}", 1);
  }
  arag_sb_append(b, "]", 1);
}

/* How the recommendation came about: its config, context, summaries, I0 with the
 * retrieval scores, every verdict, the accepted count, its time, every call and a
 * model's citations. */
static void write_trace(arag_sb *b, const arag_session *s) {
  int t = 1;
  arag_sb_append(b, "{", 1);
  cJSON *cfg = arag_config_json(&s->cfg);
  if (cfg) {
    arag_jw_key(b, &t, "config");
    arag_jw_value(b, cfg);
    cJSON_Delete(cfg);
  }
  arag_jw_key(b, &t, "context");
  write_context(b, s);
  arag_jw_key(b, &t, "s_user");
  string_or_null(b, s->s_user);
  arag_jw_key(b, &t, "s_ctx");
  string_or_null(b, s->s_ctx);
  arag_jw_key(b, &t, "i0");
  write_i0(b, s);
  arag_jw_key(b, &t, "nli");
  write_nli(b, s);
  uint32_t n_acc = 0;
  for (uint32_t j = 0; j < s->n_cands; j++) n_acc += s->accepted[j];
  arag_jw_key(b, &t, "accepted");
  arag_jw_number(b, n_acc);
  arag_jw_key(b, &t, "elapsed_ms");
  arag_jw_number(b, round4(arag_session_ms(s)));
  arag_jw_key(b, &t, "messages");
  arag_bb_messages_write(&s->bb, b);
  if (s->cited) {
    arag_jw_key(b, &t, "citations");
    write_citations(b, s);
  }
  arag_sb_append(b, "}", 1);
}

void arag_result_write(arag_session *s) {
  uint32_t n = s->n_cands;
  uint32_t k = s->cfg.k < n ? s->cfg.k : n;
  if (s->cand_feat && !arag_shelf_arrange(&s->cfg.shelf, k, s->order, n, s->cands, s->cand_feat,
                                          s->events ? s->events + s->n_long : NULL, s->n_sess))
    arag_bb_degrade(&s->bb, -1, "shelf:out_of_memory");
  s->state = ARAG_SESSION_DONE;
  s->catalog = NULL;
  arag_sb sb;
  arag_sb *b = &sb;
  arag_sb_init(b);
  /* About 1 KB per candidate (trace included): one allocation, no regrowth copies. */
  arag_sb_reserve(b, 8192 + (size_t)n * 1024);
  int first = 1;
  arag_sb_append(b, "{", 1);
  arag_jw_key(b, &first, "items");
  write_items(b, s, k);
  arag_jw_key(b, &first, "order");
  write_order(b, s);
  arag_jw_key(b, &first, "degraded");
  string_array(b, (const char *const *)s->bb.degraded.v, s->bb.degraded.n);
  arag_jw_key(b, &first, "fallbacks");
  write_fallbacks(b, s);
  arag_jw_key(b, &first, "usage");
  write_usage(b, s);
  arag_jw_key(b, &first, "trace");
  write_trace(b, s);
  arag_sb_append(b, "}", 1);
  free(s->result);
  s->result = arag_sb_take(b, &s->result_len);
  if (!s->result) s->result_len = 0;
}
