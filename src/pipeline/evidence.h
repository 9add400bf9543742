/* Evidence: what a recommended item has in common with the shopper's history, as
 * structured facts that travel with the item in the result (items[].evidence, see
 * include/arag.h) and that a reason is rendered from. Every fact is computed from the
 * data itself, exactly, so it can be checked against the catalog and the history
 * (web/src/eval/check-reasons.mjs does). Kinds, in the order they are listed:
 *   repeat           the item is in the history (how many purchase events)
 *   bought_together  a history item the catalog lists with it as bought together, and
 *                    the weight the catalog gives (say, shoppers who bought both)
 *   title_words      words its title shares with one history item's title
 *   brand            its brand and every history item of that brand
 *   category         the deepest category path it shares with history items, as the
 *                    item has it, and every history item on that path
 *   price            its price within the range of the history items' prices
 *   popular          its popularity, among the top quarter of the candidates'
 *   text_words       words its text shares with a recent history item's text (only
 *                    when nothing above holds)
 * "History items" are the distinct items of the events the recommendation read
 * (trace.context): an item seen three times counts once. The item itself is never
 * one of its own history items. */
#ifndef ARAG_EVIDENCE_H
#define ARAG_EVIDENCE_H

#include "brands.h"
#include "item.h"
#include "model.h"
#include "reasoner_text.h"
#include "strbuf.h"
#include "term_df.h"

#define ARAG_EV_MAX 8
#define ARAG_EV_WORDS 3
/* Brands a title may start with (brands.h: arag_title_brands). */
#define ARAG_EV_LEAD_BRANDS (ARAG_BRAND_LEVELS - 1)
/* Text words are looked for in this many of the most recent history items. */
#define ARAG_EV_TEXT_ITEMS 20
/* A quoted history title is cut at a word boundary to at most this many bytes. */
#define ARAG_EV_TITLE_BYTES 80

typedef enum arag_ev_kind {
  ARAG_EV_REPEAT = 0,
  ARAG_EV_BOUGHT_TOGETHER,
  ARAG_EV_TITLE_WORDS,
  ARAG_EV_BRAND,
  ARAG_EV_CATEGORY,
  ARAG_EV_PRICE,
  ARAG_EV_POPULAR,
  ARAG_EV_TEXT_WORDS
} arag_ev_kind;

const char *arag_ev_kind_name(arag_ev_kind k);

/* The history's distinct items, most recent first. */
typedef struct arag_ev_history {
  uint32_t n;
  const arag_item **item; /* the item of its most recent event */
  rs_feat *f;
  uint32_t *purchases; /* its purchase events */
  uint64_t *title_terms;
  uint32_t *n_title_terms; /* title_terms + i * ARAG_TERM_MAX */
  uint64_t *text_terms;    /* of the first ARAG_EV_TEXT_ITEMS: + i * ARAG_TEXT_TERM_MAX */
  /* Items without a brand field: the keys of every brand their titles start with
   * (+ i * ARAG_EV_LEAD_BRANDS; 0: none). */
  uint64_t *lead_keys;
  uint32_t *n_text_terms;
  uint64_t *related; /* hashes of each item's related ids (+ i * ARAG_ITEM_MAX_RELATED) */
  float *title_norm; /* each title's summed word weights (for norms_df) */
  /* Which titles hold a word: an open-addressing table (title_cap slots, a power of
   * two) of word keys, each with its list of titles (post_item, post_next; UINT32_MAX
   * ends a list), in ascending order, each title once; title_share: one sum per title
   * for the candidate at hand. */
  uint64_t *title_key;
  uint32_t *title_head; /* 0: empty slot, else 1 + the list's first posting */
  uint32_t *post_item, *post_next;
  uint32_t title_cap;
  float *title_share;
  const arag_term_df *norms_df;
  int norms_done;
} arag_ev_history;

/* The events read: long-term then session, oldest first. NULL when out of memory. bs:
 * the catalog's brand statistics (may be NULL: then only the brands the session
 * resolved count). */
arag_ev_history *arag_ev_history_build(const arag_event *const *long_term, uint32_t n_long,
                                       const arag_event *const *session, uint32_t n_sess,
                                       const arag_brand_stats *bs);
void arag_ev_history_free(arag_ev_history *h);

typedef struct arag_ev {
  arag_ev_kind kind;
  int32_t item;     /* the history item (index in h) of one-item kinds, else -1 */
  uint32_t depth;   /* category: levels of the item's path */
  double value;     /* repeat: purchases; bought_together: weight; price: the price;
                       popular: popularity */
  double low, high; /* price: the history items' range */
  uint32_t n_words;
  const char *word[ARAG_EV_WORDS]; /* into the item's strings */
  uint32_t word_len[ARAG_EV_WORDS];
} arag_ev;

typedef struct arag_evidence {
  arag_ev e[ARAG_EV_MAX];
  uint32_t n;
} arag_evidence;

/* "Popular" needs at least this many candidates with a popularity. */
#define ARAG_EV_POPULAR_MIN 4

/* The popularity from which a candidate is among the most popular quarter of the
 * candidates that have one (NAN when fewer than ARAG_EV_POPULAR_MIN have one). */
double arag_ev_popular_cut(const arag_item *const *cands, uint32_t n);

/* The evidence for item it (features f) against the history. title_df, text_df: the
 * catalog's word counts, to name the rarest shared words first (may be NULL). */
void arag_evidence_of(arag_ev_history *h, const arag_item *it, const rs_feat *f,
                      const arag_term_df *title_df, const arag_term_df *text_df, double popular_cut,
                      arag_evidence *out);

/* The evidence as a JSON array: each entry {"kind", "items": [history item ids], ...}
 * with "title" (the history item's, cut as reasons quote it) when it rests on one item,
 * the kind's own fields (include/arag.h), and "cited": true for the entries k whose bit
 * (1u << k) is set in cited (an LLM ranker's citations that held). */
void arag_evidence_json(arag_sb *b, const arag_ev_history *h, const arag_item *it, const rs_feat *f,
                        const arag_evidence *ev, uint32_t cited);

/* Citations: an LLM ranker names, per ranked item, the evidence its reason relies on,
 * each a kind and history item ids (prompts/ira.txt). The parser reads them into its
 * output entry as "cite": [{"kind", "items": [ids]}] and "cite_dropped" (the malformed
 * ones, agent_parse.h); they are checked here against the item's own evidence. */

/* The evidence as an IRA prompt shows it, a JSON array of strings: the kind, and for a
 * kind that rests on history items other than the item itself (not price, which rests
 * on every priced one) ":" and one of their ids, the most recent; e.g.
 * ["brand:B0042","category:B0042","price","popular"]. Ids are data: escaped and
 * cleaned as every text of a prompt (strbuf.h). Writes nothing without evidence. */
void arag_evidence_prompt(arag_sb *b, const arag_ev_history *h, const arag_item *it,
                          const rs_feat *f, const arag_evidence *ev);

/* The entry a citation names when it holds: the evidence has an entry of that kind
 * (a name as arag_ev_kind_name gives it) and each of the n ids is among that entry's
 * items (repeat: the item's own id; popular: none). -1 when it does not hold. */
int arag_evidence_cite(const arag_ev_history *h, const arag_item *it, const rs_feat *f,
                       const arag_evidence *ev, const char *kind, const char *const *ids,
                       uint32_t n);

/* Checks the citations of one parsed ranking entry (its "cite" and "cite_dropped"):
 * sets bit k of *cited for each entry k a citation holds for, and returns how many were
 * dropped: malformed (the parser's count), not holding, or repeating one before them. */
uint32_t arag_evidence_check_cites(const arag_ev_history *h, const arag_item *it, const rs_feat *f,
                                   const arag_evidence *ev, const struct cJSON *entry,
                                   uint32_t *cited);

/* The reason a shopper reads: plain sentences, one per piece of evidence, at most
 * max_sentences of them (the same words renderReason in web/src/reasons.mjs writes for
 * the JSON above). Writes nothing when there is no evidence. */
void arag_evidence_reason(arag_sb *b, const arag_ev_history *h, const arag_item *it,
                          const rs_feat *f, const arag_evidence *ev, uint32_t max_sentences);

#endif
