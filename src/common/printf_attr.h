/* ARAG_PRINTF(fmt, first): the compiler checks the format string of a printf-like
 * function (argument fmt) against its arguments (from first on). */
#ifndef ARAG_PRINTF_ATTR_H
#define ARAG_PRINTF_ATTR_H

#if defined(__GNUC__) || defined(__clang__)
#define ARAG_PRINTF(fmt, first) __attribute__((format(printf, fmt, first)))
#else
#define ARAG_PRINTF(fmt, first)
#endif

#endif
