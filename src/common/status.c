/* Status names, version, the library's free, default limits, and the per-handle
 * error message helper (errbuf.h). */
#include "errbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define ARAG_STR2(x) #x
#define ARAG_STR(x) ARAG_STR2(x)

const char *arag_strerror(arag_status status) {
  switch (status) {
  case ARAG_OK:
    return "ARAG_OK: success";
  case ARAG_E_INVALID:
    return "ARAG_E_INVALID: invalid argument";
  case ARAG_E_NOMEM:
    return "ARAG_E_NOMEM: out of memory";
  case ARAG_E_LIMIT:
    return "ARAG_E_LIMIT: input past a configured limit";
  case ARAG_E_DIM:
    return "ARAG_E_DIM: vector dimension does not match";
  case ARAG_E_NONFINITE:
    return "ARAG_E_NONFINITE: NaN or infinity in a vector";
  case ARAG_E_NOT_FOUND:
    return "ARAG_E_NOT_FOUND: not found";
  case ARAG_E_CORRUPT:
    return "ARAG_E_CORRUPT: snapshot truncated or corrupt";
  case ARAG_E_VERSION:
    return "ARAG_E_VERSION: unsupported snapshot format version";
  case ARAG_E_JSON:
    return "ARAG_E_JSON: malformed or off-schema JSON";
  case ARAG_E_STATE:
    return "ARAG_E_STATE: call not valid in the current state";
  case ARAG_E_CANCELLED:
    return "ARAG_E_CANCELLED: cancelled";
  }
  return "ARAG_E_UNKNOWN: unknown status code";
}

const char *arag_version(void) {
  return ARAG_STR(ARAG_VERSION_MAJOR) "." ARAG_STR(ARAG_VERSION_MINOR) "." ARAG_STR(
      ARAG_VERSION_PATCH);
}

void arag_free(void *ptr) { free(ptr); }

void arag_limits_default(arag_limits *out) {
  if (!out) return;
  out->max_dim = 4096;
  out->max_rows = 1000000;
  out->max_id_bytes = 256;
  out->max_text_bytes = 65536;
  out->max_restore_bytes = 1u << 30;
}

static arag_status err_vset(char *buf, arag_status st, const char *fmt, va_list ap) {
  const char *name = arag_strerror(st);
  size_t n = 0;
  /* The status's short name: up to the colon. */
  while (name[n] && name[n] != ':' && n + 3 < ARAG_ERRBUF_SIZE) {
    buf[n] = name[n];
    n++;
  }
  buf[n++] = ':';
  buf[n++] = ' ';
  buf[n] = '\0';
  vsnprintf(buf + n, ARAG_ERRBUF_SIZE - n, fmt, ap);
  return st;
}

arag_status arag_err_set(arag_errbuf *e, arag_status st, const char *fmt, ...) {
  if (!e) return st;
  va_list ap;
  va_start(ap, fmt);
  err_vset(e->msg, st, fmt, ap);
  va_end(ap);
  return st;
}

arag_status arag_err_set_const(const arag_errbuf *e, arag_status st, const char *fmt, ...) {
  if (!e) return st;
  va_list ap;
  va_start(ap, fmt);
  err_vset((char *)e->msg, st, fmt, ap);
  va_end(ap);
  return st;
}
