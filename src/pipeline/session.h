/* One recommendation's state (arag_session) and what the pipeline's units call of
 * each other. The units, in the order a recommendation meets them:
 *   session.c    starts a recommendation from the request and ends it
 *   retrieval.c  the context events, I0 and each candidate's evidence
 *   phases.c     the four agents in order (arag_phases_advance)
 *   dispatch.c   each call's input, sent to the host or answered offline
 *   answers.c    what an answer (or its fallback) changes
 *   result.c     the shelf and the result JSON
 * Internal: the engine (engine.c) uses pipeline.h. */
#ifndef ARAG_SESSION_H
#define ARAG_SESSION_H

#include "agents.h"
#include "blackboard.h"
#include "config.h"
#include <cJSON.h>
#include <stdint.h>

/* Who gave an NLI verdict. */
enum { ARAG_SRC_NONE = 0, ARAG_SRC_AGENT = 1, ARAG_SRC_OFFLINE = 2 };

typedef enum arag_phase {
  ARAG_PHASE_START = 0,  /* nothing queued yet */
  ARAG_PHASE_FANOUT = 1, /* UUA and NLI batches */
  ARAG_PHASE_CSA = 2,
  ARAG_PHASE_IRA = 3,
  ARAG_PHASE_DONE = 4
} arag_phase;

typedef struct arag_session {
  uint32_t id;
  arag_config cfg;
  arag_session_state state;
  arag_phase phase;
  arag_fetch_fn fetch;
  void *fetch_user;
  double t0_ms;

  /* Context: deep copies, oldest first; long-term first, then session. */
  uint32_t dim;
  arag_event *events;
  const arag_event **ev_ptrs;
  uint32_t n_long, n_sess;

  /* I0 in retrieval order (the fallback order). */
  arag_item *cands;
  const arag_item **cand_ptrs;
  const char **cand_ids;
  float *retrieval;
  uint32_t n_cands;

  /* NLI per candidate (index into I0). */
  arag_nli_verdict *nli;
  char **nli_rationale;
  uint8_t *nli_source; /* ARAG_SRC_*: who gave candidate j's verdict */
  uint8_t *accepted;

  char *s_user;
  char *s_ctx;

  /* The evidence of each candidate and the history it rests on (evidence.h), computed
   * at the start while the catalog is at hand. */
  struct arag_ev_history *ev_history;
  struct arag_evidence *evidence;
  struct rs_feat *cand_feat; /* each candidate's text features (reasoner_text.h) */

  /* Final order (indices into I0), scores and reasons. */
  uint32_t *order;
  float *ira_score;
  char **ira_reason;
  /* A model's citations per candidate (evidence.h): bit k of cited[j] when one held for
   * evidence entry k, cite_dropped[j] the ones dropped. NULL unless a model ranked. */
  uint32_t *cited;
  uint32_t *cite_dropped;

  /* Offline backend: rendered lengths of the events and candidate fields (prompt
   * sizes are measured, not built; see arag_render_memo). */
  size_t *ev_chars;
  size_t *cand_chars;

  /* Host backend: the catalog's term statistics for the events' and candidates'
   * words, copied at the start, so that the offline reasoner answers a fallback
   * later exactly as the offline backend would (the catalog pointer is only valid
   * during arag_recommend_start). NULL without a catalog. */
  struct arag_term_df *title_df, *text_df;
  int expired; /* the deadline passed: waiting agents are answered by the fallback */

  arag_blackboard bb;
  uint32_t next_request_id;
  uint32_t queue_head; /* first blackboard message that may still be queued */
  uint32_t in_flight;
  uint32_t pending; /* messages of the current phase not yet answered */

  int busy;         /* >0 while the session runs the fetch loop */
  int free_pending; /* freed by the host while busy: free on the way out */

  const arag_catalog *catalog; /* valid only inside arag_recommend_start */
  void *scratch;
  void (*free_scratch)(void *);

  char *result;
  size_t result_len;
} arag_session;

/* The status of a step that failed here, before or instead of a call: out of memory
 * building its input, rendering its request or in the offline reasoner. Hosts deliver
 * statuses >= 0 (arag_pipeline_deliver), so this is never a provider's answer. */
#define ARAG_LOCAL_OOM (-1)

/* session.c: milliseconds since the recommendation started. */
double arag_session_ms(const arag_session *s);

/* retrieval.c: the context events (deep copies), I0 in retrieval order (from the
 * request's candidates, or the catalog's nearest to the context), the per-candidate
 * state, brands, evidence and (host backend) the catalog's term statistics. */
arag_status arag_retrieve(arag_session *s, const arag_catalog *cat, const arag_history *h,
                          const cJSON *candidates, arag_error *err);

/* phases.c: runs the phases whose calls are all answered, queueing the next ones,
 * until one waits or the recommendation is done. ARAG_E_NOMEM only when the first
 * calls could not be queued; later phases degrade instead. */
arag_status arag_phases_advance(arag_session *s);
/* Candidates by score, best first (ties: lower index first). */
typedef struct arag_ranked {
  float score;
  uint32_t idx;
} arag_ranked;
void arag_ranked_sort(arag_ranked *r, uint32_t n);

/* dispatch.c: the structured input of message i (scratch freed with
 * arag_call_scratch_free). Returns 0, or -1 when out of memory. */
typedef struct arag_call_scratch {
  const arag_item **cands;
  float *retrieval;
  arag_nli_verdict *nli;
} arag_call_scratch;
int arag_call_input(arag_session *s, int i, arag_agent_input *in, arag_call_scratch *c);
void arag_call_scratch_free(arag_call_scratch *c);

/* answers.c: applies the answer to message i (or its fallback's), then advances the
 * phases when it was the last one its phase waited for. */
void arag_answer_handle(arag_session *s, int i, int status, const char *body, size_t len);
/* "uua", "nli_batch_<n>", "csa", "ira": the name of message m's step. */
void arag_step_name(const arag_bb_msg *m, char *buf, size_t cap);

/* result.c: arranges the shelf and writes s->result; the session is done. */
void arag_result_write(arag_session *s);

#endif
