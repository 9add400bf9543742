/* The one way the library reports an error: an arag_error (arag.h: a status and its
 * message "<status name>: <what failed>"), set by arag_err_set, which returns the status
 * so that a failing call ends with
 *   return arag_err_set(err, ARAG_E_DIM, "vector has %u dims, index has %u", a, b);
 * A handle embeds one (its last error; successful calls leave it, like errno). A create
 * call and the steps of a call (parsers, configuration) write the arag_error they are
 * given, which may be NULL; a caller adds its context with arag_err_prefix ("item 3: ")
 * or wraps another's text (arag_err_text). Calls on a const handle write none. No global
 * state. */
#ifndef ARAG_ERRBUF_H
#define ARAG_ERRBUF_H

#include "arag.h"
#include "printf_attr.h"

/* What arag_*_last_error answers for a NULL handle. */
#define ARAG_ERR_NULL_HANDLE "ARAG_E_INVALID: NULL handle"

/* Sets e (may be NULL) to st and "<status name>: <formatted text>", cut to fit, and
 * returns st. The arguments may point into e->message. */
arag_status arag_err_set(arag_error *e, arag_status st, const char *fmt, ...) ARAG_PRINTF(3, 4);
/* Puts "<formatted text>: " before e's text, after its status name (the context a
 * caller knows: "item 3: "), sets its status to st and returns st. e may be NULL. */
arag_status arag_err_prefix(arag_error *e, arag_status st, const char *fmt, ...) ARAG_PRINTF(3, 4);
/* The text of a message after its status name ("dim 9 ..." of "ARAG_E_DIM: dim 9 ..."):
 * for wrapping the message of another handle without repeating the status. */
const char *arag_err_text(const char *message);

static inline void arag_err_clear(arag_error *e) {
  if (!e) return;
  e->status = ARAG_OK;
  e->message[0] = '\0';
}
/* The message, "" when there has been no error. NULL-safe. */
static inline const char *arag_err_msg(const arag_error *e) { return e ? e->message : ""; }

#endif
