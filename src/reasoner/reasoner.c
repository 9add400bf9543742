/* The offline reasoner's entry: each agent's answer by the input's agent (see
 * reasoner.h), and what the agents share. */
#include "reasoner.h"

#include "reasoner_agents.h"
#include "reasoner_profile.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void rs_put_clean(arag_sb *b, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == '\n' || c == '\r' || c == ';' || c == '\t') c = ' ';
    arag_sb_append(b, &c, 1);
  }
}

int rs_pct(float w, float total) {
  if (total <= 0) return 0;
  int p = (int)lroundf(100.0f * w / total);
  return p < 0 ? 0 : p > 100 ? 100 : p;
}

int rs_evidence_get(const arag_agent_input *in, const arag_brand_stats *bs, const rs_feat *fs,
                    rs_ev_set *set) {
  memset(set, 0, sizeof *set);
  if (in->evidence && in->ev_history) {
    set->ev = in->evidence;
    set->h = in->ev_history;
    return 1;
  }
  set->own_h =
      arag_ev_history_build(in->long_term, in->n_long_term, in->session, in->n_session, bs);
  set->own_ev = malloc((in->n_cands ? in->n_cands : 1) * sizeof *set->own_ev);
  if (!set->own_h || !set->own_ev) {
    arag_ev_history_free(set->own_h);
    free(set->own_ev);
    return 0;
  }
  double cut = arag_ev_popular_cut(in->cands, in->n_cands);
  for (uint32_t i = 0; i < in->n_cands; i++)
    arag_evidence_of(set->own_h, in->cands[i], &fs[i], rs_title_df(in), rs_text_df(in), cut,
                     &set->own_ev[i]);
  set->ev = set->own_ev;
  set->h = set->own_h;
  return 1;
}

void rs_evidence_done(rs_ev_set *set) {
  arag_ev_history_free(set->own_h);
  free(set->own_ev);
}

char *arag_reasoner_answer_with(const arag_agent_input *in, const arag_reasoner_params *p,
                                size_t *len) {
  if (len) *len = 0;
  if (!in || !p) return NULL;
  if ((in->n_cands && !in->cands) || (in->n_long_term && !in->long_term) ||
      (in->n_session && !in->session))
    return NULL;
  switch (in->agent) {
  case ARAG_AGENT_UUA:
    return rs_answer_uua(in, p, len);
  case ARAG_AGENT_NLI:
    return rs_answer_nli(in, p, len);
  case ARAG_AGENT_CSA:
    return rs_answer_csa(in, p, len);
  case ARAG_AGENT_IRA:
    return rs_answer_ira(in, p, len);
  }
  return NULL;
}

char *arag_reasoner_answer(const arag_agent_input *in, size_t *len) {
  arag_reasoner_params p;
  arag_reasoner_params_default(&p);
  return arag_reasoner_answer_with(in, &p, len);
}
