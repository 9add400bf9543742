#include "prompt_render.h"

#include "evidence.h"
#include "item.h"
#include "json_write.h"
#include "prompts.h"
#include "strbuf.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CATEGORIES 8

const char *arag_response_schema(arag_agent agent) {
  return (unsigned)agent < ARAG_AGENT_COUNT ? arag_agent_specs[agent].schema : "{}";
}

static void put_text(arag_sb *b, const char *s, uint32_t max) {
  arag_sb_json_text(b, s ? s : "", s ? strlen(s) : 0, max);
}

static void put_num(arag_sb *b, const char *key, double v) {
  if (!isfinite(v)) return;
  char num[32];
  size_t n = arag_fmt_g4(num, v);
  arag_sb_append(b, ",\"", 2);
  arag_sb_puts(b, key);
  arag_sb_append(b, "\":", 2);
  arag_sb_append(b, num, n);
}

/* The item fields every line shares: id, title, categories, brand, price, text. */
static void put_item_fields(arag_sb *b, const arag_item *it, uint32_t max) {
  arag_sb_puts(b, "\"id\":");
  put_text(b, it->id, 0);
  arag_sb_puts(b, ",\"title\":");
  put_text(b, it->title, max);
  if (it->n_categories) {
    arag_sb_puts(b, ",\"categories\":[");
    uint32_t n = it->n_categories < MAX_CATEGORIES ? it->n_categories : MAX_CATEGORIES;
    for (uint32_t i = 0; i < n; i++) {
      if (i) arag_sb_puts(b, ",");
      put_text(b, it->categories[i], max);
    }
    arag_sb_puts(b, "]");
  }
  if (it->brand && it->brand[0]) {
    arag_sb_puts(b, ",\"brand\":");
    put_text(b, it->brand, max);
  }
  put_num(b, "price", it->price);
  if (it->text && it->text[0]) {
    arag_sb_puts(b, ",\"text\":");
    put_text(b, it->text, max);
  }
}

/* The memoized length of a part when b only counts, or NULL (then render it). */
static size_t *memo_slot(const arag_sb *b, const void *base, size_t elem, uint32_t n, size_t *lens,
                         const void *p) {
  if (!b->count_only || !base || !lens) return NULL;
  const char *c = (const char *)p, *lo = (const char *)base;
  if (c < lo || c >= lo + (size_t)n * elem) return NULL;
  return &lens[(size_t)(c - lo) / elem];
}

/* put_item_fields of a candidate, counted once per memo. */
static void put_cand_fields(arag_sb *b, const arag_item *it, uint32_t max, arag_render_memo *memo) {
  size_t *slot =
      memo ? memo_slot(b, memo->items, sizeof *it, memo->n_items, memo->item_len, it) : NULL;
  if (slot && *slot) {
    b->len += *slot;
    return;
  }
  size_t before = b->len;
  put_item_fields(b, it, max);
  if (slot) *slot = b->len - before;
}

static void put_events(arag_sb *b, const char *label, const arag_event *const *ev, uint32_t n,
                       uint32_t max, arag_render_memo *memo) {
  arag_sb_printf(b, "%s: %u events, oldest first\n", label, n);
  for (uint32_t i = 0; i < n; i++) {
    const arag_event *e = ev[i];
    size_t *slot =
        memo ? memo_slot(b, memo->events, sizeof *e, memo->n_events, memo->event_len, e) : NULL;
    if (slot && *slot) {
      b->len += *slot;
      continue;
    }
    size_t before = b->len;
    arag_sb_printf(b, "{\"kind\":\"%s\"", arag_event_kind_name(e->kind, ARAG_EV_VIEW));
    put_num(b, "rating", e->rating);
    arag_sb_puts(b, ",");
    put_item_fields(b, &e->item, max);
    arag_sb_puts(b, "}\n");
    if (slot) *slot = b->len - before;
  }
}

static void put_summary(arag_sb *b, const char *label, const char *s, uint32_t max) {
  arag_sb_printf(b, "%s: ", label);
  if (s)
    put_text(b, s, max);
  else
    arag_sb_puts(b, "null");
  arag_sb_puts(b, "\n");
}

/* One candidate line of the CSA and IRA prompts: its fields, then its retrieval
 * score and NLI verdict when the input has them (the rationale for the CSA), and for
 * an IRA that cites, its evidence (evidence.h: arag_evidence_prompt). */
static void put_scored_cand(arag_sb *bp, const arag_agent_input *in, uint32_t i, uint32_t max,
                            arag_render_memo *memo, int with_rationale) {
  arag_sb_puts(bp, "{");
  put_cand_fields(bp, in->cands[i], max, memo);
  if (in->retrieval) put_num(bp, "retrieval", in->retrieval[i]);
  if (in->nli) {
    put_num(bp, "nli_score", in->nli[i].score);
    arag_sb_puts(bp, ",\"label\":\"");
    arag_sb_puts(bp, arag_nli_label_name(in->nli[i].label));
    if (with_rationale) {
      arag_sb_puts(bp, "\",\"rationale\":");
      put_text(bp, in->nli[i].rationale, max);
    } else {
      arag_sb_puts(bp, "\"");
    }
  }
  if (!with_rationale && in->cite_k && in->evidence && in->ev_history && in->features &&
      in->evidence[i].n) {
    arag_sb_puts(bp, ",\"evidence\":");
    arag_evidence_prompt(bp, in->ev_history, in->cands[i], &in->features[i], &in->evidence[i]);
  }
  arag_sb_puts(bp, "}\n");
}

static void render_user(arag_sb *bp, const arag_agent_input *in, const arag_render_opts *o,
                        arag_render_memo *memo) {
  uint32_t max = o->max_item_chars;
  uint32_t smax = max ? max * 4 : 0;
  arag_sb_puts(bp, ARAG_FENCE_OPEN "\n");
  switch (in->agent) {
  case ARAG_AGENT_UUA:
    put_events(bp, "long_term", in->long_term, in->n_long_term, max, memo);
    put_events(bp, "session", in->session, in->n_session, max, memo);
    break;
  case ARAG_AGENT_NLI:
    put_events(bp, "long_term", in->long_term, in->n_long_term, max, memo);
    put_events(bp, "session", in->session, in->n_session, max, memo);
    arag_sb_printf(bp, "candidates: %u items\n", in->n_cands);
    for (uint32_t i = 0; i < in->n_cands; i++) {
      arag_sb_puts(bp, "{");
      put_cand_fields(bp, in->cands[i], max, memo);
      arag_sb_puts(bp, "}\n");
    }
    break;
  case ARAG_AGENT_CSA:
    put_summary(bp, "user_summary", in->s_user, smax);
    arag_sb_printf(bp, "accepted: %u items\n", in->n_cands);
    for (uint32_t i = 0; i < in->n_cands; i++) put_scored_cand(bp, in, i, max, memo, 1);
    break;
  case ARAG_AGENT_IRA:
    put_summary(bp, "user_summary", in->s_user, smax);
    put_summary(bp, "context_summary", in->s_ctx, smax);
    arag_sb_printf(bp, "candidates: %u items\n", in->n_cands);
    for (uint32_t i = 0; i < in->n_cands; i++) put_scored_cand(bp, in, i, max, memo, 0);
    break;
  }
  arag_sb_puts(bp, ARAG_FENCE_CLOSE "\n");
  /* The agent's closing line (the agent table's ask; an IRA that cites asks for it). */
  const arag_agent_spec *spec = &arag_agent_specs[in->agent];
  uint32_t cited = arag_agent_cited_items(in);
  if (cited)
    arag_sb_printf(bp, spec->ask_cite, in->n_cands, cited);
  else
    arag_sb_printf(bp, spec->ask, in->n_cands);
}

char *arag_render_user_message(const arag_agent_input *in, const arag_render_opts *o, size_t *len) {
  arag_sb b;
  arag_sb_init(&b);
  render_user(&b, in, o, NULL);
  return arag_sb_take(&b, len);
}

size_t arag_render_user_message_len(const arag_agent_input *in, const arag_render_opts *o,
                                    arag_render_memo *memo) {
  arag_sb b;
  arag_sb_init_counter(&b);
  render_user(&b, in, o, memo);
  return b.len;
}

char *arag_render_request(const arag_agent_input *in, const arag_render_opts *o, size_t *len,
                          size_t *prompt_chars) {
  const arag_prompt *tpl = arag_prompt_get(arag_agent_name(in->agent));
  if (!tpl) return NULL;
  arag_sb u;
  arag_sb_init(&u);
  render_user(&u, in, o, NULL);
  size_t ulen = 0;
  char *user = arag_sb_take(&u, &ulen);
  if (!user) return NULL;
  /* Written directly: the bytes cJSON_PrintUnformatted gives for the object
   * {"messages":[system, user], "agent", "response_schema", "max_tokens",
   * "temperature"} (the schemas are compact JSON texts already). */
  arag_sb b;
  arag_sb_init(&b);
  arag_sb_reserve(&b, tpl->len + ulen + ulen / 8 + 1024);
  arag_sb_puts(&b, "{\"messages\":[{\"role\":\"system\",\"content\":");
  arag_jw_string(&b, tpl->text);
  arag_sb_puts(&b, "},{\"role\":\"user\",\"content\":");
  arag_jw_string(&b, user);
  arag_sb_puts(&b, "}],\"agent\":");
  arag_jw_string(&b, arag_agent_name(in->agent));
  arag_sb_puts(&b, ",\"response_schema\":");
  arag_sb_puts(&b, arag_response_schema(in->agent));
  arag_sb_puts(&b, ",\"max_tokens\":");
  arag_jw_number(&b, o->max_tokens);
  arag_sb_puts(&b, ",\"temperature\":");
  arag_jw_number(&b, o->temperature);
  arag_sb_puts(&b, "}");
  free(user);
  size_t n = 0;
  char *out = arag_sb_take(&b, &n);
  if (out) {
    if (len) *len = n;
    if (prompt_chars) *prompt_chars = tpl->len + ulen;
  }
  return out;
}
