/* Status names, version, the library's free, default limits, and the one way to set
 * an error (errbuf.h). */
#include "errbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Length of the "<status name>: " a message starts with (0 when it has none). */
static size_t head_len(const char *msg) {
  size_t n = 0;
  while ((msg[n] >= 'A' && msg[n] <= 'Z') || msg[n] == '_') n++;
  return n && msg[n] == ':' && msg[n + 1] == ' ' ? n + 2 : 0;
}

const char *arag_err_text(const char *message) {
  return message ? message + head_len(message) : "";
}

/* Appends len bytes of s at *pos of buf (cap bytes), as many as fit before its NUL. */
static void put(char *buf, size_t cap, size_t *pos, const char *s, size_t len) {
  if (*pos + 1 >= cap) return;
  if (len > cap - 1 - *pos) len = cap - 1 - *pos;
  memmove(buf + *pos, s, len);
  *pos += len;
  buf[*pos] = '\0';
}

arag_status arag_err_set(arag_error *e, arag_status st, const char *fmt, ...) {
  if (!e) return st;
  char text[ARAG_ERROR_MESSAGE_BYTES]; /* first: the arguments may point into e */
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  const char *name = arag_strerror(st);
  size_t pos = 0;
  put(e->message, sizeof e->message, &pos, name, strcspn(name, ":"));
  put(e->message, sizeof e->message, &pos, ": ", 2);
  put(e->message, sizeof e->message, &pos, text, strlen(text));
  e->status = st;
  return st;
}

arag_status arag_err_prefix(arag_error *e, arag_status st, const char *fmt, ...) {
  if (!e) return st;
  char context[ARAG_ERROR_MESSAGE_BYTES], rest[ARAG_ERROR_MESSAGE_BYTES];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(context, sizeof context, fmt, ap);
  va_end(ap);
  size_t pos = head_len(e->message), n = strlen(e->message + pos);
  memcpy(rest, e->message + pos, n + 1);
  e->message[pos] = '\0';
  put(e->message, sizeof e->message, &pos, context, strlen(context));
  put(e->message, sizeof e->message, &pos, ": ", 2);
  put(e->message, sizeof e->message, &pos, rest, n);
  e->status = st;
  return st;
}
