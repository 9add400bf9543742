/* Parses, repairs and validates agent answers (LLM text or offline reasoner JSON).
 *
 * Repairs (recorded in `repairs`, the answer is still used): JSON inside a code fence
 * or after prose, trailing text, a bare array instead of the wrapping object, ids given
 * as numbers or with surrounding spaces, scores as strings or out of [0,1] (clamped),
 * labels in another case or spelling, a missing label or score derived from the other.
 *
 * Degradations (recorded in `degraded` as "<step>:<cause>"): no parsable JSON
 * (parse_error, which includes truncated JSON), JSON of the wrong shape (off_schema),
 * unknown_id:X, duplicate_id:X, missing:X (NLI), out_of_memory (the answer is then
 * dropped as a whole). The caller decides the fallback. */
#ifndef ARAG_AGENT_PARSE_H
#define ARAG_AGENT_PARSE_H

#include "agents.h"
#include "strbuf.h"
#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

/* Longest summary or rationale kept from an answer (bytes). */
#define ARAG_MAX_SUMMARY_BYTES 4000
#define ARAG_MAX_RATIONALE_BYTES 600

/* The first JSON object or array in text: the whole text, a ``` fenced block, or
 * the first '{' / '[' after prose. NULL when none parses (or memory ran out). */
cJSON *arag_extract_json(const char *text, size_t len, const char *step, arag_strlist *repairs);

/* UUA or CSA: {"summary": str, "interests"?: [str]}. On success returns 0 and sets
 * *summary (malloc'ed; for UUA the interests are appended) and *output (validated
 * JSON for the trace). On failure returns -1, records the cause in degraded. */
int arag_parse_summary(arag_agent agent, const char *text, size_t len, const char *step,
                       char **summary, cJSON **output, arag_strlist *repairs,
                       arag_strlist *degraded);

/* NLI over a batch of n candidate ids. Fills out[i], rationale[i] (malloc'ed) and
 * have[i] = 1 for each candidate with a valid verdict. Returns the number of valid
 * verdicts (missing ones recorded as "<step>:missing:ID"), or -1 when the answer is
 * unusable as a whole (then nothing is filled). */
int arag_parse_nli(const char *text, size_t len, const char *step, const char *const *ids,
                   uint32_t n, arag_nli_verdict *out, char **rationale, uint8_t *have,
                   cJSON **output, arag_strlist *repairs, arag_strlist *degraded);

/* Citations read per ranked item (the rest are dropped) and history ids per citation
 * (a citation naming more is dropped). */
#define ARAG_CITES_MAX 16
#define ARAG_CITE_IDS 8

/* IRA over all n candidate ids (I0 order = fallback order). Writes order[0..n) (a
 * permutation of 0..n-1: the model's ranking, then missing ones in fallback order),
 * score[i] (NAN when the model gave none) and reason[i] (malloc'ed or NULL) per
 * candidate index. Returns how many ids came from the model (0: empty ranking), or
 * -1 when the answer is unusable (then order is the fallback order).
 *
 * The output's ranking entries follow order[0..returned). An entry's citations (its
 * "cite", or "cites", "citations", "evidence") are read tolerantly: absent is none; a
 * string "kind" or "kind:id", an object {"kind", "items" | "ids" | "id"}, a list of
 * those, or an object of kinds to ids ({"brand": ["B1"]}); kinds in any case. Each
 * becomes {"kind", "items": [ids]} in the entry's "cite"; one of another shape, with a
 * kind or an id that is not a short string, with more than ARAG_CITE_IDS ids or past
 * the first ARAG_CITES_MAX is dropped and counted in the entry's "cite_dropped" (only
 * when not 0). Citations never make an answer fail; evidence.h checks them. */
int arag_parse_ira(const char *text, size_t len, const char *step, const char *const *ids,
                   uint32_t n, uint32_t *order, float *score, char **reason, cJSON **output,
                   arag_strlist *repairs, arag_strlist *degraded);

/* "supports" / "neutral" / "contradicts" in any case or a common variant; -1 if none. */
int arag_normalize_label(const char *s, int *changed);

#endif
