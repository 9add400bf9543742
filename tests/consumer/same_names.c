/* Linked into the consumer next to libarag: functions a program may well have under the
 * names that functions inside libarag have: cJSON's (a program that uses cJSON itself) and
 * two of libarag's own internal helpers. Each one fails or aborts, so a libarag that called the
 * program's function instead of its own would not recommend. No header: only the names
 * matter to the linker. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

void *cJSON_Parse(const char *value);
void *cJSON_ParseWithLength(const char *value, size_t length);
void *cJSON_ParseWithLengthOpts(const char *value, size_t length, const char **end, int terminated);
void *cJSON_CreateObject(void);
void cJSON_Delete(void *item);
uint64_t rs_hash(const char *s, size_t n);
double arag_strtod(const char *s, char **end);

void *cJSON_Parse(const char *value) {
  (void)value;
  return NULL;
}
void *cJSON_ParseWithLength(const char *value, size_t length) {
  (void)value;
  (void)length;
  return NULL;
}
void *cJSON_ParseWithLengthOpts(const char *value, size_t length, const char **end,
                                int terminated) {
  (void)value;
  (void)length;
  (void)end;
  (void)terminated;
  return NULL;
}
void *cJSON_CreateObject(void) { return NULL; }
void cJSON_Delete(void *item) {
  if (item) abort();
}
uint64_t rs_hash(const char *s, size_t n) {
  (void)s;
  (void)n;
  abort();
}
double arag_strtod(const char *s, char **end) {
  (void)s;
  (void)end;
  abort();
}
