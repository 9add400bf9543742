/* One recommendation, as the engine (engine.c) drives it: started from a request,
 * pumped while calls go out, fed answers, cancelled or expired, destroyed. The units
 * behind it are listed in session.h. Internal. */
#ifndef ARAG_PIPELINE_H
#define ARAG_PIPELINE_H

#include "config.h"
#include "session.h"

/* Builds the session from the inputs (resolves events, computes I0) and queues the
 * first agent calls. On error the session holds nothing to free but itself and err
 * says why. Does not send anything: call arag_pipeline_pump next. */
arag_status arag_pipeline_init(arag_session *s, const arag_config *cfg, const arag_catalog *cat,
                               const arag_history *h, const cJSON *request, arag_error *err);
/* The user context I0 retrieves with (the recency-weighted mean of the history's
 * window of events, catalog vectors for events that name a catalog item), unit length
 * or all zeros, into out (dim floats). */
arag_status arag_pipeline_context(const arag_config *cfg, const arag_catalog *cat,
                                  const arag_history *h, float *out, uint32_t dim, arag_error *err);
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
