/* The state machine of one recommendation (src/pipeline/pipeline.c) and the engine-wide
 * configuration it runs with (parsed in src/pipeline/engine.c). Internal. */
#ifndef ARAG_PIPELINE_H
#define ARAG_PIPELINE_H

#include "agents.h"
#include "blackboard.h"
#include "errbuf.h"
#include "reasoner.h"
#include "shelf.h"
#include <cJSON.h>
#include <stdint.h>

typedef enum arag_backend { ARAG_BACKEND_OFFLINE = 0, ARAG_BACKEND_HOST = 1 } arag_backend;

/* Who answers an agent whose call failed or whose answer was unusable: the offline
 * reasoner from the same input (the default), or the retrieval fallbacks (no
 * summary, the retrieval score, the retrieval order). */
typedef enum arag_fallback { ARAG_FALLBACK_OFFLINE = 0, ARAG_FALLBACK_RETRIEVAL = 1 } arag_fallback;

typedef struct arag_config {
  arag_backend backend;
  double theta;
  uint32_t min_keep;
  uint32_t nli_batch;
  uint32_t max_in_flight;
  uint32_t top_k;
  uint32_t k;
  uint32_t session_len;
  uint32_t long_term_len;
  int agents[4]; /* indexed by arag_agent */
  uint32_t max_prompt_item_chars;
  uint32_t max_tokens;       /* cap on a call's max_tokens (each is sized from its batch) */
  uint32_t reasoning_tokens; /* added to every call's max_tokens: a reasoning model's room */
  double temperature;
  uint32_t max_candidates;    /* engine-level only */
  uint32_t max_request_bytes; /* engine-level only */
  int trace_prompts;          /* keep every request JSON in the trace */
  arag_fallback fallback;
  uint32_t deadline_ms;          /* whole recommendation (host backend); 0: none */
  uint32_t max_answer_bytes;     /* engine-level only: longer answers are cut first */
  arag_reasoner_params reasoner; /* the offline reasoner's weights */
  arag_shelf_cfg shelf;          /* how the first k places are arranged (shelf.h) */
} arag_config;

void arag_config_default(arag_config *c);
/* Applies the keys of obj (a JSON object) onto *c. per_request: only the keys a
 * request may override. On error *c is unchanged and err names the key. */
arag_status arag_config_apply(arag_config *c, const cJSON *obj, int per_request, char *err,
                              size_t err_len);
cJSON *arag_config_json(const arag_config *c);

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

#endif
