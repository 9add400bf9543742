/* Offline reasoner: the structured user profile, built once per session from the
 * events of an agent input (long-term then session, oldest first) and cached in
 * the session scratch. It owns copies of everything it shows (titles, brand
 * names, category paths, keywords), so it stays valid while the session lives.
 *
 * Each event gets a recency weight decay^age (age 0 = most recent), times
 * sess_boost for session events, times its interest-shift factor (interest.h: below 1
 * for the events of an older interest when the newest ones turned to another).
 * Aggregates (brands, category paths, title keywords) sum these weights; counts are
 * numbers of distinct items. The nearest-title evidence, the history's Words and the
 * bought-together evidence take the shift factor too. */
#ifndef ARAG_REASONER_PROFILE_H
#define ARAG_REASONER_PROFILE_H

#include "reasoner.h"
#include "reasoner_text.h"
#include "term_df.h"

/* Terms with their rarity weights (idf) and the norm sqrt(sum of weights). */
typedef struct rs_terms {
  uint64_t key[ARAG_TERM_MAX];
  float w[ARAG_TERM_MAX];
  uint32_t n;
  float norm;
} rs_terms;

typedef struct rs_event {
  uint64_t id_h;
  uint64_t brand_h;
  uint64_t cat_h[RS_MAX_CAT];
  uint32_t n_cat;
  float w;
  int sess;
  uint32_t title_off, title_len; /* in strs */
  uint64_t lead_h[RS_LEAD];
  uint32_t n_lead;
  uint8_t latest; /* the most recent event of its item */
} rs_event;

typedef struct rs_agg {
  uint64_t key;
  float w;           /* summed recency weight (of every event) */
  uint32_t n;        /* items (an item seen several times counts once) */
  uint32_t n_sess;   /* items with an event in the session */
  uint32_t last;     /* most recent event index */
  uint32_t off, len; /* display in strs */
} rs_agg;

/* The words that say most about the history's text, for UUA's "Words" line: the
 * whole-text terms of the RS_WORDS_WINDOW most recent events weighed by
 * rs_text_weights (a unit vector per event), summed by term over those events
 * alike; the RS_WORDS heaviest, each with its share of the sum's norm (so a
 * candidate's own unit vector dotted with them is its cosine with the history's
 * text, cut to these words). A window of 10, 20 or 30 events, or the whole
 * history, gives NDCG@5 within 0.001 on the sample sets, whose histories are
 * short; 20 keeps the work bounded for long ones. */
#define RS_WORDS 24
#define RS_WORDS_WINDOW 20

typedef struct rs_word {
  uint64_t key;
  float w;
  uint32_t off; /* lower-cased, in strs */
} rs_word;

/* One entry of a recent event's "related" list. */
typedef struct rs_rel {
  uint64_t id_h; /* the related item */
  float w;
  uint32_t ev; /* the event */
} rs_rel;

typedef struct rs_profile {
  uint32_t dim;
  uint32_t n_ev, n_sess;
  uint32_t n_items, n_sess_items; /* distinct items of the history and of the session */
  rs_event *ev;
  float w_total, w_sess;
  rs_agg *brands, *paths, *terms;
  uint32_t n_brands, n_paths, n_terms;
  float *pvec; /* normalized weighted mean of item vectors (dim), zero if none */
  /* Title embeddings of the last n_sim events (n_sim * dim), event index sim_ev0 + k. */
  float *simvec;
  float *title_tmp;    /* dim floats: a candidate's title embedding in rs_profile_match */
  rs_terms *sim_terms; /* title terms of the same events (n_sim entries) */
  uint32_t n_sim, sim_ev0;
  double price_lo, price_hi, price_sum_w, price_w;
  uint32_t n_price;
  float *focus;   /* each event's interest-shift factor (interest.h), n_ev of them */
  rs_word *words; /* heaviest first (ties: key order) */
  uint32_t n_words;
  /* Related lists of the last rel_window events (events rel_ev0 .. n_ev - 1). */
  rs_rel *rel;
  uint32_t n_rel, rel_ev0;
  char *strs;
  size_t strs_len, strs_cap;
  float decay, sess_boost, sim_decay, rel_decay, shift; /* the parameters it was built with */
  uint32_t sim_window, rel_window;
} rs_profile;

/* Builds the profile (NULL when out of memory). */
rs_profile *rs_profile_build(const arag_agent_input *in, const arag_reasoner_params *p);
void rs_profile_free(void *prof);
/* The session's cached profile, built on first use; NULL when out of memory.
 * *owned is set when the caller must free it (no scratch in the input). */
rs_profile *rs_profile_get(const arag_agent_input *in, const arag_reasoner_params *p, int *owned);

static inline const char *rs_str(const rs_profile *pr, uint32_t off) { return pr->strs + off; }
/* Title terms of event i, one of the last n_sim events (i >= sim_ev0). */
static inline const rs_terms *rs_event_terms(const rs_profile *pr, uint32_t i) {
  return &pr->sim_terms[i - pr->sim_ev0];
}

/* Evidence for one candidate against the profile. */
typedef struct rs_match {
  uint32_t rep_n;                 /* events of this very item */
  uint32_t brand_n, brand_sess_n; /* events sharing the brand */
  float brand_w;                  /* their weight / total weight */
  float cat;                      /* weighted mean depth score over events */
  uint32_t cat_depth, cat_n,
      cat_sess;    /* deepest shared depth; events sharing >= 2 levels; of them in session */
  float sim;       /* best title cosine with a recent event */
  float rsim;      /* sum over the 5 most recent events of cosine * 0.5^age */
  float wsim;      /* best of cosine * sim_decay^age */
  float isim;      /* best of term-rarity-weighted title overlap * sim_decay^age */
  int32_t isim_ev; /* that event, -1 if none */
  float price;     /* 1 at the typical price, linearly down to 0 at 4x away (either way) */
  int32_t sim_ev;  /* that event, -1 if none */
  float psim;      /* cosine with the profile vector */
  float rel;       /* bought-together evidence: sum of log(1 + w) * rel_decay^age */
  float rel_w;     /* the weight of the event adding most to rel */
  int32_t rel_ev;  /* that event, -1 if none */
  uint32_t line;   /* most leading title words shared with one event */
  int32_t line_ev; /* that event (the most recent of ties), -1 if none */
} rs_match;

/* The brand statistics of the input's catalog (into *buf), NULL without one. */
const arag_brand_stats *rs_brand_stats(const arag_agent_input *in, arag_brand_stats *buf);

/* Weight of a title term: log((items + 1) / (df + 0.5)) over the catalog's
 * items, 1 without a catalog. */
float rs_term_idf(const arag_term_df *df, uint64_t key);
/* The title and whole-text document frequencies an input's reasoner weighs words by:
 * the input's own (a session's copy) or its catalog's. */
const arag_term_df *rs_title_df(const arag_agent_input *in);
const arag_term_df *rs_text_df(const arag_agent_input *in);

/* Whole-text term weights of an item, (1 + ln tf) * (ln((items + 1) / (df + 1)) + 1)
 * over the catalog's whole-text document frequencies (a term of one item only
 * weighs 0: it can match no other), scaled to a unit vector; 1 + ln tf alone
 * without a catalog. Returns the number of terms (keys, w; at / len as in
 * arag_text_terms, when not NULL). */
uint32_t rs_text_weights(const arag_term_df *df, const arag_item *it, uint64_t *keys, float *w,
                         const char **at, uint32_t *len);

/* Evidence for one candidate (pr is not const: the candidate's title is embedded into
 * pr->title_tmp). */
void rs_profile_match(rs_profile *pr, const arag_term_df *df, const arag_item *it, const rs_feat *f,
                      rs_match *m);

#endif
