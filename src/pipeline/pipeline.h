/* The state machine of one recommendation (src/pipeline/pipeline.c, retrieval.c); its
 * configuration is config.h's. Internal. */
#ifndef ARAG_PIPELINE_H
#define ARAG_PIPELINE_H

#include "agents.h"
#include "blackboard.h"
#include "config.h"
#include "errbuf.h"
#include <cJSON.h>
#include <stdint.h>

/* Who gave an NLI verdict. */
enum { ARAG_SRC_NONE = 0, ARAG_SRC_AGENT = 1, ARAG_SRC_OFFLINE = 2 };

typedef enum arag_phase {
  ARAG_PHASE_FANOUT = 0, /* UUA and NLI batches */
  ARAG_PHASE_CSA = 1,
  ARAG_PHASE_IRA = 2,
  ARAG_PHASE_DONE = 3
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

/* Builds the session from the inputs (resolves events, computes I0) and queues the
 * first agent calls. On error the session holds nothing to free but itself and err
 * says why. Does not send anything: call arag_pipeline_pump next. */
arag_status arag_pipeline_init(arag_session *s, const arag_config *cfg, const arag_catalog *cat,
                               const arag_history *h, const cJSON *request, char *err,
                               size_t err_len);
/* The user context I0 retrieves with (the recency-weighted mean of the history's
 * window of events, catalog vectors for events that name a catalog item), unit length
 * or all zeros, into out (dim floats). */
arag_status arag_pipeline_context(const arag_config *cfg, const arag_catalog *cat,
                                  const arag_history *h, float *out, uint32_t dim, char *err,
                                  size_t err_len);
/* Sends queued requests while there is room (offline: answers them in place) and
 * advances phases. Safe to call re-entrantly: a nested call returns at once and the
 * outer loop picks up the work. May free the session (see free_pending): the
 * caller must not touch s afterwards. */
void arag_pipeline_pump(arag_session *s);
/* An answer for one request. ARAG_E_NOT_FOUND when no such request is pending. Does
 * not pump. */
arag_status arag_pipeline_deliver(arag_session *s, uint32_t request_id, int status,
                                  const char *body, size_t len);
arag_status arag_pipeline_usage(arag_session *s, uint32_t request_id, uint32_t prompt_tokens,
                                uint32_t completion_tokens);
void arag_pipeline_cancel(arag_session *s);
/* The deadline, now: every agent still waiting is answered by the fallback (the
 * next pump finishes the recommendation). */
void arag_pipeline_expire(arag_session *s);
/* Adds "<step>:<note>" to the repairs of a pending request (a host-side repair of
 * the answer it is about to deliver). ARAG_E_NOT_FOUND when not pending. */
arag_status arag_pipeline_repair(arag_session *s, uint32_t request_id, const char *note,
                                 size_t len);
/* Frees everything the session owns, and the session. */
void arag_pipeline_destroy(arag_session *s);

/* Monotonic clock in milliseconds. */
double arag_now_ms(void);

/* Between the pipeline's units. */
arag_status arag_session_fail(char *err, size_t err_len, arag_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Candidates by score, best first (ties: lower index first). */
typedef struct arag_ranked {
  float score;
  uint32_t idx;
} arag_ranked;
void arag_ranked_sort(arag_ranked *r, uint32_t n);
/* retrieval.c: the context events (deep copies), I0 in retrieval order (from the
 * request's candidates, or the catalog's nearest to the context), the per-candidate
 * state, brands, evidence and (host backend) the catalog's term statistics. */
arag_status arag_retrieve(arag_session *s, const arag_catalog *cat, const arag_history *h,
                          const cJSON *candidates, char *err, size_t err_len);

#endif
