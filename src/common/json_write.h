/* Writing JSON straight into an arag_sb, byte for byte as cJSON_PrintUnformatted
 * would print the same values (string escapes, number format), without building
 * a cJSON tree first. Used for the result JSON of a recommendation, which is
 * printed once per session and is one of its larger costs. */
#ifndef ARAG_JSON_WRITE_H
#define ARAG_JSON_WRITE_H

#include "strbuf.h"
#include <cJSON.h>

/* A string value as cJSON prints it (NULL prints ""). */
void arag_jw_string(arag_sb *b, const char *s);
/* A number as cJSON prints it: "%1.15g", or "%1.17g" when that does not read back
 * (compared as cJSON does), "null" for NaN and infinities. Common values (integers,
 * multiples of 0.0001) take a path without printf that gives the same bytes. */
void arag_jw_number(arag_sb *b, double d);
/* Any cJSON value, as cJSON_PrintUnformatted prints it. An invalid item (a raw
 * value without text, an unknown type) marks b out of memory, as cJSON's print
 * then fails. */
void arag_jw_value(arag_sb *b, const cJSON *item);
/* Object members: writes ',' unless *first, then "key":. */
void arag_jw_key(arag_sb *b, int *first, const char *key);

#endif
