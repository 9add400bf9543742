/* strtod with a fast path for short decimals (see fast_strtod.c). */
#ifndef ARAG_FAST_STRTOD_H
#define ARAG_FAST_STRTOD_H

double arag_strtod(const char *s, char **end);

#endif
