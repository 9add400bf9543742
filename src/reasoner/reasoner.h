/* Offline reasoner internals: the deterministic C implementation of the four
 * agent contracts of agents.h (UUA, NLI, CSA, IRA).
 *
 * Division of labour (each agent adds its own signal, the way an LLM pipeline
 * would pass it along in messages):
 *   - the structured user profile (profile.c) is built once per
 *     session from the events of the input and cached in the session scratch;
 *   - UUA (uua.c) renders the profile's aggregate interests (brands, category paths,
 *     title keywords, price band, the session's focus) as S_user, a short
 *     readable text with one trait list per line;
 *   - NLI (nli.c) scores each candidate from item-to-item evidence against the history
 *     (nearest history title, deepest shared category level, same product line,
 *     repeat purchase, a price close to the user's typical one, bought together
 *     with a recent item by other shoppers)
 *     and names its evidence, a shared brand included (brand loyalty itself is
 *     weighed by IRA from S_user, so it counts once);
 *   - CSA (csa.c) reads what the accepted candidates have in common (brands, category
 *     paths, keywords, weighted by their NLI scores) into S_ctx;
 *   - IRA (ira.c) reads S_user and S_ctx back as text (reasoner_traits.c), matches every
 *     candidate against them and combines that with the NLI scores, the
 *     retrieval similarity and catalog popularity.
 */
#ifndef ARAG_REASONER_H
#define ARAG_REASONER_H

#include "agents.h"
#include <stddef.h>
#include <stdint.h>

/* Tunable weights. arag_reasoner_answer uses the defaults. */
typedef struct arag_reasoner_params {
  /* profile */
  float decay;         /* recency weight per event of age a: decay^a */
  float sess_boost;    /* extra weight of the session events (multiplier) */
  float shift;         /* 0..1: how much an interest shift lowers the older events (interest.h) */
  uint32_t sim_window; /* most recent events used for nearest-title evidence */
  /* NLI: score = sigmoid(bias + sum of weight * feature) */
  float nli_bias, nli_brand, nli_brandn, nli_rsim, nli_line, nli_cat, nli_sess, nli_sim, nli_psim,
      nli_rep, nli_isim;
  float nli_price; /* price close to the user's typical price (items with prices only) */
  /* Bought together: the candidate's "related" list names one of the rel_window most
   * recent events, or such an event's list names the candidate; each such event of
   * age a adds log(1 + weight) * rel_decay^a to the feature nli_rel weighs. */
  float nli_rel, rel_decay;
  uint32_t rel_window;
  float sim_decay; /* nearest-title evidence of an event of age a counts sim * sim_decay^a */
  /* IRA */
  float ira_nli, ira_nli_logit, ira_ret, ira_pop;
  float ira_div; /* 0..1: diversity, a candidate's likeness to those above it, in score spreads */
  float ira_idf; /* 0..1: how much keyword traits are weighed by rarity among the candidates */
  float ira_u_brand, ira_u_cat, ira_u_kw, ira_u_sess;
  float ira_c_brand, ira_c_cat, ira_c_kw;
  float ira_text; /* S_user's Words: the candidate's cosine with the history's text */
} arag_reasoner_params;

void arag_reasoner_params_default(arag_reasoner_params *p);
/* Sets one parameter by name ("decay", "nli_isim", ...): 0 on success, -1 for an
 * unknown name, -2 for a value out of its range (*lo, *hi when not NULL: the range;
 * windows take integers). On error *p is unchanged. */
int arag_reasoner_params_set(arag_reasoner_params *p, const char *name, double value, double *lo,
                             double *hi);
/* The parameters in a fixed order: their number, the i-th name and value. */
uint32_t arag_reasoner_params_count(void);
const char *arag_reasoner_params_name(uint32_t i);
double arag_reasoner_params_get(const arag_reasoner_params *p, uint32_t i);

char *arag_reasoner_answer_with(const arag_agent_input *in, const arag_reasoner_params *p,
                                size_t *len);

#endif
