/* The four agent contracts, shared by the pipeline (which renders them as prompts
 * for an LLM and validates the answers) and by the offline reasoner (which answers
 * them in C from the same structured input).
 *
 * Output JSON schemas, the same for an LLM and for the offline reasoner:
 *   UUA: {"summary": str, "interests": [str]}
 *   NLI: {"items": [{"id": str, "score": 0..1, "label": "supports"|"neutral"|"contradicts",
 *                    "rationale": str}]}
 *   CSA: {"summary": str}
 *   IRA: {"ranking": [{"id": str, "reason": str, "score"?: number}]}
 */
#ifndef ARAG_AGENTS_H
#define ARAG_AGENTS_H

#include "model.h"
#include <stddef.h>

typedef enum arag_agent {
  ARAG_AGENT_UUA = 0,
  ARAG_AGENT_NLI = 1,
  ARAG_AGENT_CSA = 2,
  ARAG_AGENT_IRA = 3
} arag_agent;

/* The most items an IRA is asked to cite for: a shelf's worth. A longer ranking (an
 * evaluation's k of 50) would otherwise pay for citations no shelf shows. */
#define ARAG_CITE_ITEMS_MAX 10

typedef enum arag_nli_label {
  ARAG_NLI_SUPPORTS = 0,
  ARAG_NLI_NEUTRAL = 1,
  ARAG_NLI_CONTRADICTS = 2
} arag_nli_label;

typedef struct arag_nli_verdict {
  float score; /* 0..1 */
  arag_nli_label label;
  const char *rationale; /* never NULL */
} arag_nli_verdict;

/* Everything one agent call may look at. Items are resolved (catalog text filled in). */
typedef struct arag_agent_input {
  arag_agent agent;
  uint32_t dim;
  /* The user's context, oldest first: long-term (before the session) and session. */
  const arag_event *const *long_term;
  uint32_t n_long_term;
  const arag_event *const *session;
  uint32_t n_session;
  /* Candidates of this call: NLI, one batch; CSA, the accepted ones; IRA, all of I0. */
  const arag_item *const *cands;
  uint32_t n_cands;
  const float *retrieval;      /* similarity of each candidate to the user context */
  const arag_nli_verdict *nli; /* per candidate (CSA, IRA); NULL when NLI is off */
  const char *s_user;          /* UUA summary; NULL when UUA is off or failed */
  const char *s_ctx;           /* CSA summary (IRA); NULL when CSA is off or failed */
  const arag_catalog *catalog; /* may be NULL */
  /* The catalog's term statistics the offline reasoner weighs words by (title and
   * whole-text document frequencies). NULL: read them from catalog. A session set
   * them from its own copy when it may answer after arag_recommend_start returned
   * (a fallback), since the catalog pointer is only valid during that call. */
  const struct arag_term_df *title_df;
  const struct arag_term_df *text_df;
  /* The evidence of each candidate (aligned with cands) and the history it rests on,
   * computed by the session (evidence.h); NULL: the offline reasoner computes its own. */
  const struct arag_evidence *evidence;
  const struct arag_ev_history *ev_history;
  /* The text features of each candidate (reasoner_text.h), aligned with cands; NULL:
   * the offline reasoner computes them. */
  const struct rs_feat *features;
  /* IRA: the model cites the evidence of its first cite_k items, shown per candidate
   * (prompts/ira.txt; 0: no evidence in the prompt): the request's k, at most
   * ARAG_CITE_ITEMS_MAX. */
  uint32_t cite_k;
  /* Per-session scratch owned by the session: the reasoner may cache a profile
   * here (built on first use, freed with free_scratch when the session ends). */
  void **scratch;
  void (**free_scratch)(void *);
} arag_agent_input;

#define ARAG_AGENT_COUNT 4

/* How an agent's answer is read (agent_parse.h) and what it gives the recommendation. */
typedef enum arag_answer_kind {
  ARAG_ANSWER_SUMMARY = 0,  /* {"summary"}: arag_parse_summary, a text for later agents */
  ARAG_ANSWER_VERDICTS = 1, /* {"items"}: arag_parse_nli, a verdict per candidate of a batch */
  ARAG_ANSWER_RANKING = 2   /* {"ranking"}: arag_parse_ira, the order of I0 */
} arag_answer_kind;

/* One agent, described once: the prompt renderer, the parser, the pipeline and the
 * offline reasoner read it from here. */
typedef struct arag_agent_spec {
  arag_agent agent;
  /* Its step and trace name, its config key (agents.<name>) and its prompt template
   * (prompts/<name>.txt, arag_prompt_get). */
  const char *name;
  const char *schema;      /* JSON Schema of its answer: a request's response_schema */
  arag_answer_kind answer; /* which parser reads its answers */
  /* The room its answer needs, in tokens: tokens + tokens_per_cand per candidate of
   * the call + tokens_per_cite per item asked to cite (before the reasoning allowance
   * and the max_tokens cap). */
  uint32_t tokens, tokens_per_cand, tokens_per_cite;
  /* The closing line of its data section (a printf format; %u is the call's candidates),
   * and, for an agent that cites evidence (IRA with cite_k), the one asking for it (the
   * second %u: how many items cite); NULL when it never cites. */
  const char *ask, *ask_cite;
  /* The degradation noted as "<step>:<note>" when the retrieval fallback answers it:
   * UUA and CSA are skipped, NLI verdicts take the retrieval score, IRA keeps I0's order. */
  const char *retrieval_note;
} arag_agent_spec;

/* The four agents, indexed by arag_agent. */
extern const arag_agent_spec arag_agent_specs[ARAG_AGENT_COUNT];

/* "uua", "nli", "csa", "ira" ("unknown" out of range). */
const char *arag_agent_name(arag_agent agent);
/* How many of a call's first items the model is asked to cite evidence for (the
 * prompt's closing line and the room its answer gets both follow it); 0: none. */
uint32_t arag_agent_cited_items(const arag_agent_input *in);
/* The agent of that name, -1 when none. */
int arag_agent_by_name(const char *name);

/* "supports", "neutral", "contradicts" (out of range: "neutral"): the one spelling of
 * the labels in prompts, answers, the trace and the offline reasoner's verdicts. */
const char *arag_nli_label_name(arag_nli_label label);

/* Offline reasoner (src/reasoner/reasoner.c): deterministic answer in the agent's output
 * schema. Returns a malloc'ed NUL-terminated JSON text, or NULL when out of memory. */
char *arag_reasoner_answer(const arag_agent_input *in, size_t *len);

#endif
