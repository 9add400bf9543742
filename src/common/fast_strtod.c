/* strtod with a fast path for the numbers JSON carries in practice.
 *
 * musl's strtod (Emscripten, wasi-libc) works in long double, which wasm emulates
 * in software: parsing the 100 scores of an offline recommendation's agent answers
 * took about 5% of it. A decimal -?D+(.D+)?([eE][+-]?D+)? with at most 19 digits,
 * a value below 2^53 before scaling and a power of ten within 1e+-22 is exactly
 * m * 10^e or m / 10^e with both operands exact doubles, so one IEEE operation
 * rounds it correctly (Clinger's fast path): the same bits as strtod. Anything
 * else (more digits, larger exponents, hex, inf, nan, whitespace, a '+' sign, a
 * locale's decimal comma) goes to strtod. cJSON is built with strtod defined as
 * arag_strtod (CMakeLists.txt), so its number parsing takes this path too. */
#include "fast_strtod.h"

#include <stdint.h>
#include <stdlib.h>

double arag_strtod(const char *s, char **end) {
  static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  const char *p = s;
  int neg = *p == '-';
  p += neg;
  if (*p < '0' || *p > '9') return strtod(s, end);
  if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) return strtod(s, end);
  uint64_t m = 0;
  int digits = 0, scale = 0;
  for (; *p >= '0' && *p <= '9'; p++, digits++) m = m * 10 + (uint64_t)(*p - '0');
  if (*p == '.') {
    p++;
    if (*p < '0' || *p > '9') return strtod(s, end);
    for (; *p >= '0' && *p <= '9'; p++, digits++, scale--) m = m * 10 + (uint64_t)(*p - '0');
  }
  if (*p == 'e' || *p == 'E') {
    const char *q = p + 1;
    int eneg = *q == '-';
    q += eneg || *q == '+';
    if (*q < '0' || *q > '9') return strtod(s, end);
    int e = 0;
    for (; *q >= '0' && *q <= '9'; q++)
      if ((e = e * 10 + (*q - '0')) > 1000) return strtod(s, end);
    scale += eneg ? -e : e;
    p = q;
  }
  if (digits > 19 || m > ((uint64_t)1 << 53)) return strtod(s, end);
  double v;
  if (m == 0)
    v = 0.0;
  else if (scale >= 0 && scale <= 22)
    v = (double)m * pow10[scale];
  else if (scale < 0 && scale >= -22)
    v = (double)m / pow10[-scale];
  else
    return strtod(s, end);
  if (end) *end = (char *)(uintptr_t)p;
  return neg ? -v : v;
}
