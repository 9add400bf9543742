/* The offline reasoner's four agents (uua.c, nli.c, csa.c, ira.c; reasoner.c dispatches
 * to them) and what they share: the summary text helpers and the candidates' evidence. */
#ifndef ARAG_REASONER_AGENTS_H
#define ARAG_REASONER_AGENTS_H

#include "evidence.h"
#include "reasoner.h"
#include "reasoner_text.h"
#include "strbuf.h"

/* Each agent's answer: the JSON its schema asks for (agents.h), NULL when out of memory. */
char *rs_answer_uua(const arag_agent_input *in, const arag_reasoner_params *p, size_t *len);
char *rs_answer_nli(const arag_agent_input *in, const arag_reasoner_params *p, size_t *len);
char *rs_answer_csa(const arag_agent_input *in, const arag_reasoner_params *p, size_t *len);
char *rs_answer_ira(const arag_agent_input *in, const arag_reasoner_params *p, size_t *len);

/* Appends untrusted text for a summary line: separators of the trait format
 * (newline, ';') become spaces. */
void rs_put_clean(arag_sb *b, const char *s, size_t n);
/* w as a whole percentage of total, in [0, 100] (0 when total is not positive). */
int rs_pct(float w, float total);

/* The evidence of the input's candidates: the session's, or computed here from the
 * input (a call without a session: tests, tools). */
typedef struct rs_ev_set {
  const arag_evidence *ev; /* per candidate */
  const arag_ev_history *h;
  arag_evidence *own_ev;
  arag_ev_history *own_h;
} rs_ev_set;

/* 0 when out of memory; rs_evidence_done frees what it computed. */
int rs_evidence_get(const arag_agent_input *in, const arag_brand_stats *bs, const rs_feat *fs,
                    rs_ev_set *set);
void rs_evidence_done(rs_ev_set *set);

#endif
