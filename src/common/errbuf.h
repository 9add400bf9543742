/* Per-handle error messages, shared by every module that owns a handle.
 *
 * A handle embeds one arag_errbuf. A failing call formats its message with
 * arag_err_set(), which returns the status so a call can end with
 *   return arag_err_set(&h->err, ARAG_E_DIM, "vector has %u dims, index has %u", a, b);
 * The message stays until the next failure on the same handle (successful
 * calls do not clear it, like errno). No global state. */
#ifndef ARAG_ERRBUF_H
#define ARAG_ERRBUF_H

#include "arag.h"

#define ARAG_ERRBUF_SIZE 256

typedef struct arag_errbuf {
  char msg[ARAG_ERRBUF_SIZE];
} arag_errbuf;

#if defined(__GNUC__) || defined(__clang__)
#define ARAG_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define ARAG_PRINTF(a, b)
#endif

/* Writes "<status name>: <formatted text>" (truncated to fit) and returns st. */
arag_status arag_err_set(arag_errbuf *e, arag_status st, const char *fmt, ...) ARAG_PRINTF(3, 4);
/* Same, on a handle the caller only holds as const (the buffer is heap memory
 * owned by the handle, so writing it is well defined). */
arag_status arag_err_set_const(const arag_errbuf *e, arag_status st, const char *fmt, ...)
    ARAG_PRINTF(3, 4);
static inline void arag_err_clear(arag_errbuf *e) { e->msg[0] = '\0'; }
/* The message, "" when there has been no error. NULL-safe. */
static inline const char *arag_err_msg(const arag_errbuf *e) { return e ? e->msg : ""; }

#endif
