#include "json_write.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void arag_jw_string(arag_sb *b, const char *s) {
  static const char hex[] = "0123456789abcdef";
  if (!s) {
    arag_sb_append(b, "\"\"", 2);
    return;
  }
  size_t len = strlen(s);
  if (b->count_only) {
    size_t n = 2;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
      n += *p > 31 && *p != '"' && *p != '\\' ? 1 : strchr("\"\\\b\f\n\r\t", *p) ? 2 : 6;
    b->len += n;
    return;
  }
  if (len > (SIZE_MAX - 8) / 6 || !arag_sb_reserve(b, len * 6 + 2)) {
    b->oom = 1;
    return;
  }
  char *o = b->p + b->len;
  *o++ = '"';
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    unsigned char c = *p;
    if (c > 31 && c != '"' && c != '\\') {
      *o++ = (char)c;
      continue;
    }
    *o++ = '\\';
    switch (c) {
    case '"':
      *o++ = '"';
      break;
    case '\\':
      *o++ = '\\';
      break;
    case '\b':
      *o++ = 'b';
      break;
    case '\f':
      *o++ = 'f';
      break;
    case '\n':
      *o++ = 'n';
      break;
    case '\r':
      *o++ = 'r';
      break;
    case '\t':
      *o++ = 't';
      break;
    default:
      *o++ = 'u', *o++ = '0', *o++ = '0', *o++ = hex[c >> 4], *o++ = hex[c & 15];
    }
  }
  *o++ = '"';
  b->len = (size_t)(o - b->p);
  b->p[b->len] = 0;
}

/* cJSON's check that a printed number reads back. */
static int compare_double(double a, double b) {
  double max_val = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
  return fabs(a - b) <= max_val * DBL_EPSILON;
}

/* d = k / 10000 exactly as a double (k an integer below 2^53 in size): "%1.15g"
 * then prints the decimal digits of k / 10000 without trailing zeros, and they read
 * back to d. Writes them to out; returns the length, or 0 when d is not such a value. */
static size_t fast_number(double d, char *out) {
  if (!(fabs(d) < 1e11)) return 0;
  double kd = floor(d * 10000.0 + 0.5);
  if (kd / 10000.0 != d) return 0;
  long long k = (long long)kd;
  size_t n = 0;
  if (k < 0 || (k == 0 && signbit(d))) out[n++] = '-';
  unsigned long long a = k < 0 ? (unsigned long long)(-k) : (unsigned long long)k;
  unsigned long long ip = a / 10000, fp = a % 10000;
  char tmp[24];
  size_t t = 0;
  do {
    tmp[t++] = (char)('0' + ip % 10);
    ip /= 10;
  } while (ip);
  while (t) out[n++] = tmp[--t];
  if (fp) {
    char f[4] = {(char)('0' + fp / 1000), (char)('0' + fp / 100 % 10), (char)('0' + fp / 10 % 10),
                 (char)('0' + fp % 10)};
    size_t m = 4;
    while (f[m - 1] == '0') m--;
    out[n++] = '.';
    for (size_t i = 0; i < m; i++) out[n++] = f[i];
  }
  return n;
}

void arag_jw_number(arag_sb *b, double d) {
  char buf[32];
  if (isnan(d) || isinf(d)) {
    arag_sb_append(b, "null", 4);
    return;
  }
  size_t n = fast_number(d, buf);
  if (!n) {
    int len = snprintf(buf, sizeof buf, "%1.15g", d);
    double test = strtod(buf, NULL);
    if (!compare_double(test, d)) len = snprintf(buf, sizeof buf, "%1.17g", d);
    if (len < 0 || (size_t)len >= sizeof buf) {
      b->oom = 1;
      return;
    }
    n = (size_t)len;
    /* cJSON writes '.' whatever the locale's decimal point */
    for (size_t i = 0; i < n; i++)
      if (buf[i] == ',') buf[i] = '.';
  }
  arag_sb_append(b, buf, n);
}

void arag_jw_key(arag_sb *b, int *first, const char *key) {
  if (!*first) arag_sb_append(b, ",", 1);
  *first = 0;
  arag_jw_string(b, key);
  arag_sb_append(b, ":", 1);
}

void arag_jw_value(arag_sb *b, const cJSON *item) {
  if (!item) {
    b->oom = 1;
    return;
  }
  switch (item->type & 0xFF) {
  case cJSON_NULL:
    arag_sb_append(b, "null", 4);
    return;
  case cJSON_False:
    arag_sb_append(b, "false", 5);
    return;
  case cJSON_True:
    arag_sb_append(b, "true", 4);
    return;
  case cJSON_Number:
    arag_jw_number(b, item->valuedouble);
    return;
  case cJSON_Raw:
    if (!item->valuestring) {
      b->oom = 1;
      return;
    }
    arag_sb_puts(b, item->valuestring);
    return;
  case cJSON_String:
    arag_jw_string(b, item->valuestring);
    return;
  case cJSON_Array: {
    arag_sb_append(b, "[", 1);
    for (const cJSON *c = item->child; c; c = c->next) {
      if (c != item->child) arag_sb_append(b, ",", 1);
      arag_jw_value(b, c);
    }
    arag_sb_append(b, "]", 1);
    return;
  }
  case cJSON_Object: {
    arag_sb_append(b, "{", 1);
    for (const cJSON *c = item->child; c; c = c->next) {
      if (c != item->child) arag_sb_append(b, ",", 1);
      arag_jw_string(b, c->string);
      arag_sb_append(b, ":", 1);
      arag_jw_value(b, c);
    }
    arag_sb_append(b, "}", 1);
    return;
  }
  default:
    b->oom = 1;
  }
}
