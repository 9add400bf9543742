#include "agent_parse.h"

#include "fast_strtod.h"
#include "json_alloc.h"
#include "strbuf.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* Parses text[0..len) as one JSON value that must be an object or array; trailing
 * text after it is allowed (reported through *trailing). *oom is set when the
 * parse failed for want of memory. */
static cJSON *parse_prefix_end(const char *text, size_t len, int *trailing, int *oom,
                               size_t *used_out) {
  const char *end = NULL;
  unsigned long failures = arag_json_alloc_failures();
  cJSON *v = cJSON_ParseWithLengthOpts(text, len, &end, 0);
  if (!v) {
    if (arag_json_alloc_failures() != failures) *oom = 1;
    return NULL;
  }
  if (!cJSON_IsObject(v) && !cJSON_IsArray(v)) {
    cJSON_Delete(v);
    return NULL;
  }
  *trailing = 0;
  if (used_out) *used_out = end ? (size_t)(end - text) : len;
  if (end) {
    size_t used = (size_t)(end - text);
    for (size_t i = used; i < len; i++)
      if (!is_ws(text[i]) && text[i] != 0) {
        *trailing = 1;
        break;
      }
  }
  return v;
}

static cJSON *parse_prefix(const char *text, size_t len, int *trailing, int *oom) {
  return parse_prefix_end(text, len, trailing, oom, NULL);
}

/* The first place sub occurs in s[0..n): memchr finds where its first byte does. */
static const char *find_sub(const char *s, size_t n, const char *sub) {
  size_t m = strlen(sub);
  if (m == 0) return s;
  const char *end = s + n, *p = s;
  while ((size_t)(end - p) >= m && (p = memchr(p, sub[0], (size_t)(end - p) - m + 1))) {
    if (memcmp(p, sub, m) == 0) return p;
    p++;
  }
  return NULL;
}

static unsigned char lower_ascii(unsigned char c) {
  return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* The same, ignoring ASCII case (sub is lower case and starts with a byte that is not a
 * letter, as the tags' '<': memchr finds it). */
static const char *find_sub_ci(const char *s, size_t n, const char *sub) {
  size_t m = strlen(sub);
  if (m == 0) return s;
  const char *end = s + n, *p = s;
  while ((size_t)(end - p) >= m && (p = memchr(p, sub[0], (size_t)(end - p) - m + 1))) {
    size_t k = 1;
    while (k < m && lower_ascii((unsigned char)p[k]) == (unsigned char)sub[k]) k++;
    if (k == m) return p;
    p++;
  }
  return NULL;
}

/* ------------------------------------------------------------------------ */
/* Reasoning blocks                                                          */
/* ------------------------------------------------------------------------ */

/* Reasoning models write their thoughts before the answer: "<think>...</think>" (Qwen3,
 * DeepSeek-R1 and their distillations as Ollama, vLLM and llama.cpp serve them),
 * "<thinking>", "<reasoning>". Braces in there are prose, not the answer. */
static const char *const think_tags[] = {"think", "thinking", "reasoning"};
#define N_THINK_TAGS 3

/* gpt-oss' harmony format, served raw: the final channel is the answer, all before it
 * reasoning. 0 when the text has no final channel, 1 when split, -1 out of memory. */
static int split_harmony(const char *text, size_t len, char **answer, size_t *alen, char **thoughts,
                         size_t *tlen) {
  const char *fin = NULL, *p = text;
  for (const char *f; (f = find_sub(p, (size_t)(text + len - p), "<|channel|>final<|message|>"));)
    fin = f, p = f + 1;
  if (!fin) return 0;
  const char *a = fin + 27;
  *answer = arag_strndup(a, (size_t)(text + len - a));
  *thoughts = arag_strndup(text, (size_t)(fin - text));
  if (!*answer || !*thoughts) {
    free(*answer);
    free(*thoughts);
    *answer = *thoughts = NULL;
    return -1;
  }
  *alen = (size_t)(text + len - a);
  *tlen = (size_t)(fin - text);
  return 1;
}

static int has_think_tag(const char *text, size_t len) {
  for (int t = 0; t < N_THINK_TAGS; t++) {
    char open[16], close[16];
    snprintf(open, sizeof open, "<%s>", think_tags[t]);
    snprintf(close, sizeof close, "</%s>", think_tags[t]);
    if (find_sub_ci(text, len, open) || find_sub_ci(text, len, close)) return 1;
  }
  return 0;
}

/* A closing tag before any opening one: all before it is reasoning (into th). Returns
 * where the rest starts, 0 when there is no such tag. */
static size_t skip_leading_close(const char *text, size_t len, arag_sb *th) {
  const char *first_open = NULL, *first_close = NULL;
  size_t close_len = 0;
  for (int t = 0; t < N_THINK_TAGS; t++) {
    char open[16], close[16];
    snprintf(open, sizeof open, "<%s>", think_tags[t]);
    snprintf(close, sizeof close, "</%s>", think_tags[t]);
    const char *o = find_sub_ci(text, len, open), *c = find_sub_ci(text, len, close);
    if (o && (!first_open || o < first_open)) first_open = o;
    if (c && (!first_close || c < first_close)) first_close = c, close_len = strlen(close);
  }
  if (!first_close || (first_open && first_close >= first_open)) return 0;
  arag_sb_append(th, text, (size_t)(first_close - text));
  return (size_t)(first_close - text) + close_len;
}

/* text[i..len) into answer text (a) and the insides of its blocks (th, one line each). */
static void split_blocks(const char *text, size_t len, size_t i, arag_sb *a, arag_sb *th,
                         int *unclosed) {
  /* Where each tag opens next, at or after i (NULL: nowhere), searched again only once
   * passed: each tag's search moves forward through the text once in all. */
  const char *next[N_THINK_TAGS];
  int stale[N_THINK_TAGS];
  for (int t = 0; t < N_THINK_TAGS; t++) next[t] = NULL, stale[t] = 1;
  while (i < len) {
    /* The next opening tag of any kind. */
    const char *o = NULL;
    int which = -1;
    for (int t = 0; t < N_THINK_TAGS; t++) {
      if (stale[t] || (next[t] && next[t] < text + i)) {
        char open[16];
        snprintf(open, sizeof open, "<%s>", think_tags[t]);
        next[t] = find_sub_ci(text + i, len - i, open);
        stale[t] = 0;
      }
      if (next[t] && (!o || next[t] < o)) o = next[t], which = t;
    }
    if (!o) {
      arag_sb_append(a, text + i, len - i);
      break;
    }
    arag_sb_append(a, text + i, (size_t)(o - text) - i);
    size_t body = (size_t)(o - text) + strlen(think_tags[which]) + 2;
    char close[16];
    snprintf(close, sizeof close, "</%s>", think_tags[which]);
    const char *c = find_sub_ci(text + body, len - body, close);
    if (!c) {
      arag_sb_append(th, text + body, len - body);
      *unclosed = 1;
      break;
    }
    arag_sb_append(th, text + body, (size_t)(c - text) - body);
    arag_sb_append(th, "\n", 1);
    i = (size_t)(c - text) + strlen(close);
  }
}

/* The text with its reasoning blocks taken out (malloc'ed into *answer, length *alen),
 * and the reasoning itself (*thoughts, the concatenated insides). A block left open
 * (cut by max_tokens) runs to the end; a closing tag with no opening one before it (a
 * chat template that put the opening tag in the prompt) closes everything before it.
 * Returns 0 when the text has no reasoning (nothing allocated), 1 when it had some,
 * -1 when out of memory. *unclosed tells whether a block was left open. */
static int split_reasoning(const char *text, size_t len, char **answer, size_t *alen,
                           char **thoughts, size_t *tlen, int *unclosed) {
  *answer = *thoughts = NULL;
  *alen = *tlen = 0;
  *unclosed = 0;
  int r = split_harmony(text, len, answer, alen, thoughts, tlen);
  if (r) return r;
  if (!has_think_tag(text, len)) return 0;
  arag_sb a, th;
  arag_sb_init(&a);
  arag_sb_init(&th);
  size_t i = skip_leading_close(text, len, &th);
  split_blocks(text, len, i, &a, &th, unclosed);
  if (a.oom || th.oom) {
    arag_sb_free(&a);
    arag_sb_free(&th);
    return -1;
  }
  *answer = arag_sb_take(&a, alen);
  *thoughts = arag_sb_take(&th, tlen);
  if (!*answer || !*thoughts) {
    free(*answer);
    free(*thoughts);
    *answer = *thoughts = NULL;
    return -1;
  }
  return 1;
}

/* ------------------------------------------------------------------------ */
/* Salvaging a cut answer                                                    */
/* ------------------------------------------------------------------------ */

#define SALVAGE_MAX_DEPTH 64

/* A JSON text cut short (a provider that stopped at max_tokens) made whole again: cut
 * back to the last complete value inside its containers, and the containers closed.
 * The complete items of a cut list are kept; an item whose last member was cut keeps
 * the members before it; a string is never closed half way. Returns the repaired text
 * (malloc'ed), or NULL when not even an empty container can be closed. */
static char *salvage_json(const char *s, size_t len, size_t *out_len) {
  char stack[SALVAGE_MAX_DEPTH];
  int expect_key[SALVAGE_MAX_DEPTH];
  int depth = 0, safe_depth = -1;
  size_t safe = 0;
  int in_str = 0, esc = 0, key = 0;
  size_t i = 0;
  while (i < len) {
    char c = s[i];
    if (in_str) {
      if (esc)
        esc = 0;
      else if (c == '\\')
        esc = 1;
      else if (c == '"') {
        in_str = 0;
        if (!key) safe = i + 1, safe_depth = depth; /* a string value ended */
      }
      i++;
      continue;
    }
    if (is_ws(c)) {
      i++;
      continue;
    }
    if (c == '{' || c == '[') {
      if (depth == SALVAGE_MAX_DEPTH) break;
      stack[depth] = c;
      expect_key[depth] = c == '{';
      depth++;
      safe = i + 1, safe_depth = depth; /* an empty container can close here */
      i++;
    } else if (c == '}' || c == ']') {
      if (!depth || (c == '}') != (stack[depth - 1] == '{')) break; /* not JSON */
      depth--;
      if (!depth) break; /* the whole value is complete: nothing to salvage */
      safe = i + 1, safe_depth = depth;
      i++;
    } else if (c == ':') {
      if (depth && stack[depth - 1] == '{') expect_key[depth - 1] = 0;
      i++;
    } else if (c == ',') {
      if (depth && stack[depth - 1] == '{') expect_key[depth - 1] = 1;
      i++;
    } else if (c == '"') {
      in_str = 1;
      key = depth && stack[depth - 1] == '{' && expect_key[depth - 1];
      i++;
    } else if (depth) {
      /* A number or literal: complete only when a delimiter follows it. */
      size_t j = i;
      while (j < len && !is_ws(s[j]) && s[j] != ',' && s[j] != '}' && s[j] != ']') j++;
      if (j < len) safe = j, safe_depth = depth;
      i = j;
    } else {
      i++;
    }
  }
  if (safe_depth < 1 || depth == 0) return NULL;
  arag_sb b;
  arag_sb_init(&b);
  arag_sb_append(&b, s, safe);
  /* Safe points sit right after a value or an opening bracket, so what is kept never
   * ends in a comma, a colon or a key. */
  for (int d = safe_depth - 1; d >= 0; d--) arag_sb_append(&b, stack[d] == '{' ? "}" : "]", 1);
  return arag_sb_take(&b, out_len);
}

/* ------------------------------------------------------------------------ */
/* Finding the answer's JSON                                                 */
/* ------------------------------------------------------------------------ */

/* Whether a parsed value has the shape an agent's parser reads (its list or summary);
 * a value without it is passed over for the next candidate in the text. */
typedef int (*shape_fn)(const cJSON *v);

/* Whether the bracket at s[0] is still open at s[len] (strings skipped). */
static int runs_to_end(const char *s, size_t len) {
  int depth = 0, in_str = 0, esc = 0;
  for (size_t i = 0; i < len; i++) {
    char c = s[i];
    if (in_str) {
      if (esc)
        esc = 0;
      else if (c == '\\')
        esc = 1;
      else if (c == '"')
        in_str = 0;
    } else if (c == '"') {
      in_str = 1;
    } else if (c == '{' || c == '[') {
      depth++;
    } else if ((c == '}' || c == ']') && --depth == 0) {
      return 0;
    }
  }
  return 1;
}

/* At most this many '{' / '[' positions are tried in prose (each parse fails fast on
 * prose; the bound keeps adversarial text linear enough). */
#define MAX_JSON_TRIES 64

/* The first JSON object or array in text[0..len) that has the shape (any, when shape is
 * NULL): the whole text, a ``` fenced block, then each '{' or '[' after prose, in
 * order. NULL when none; *oom when that was for want of memory. */
static cJSON *find_json(const char *text, size_t len, shape_fn shape, const char *step,
                        arag_strlist *repairs, int *oom);

/* The last JSON value with the shape among those side by side in text (values inside
 * another are not candidates): a model's thoughts hold drafts before the answer. */
static cJSON *find_last_json(const char *text, size_t len, shape_fn shape, int *oom) {
  cJSON *best = NULL;
  int tries = 0, trailing = 0;
  for (size_t k = 0; k < len && tries < MAX_JSON_TRIES; k++) {
    if (text[k] != '{' && text[k] != '[') continue;
    tries++;
    size_t used = 0;
    cJSON *v = parse_prefix_end(text + k, len - k, &trailing, oom, &used);
    if (*oom) {
      cJSON_Delete(best);
      return NULL;
    }
    if (!v) {
      if (runs_to_end(text + k, len - k)) break;
      continue;
    }
    if (!shape || shape(v)) {
      cJSON_Delete(best);
      best = v;
    } else {
      cJSON_Delete(v);
    }
    if (used > 0) k += used - 1;
  }
  return best;
}

static cJSON *find_json(const char *text, size_t len, shape_fn shape, const char *step,
                        arag_strlist *repairs, int *oom) {
  size_t i = 0;
  while (i < len && is_ws(text[i])) i++;
  int trailing = 0;
  cJSON *v;
  if (i < len && (text[i] == '{' || text[i] == '[')) {
    v = parse_prefix(text + i, len - i, &trailing, oom);
    if (*oom) return NULL;
    if (v && (!shape || shape(v))) {
      if (trailing && repairs) arag_strlist_add(repairs, "%s:json_trailing_text", step);
      return v;
    }
    cJSON_Delete(v);
  }
  /* ```json ... ``` blocks */
  const char *f = text, *stop = text + len;
  for (int fences = 0; fences < 8 && (f = find_sub(f, (size_t)(stop - f), "```")); fences++) {
    const char *body = f + 3;
    while (body < stop && *body != '\n' && *body != '{' && *body != '[') body++;
    const char *close = find_sub(body, (size_t)(stop - body), "```");
    size_t blen = (size_t)((close ? close : stop) - body);
    const char *b = body;
    while (blen && is_ws(*b)) b++, blen--;
    v = parse_prefix(b, blen, &trailing, oom);
    if (*oom) return NULL;
    if (v && (!shape || shape(v))) {
      if (repairs) arag_strlist_add(repairs, "%s:json_in_code_fence", step);
      return v;
    }
    cJSON_Delete(v);
    if (!close) break;
    f = close + 3;
  }
  /* Prose, then JSON: each '{' or '[' in turn. A value that runs to the end of the text
   * unclosed is a cut answer: what lies inside it is its own parts, not candidates
   * (the cut answer is salvaged instead). */
  int tries = 0;
  for (size_t k = 0; k < len && tries < MAX_JSON_TRIES; k++) {
    if (text[k] != '{' && text[k] != '[') continue;
    tries++;
    if (k != i) {
      v = parse_prefix(text + k, len - k, &trailing, oom);
      if (*oom) return NULL;
      if (v && (!shape || shape(v))) {
        if (repairs) arag_strlist_add(repairs, "%s:json_after_prose", step);
        return v;
      }
      if (v) {
        cJSON_Delete(v);
        continue;
      }
    }
    if (runs_to_end(text + k, len - k)) break;
  }
  return NULL;
}

/* find_json, then a cut answer salvaged from each of the first '{' / '[' (named
 * truncated_salvaged). */
static cJSON *find_or_salvage(const char *text, size_t len, shape_fn shape, const char *step,
                              arag_strlist *repairs, int *oom) {
  cJSON *v = find_json(text, len, shape, step, repairs, oom);
  if (v || *oom) return v;
  int tries = 0;
  for (size_t k = 0; k < len && tries < 8; k++) {
    if (text[k] != '{' && text[k] != '[') continue;
    tries++;
    size_t slen = 0;
    char *fixed = salvage_json(text + k, len - k, &slen);
    if (!fixed) continue;
    int trailing = 0;
    v = parse_prefix(fixed, slen, &trailing, oom);
    free(fixed);
    if (*oom) return NULL;
    if (v && (!shape || shape(v))) {
      if (repairs) arag_strlist_add(repairs, "%s:truncated_salvaged", step);
      return v;
    }
    cJSON_Delete(v);
  }
  return NULL;
}

/* arag_extract_json with a shape, which also tells when it found no JSON for want of
 * memory. Reasoning blocks are skipped first (named reasoning_skipped); when the
 * answer outside them holds no JSON, the reasoning is searched too (a model that put
 * its answer inside, named json_in_reasoning). */
static cJSON *extract_json(const char *text, size_t len, shape_fn shape, const char *step,
                           arag_strlist *repairs, int *oom) {
  *oom = 0;
  if (!text) return NULL;
  char *answer = NULL, *thoughts = NULL;
  size_t alen = 0, tlen = 0;
  int unclosed = 0;
  int r = split_reasoning(text, len, &answer, &alen, &thoughts, &tlen, &unclosed);
  if (r < 0) {
    *oom = 1;
    return NULL;
  }
  if (r == 0) return find_or_salvage(text, len, shape, step, repairs, oom);
  if (repairs)
    arag_strlist_add(repairs, unclosed ? "%s:reasoning_unclosed" : "%s:reasoning_skipped", step);
  cJSON *v = find_or_salvage(answer, alen, shape, step, repairs, oom);
  if (!v && !*oom) {
    /* The answer inside the thoughts: the last one there (drafts come first), else a
     * cut one salvaged. */
    v = find_last_json(thoughts, tlen, shape, oom);
    if (!v && !*oom) v = find_or_salvage(thoughts, tlen, shape, step, NULL, oom);
    if (v && repairs) arag_strlist_add(repairs, "%s:json_in_reasoning", step);
  }
  free(answer);
  free(thoughts);
  return v;
}

/* Copy of s trimmed of surrounding white space, cut at max bytes on a UTF-8 boundary. */
static char *clean_copy(const char *s, size_t max, int *cut) {
  size_t n = strlen(s);
  while (n && is_ws(*s)) s++, n--;
  while (n && is_ws(s[n - 1])) n--;
  *cut = 0;
  if (n > max) {
    n = max;
    while (n && ((unsigned char)s[n] & 0xC0) == 0x80) n--;
    *cut = 1;
  }
  return arag_strndup(s, n);
}

/* The first present member among names (cJSON looks keys up case-insensitively). */
static cJSON *member(const cJSON *o, const char *const *names, int *alias) {
  for (int i = 0; names[i]; i++) {
    cJSON *m = cJSON_GetObjectItem(o, names[i]);
    if (m) {
      if (alias) *alias = i > 0;
      return m;
    }
  }
  return NULL;
}

cJSON *arag_extract_json(const char *text, size_t len, const char *step, arag_strlist *repairs) {
  int oom = 0;
  return extract_json(text, len, NULL, step, repairs, &oom);
}

/* The answer's JSON with the shape, or NULL with the cause noted: out of memory or no
 * JSON. When no value has the shape, the first JSON value there is is returned (the
 * parser then names it off_schema). */
static cJSON *answer_json(const char *text, size_t len, shape_fn shape, const char *step,
                          arag_strlist *repairs, arag_strlist *degraded) {
  int oom = 0;
  cJSON *root = extract_json(text, len, shape, step, repairs, &oom);
  if (!root && !oom && shape) root = extract_json(text, len, NULL, step, NULL, &oom);
  if (!root) arag_strlist_add(degraded, oom ? "%s:out_of_memory" : "%s:parse_error", step);
  return root;
}

/* cJSON leaves an item it could not add (to a container whose allocation failed, or
 * under a key it could not copy) with the caller: these delete it then. Both return
 * 1 when the item was added. */
static int add_to_array(cJSON *array, cJSON *item) {
  if (array && item && cJSON_AddItemToArray(array, item)) return 1;
  cJSON_Delete(item);
  return 0;
}

static int add_to_object(cJSON *object, const char *key, cJSON *item) {
  if (object && item && cJSON_AddItemToObject(object, key, item)) return 1;
  cJSON_Delete(item);
  return 0;
}

static const char *const summary_keys[] = {"summary", "user_summary", "context_summary",
                                           "preference_summary", NULL};
static const char *const nli_keys[] = {"items", "results", "verdicts", "candidates", NULL};
static const char *const ira_keys[] = {"ranking", "items", "ranked", "results", NULL};

static int shape_summary(const cJSON *v) {
  const cJSON *s = cJSON_IsObject(v) ? member(v, summary_keys, NULL) : NULL;
  return cJSON_IsString(s);
}

static int has_list(const cJSON *v, const char *const *keys) {
  return cJSON_IsArray(v) || (cJSON_IsObject(v) && cJSON_IsArray(member(v, keys, NULL)));
}

static int shape_nli(const cJSON *v) {
  return has_list(v, nli_keys) || (cJSON_IsObject(v) && cJSON_GetObjectItem(v, "id"));
}

static int shape_ira(const cJSON *v) { return has_list(v, ira_keys); }

int arag_parse_summary(arag_agent agent, const char *text, size_t len, const char *step,
                       char **summary, cJSON **output, arag_strlist *repairs,
                       arag_strlist *degraded) {
  *summary = NULL;
  *output = NULL;
  cJSON *root = answer_json(text, len, shape_summary, step, repairs, degraded);
  if (!root) return -1;
  int alias = 0;
  cJSON *s = cJSON_IsObject(root) ? member(root, summary_keys, &alias) : NULL;
  if (!cJSON_IsString(s) || !s->valuestring) {
    arag_strlist_add(degraded, "%s:off_schema", step);
    cJSON_Delete(root);
    return -1;
  }
  if (alias) arag_strlist_add(repairs, "%s:summary_key_alias", step);
  int cut = 0;
  char *sum = clean_copy(s->valuestring, ARAG_MAX_SUMMARY_BYTES, &cut);
  if (!sum || !sum[0]) {
    arag_strlist_add(degraded, sum ? "%s:off_schema" : "%s:out_of_memory", step);
    free(sum);
    cJSON_Delete(root);
    return -1;
  }
  if (cut) arag_strlist_add(repairs, "%s:summary_truncated", step);
  cJSON *out = cJSON_CreateObject();
  int oom = !cJSON_AddStringToObject(out, "summary", sum);
  arag_sb b;
  arag_sb_init(&b);
  arag_sb_puts(&b, sum);
  if (agent == ARAG_AGENT_UUA && !oom) {
    cJSON *ints = cJSON_GetObjectItem(root, "interests");
    cJSON *oi = cJSON_AddArrayToObject(out, "interests");
    oom = !oi;
    if (ints && !cJSON_IsArray(ints)) arag_strlist_add(repairs, "%s:interests_dropped", step);
    int n = 0, dropped = 0;
    cJSON *e, *ilist = cJSON_IsArray(ints) && oi ? ints : NULL;
    cJSON_ArrayForEach(e, ilist) {
      if (!cJSON_IsString(e) || !e->valuestring || n >= 32) {
        dropped++;
        continue;
      }
      int c2 = 0;
      char *t = clean_copy(e->valuestring, 200, &c2);
      if (t && !t[0]) {
        free(t);
        dropped++;
        continue;
      }
      if (!t || !add_to_array(oi, cJSON_CreateString(t))) {
        free(t);
        oom = 1;
        break;
      }
      arag_sb_puts(&b, n ? "; " : "\nInterests: ");
      arag_sb_puts(&b, t);
      free(t);
      n++;
    }
    if (dropped) arag_strlist_add(repairs, "%s:interests_dropped:%d", step, dropped);
  }
  free(sum);
  cJSON_Delete(root);
  *summary = arag_sb_take(&b, NULL);
  if (oom || !*summary) {
    free(*summary);
    *summary = NULL;
    cJSON_Delete(out);
    arag_strlist_add(degraded, "%s:out_of_memory", step);
    return -1;
  }
  *output = out;
  return 0;
}

int arag_normalize_label(const char *s, int *changed) {
  char buf[32];
  size_t n = 0;
  while (*s && is_ws(*s)) s++;
  for (; *s && n + 1 < sizeof buf; s++) buf[n++] = (char)tolower((unsigned char)*s);
  while (n && is_ws(buf[n - 1])) n--;
  buf[n] = 0;
  static const struct {
    const char *name;
    int label;
  } tab[] = {{"supports", ARAG_NLI_SUPPORTS},       {"support", ARAG_NLI_SUPPORTS},
             {"supported", ARAG_NLI_SUPPORTS},      {"entailment", ARAG_NLI_SUPPORTS},
             {"entails", ARAG_NLI_SUPPORTS},        {"neutral", ARAG_NLI_NEUTRAL},
             {"unknown", ARAG_NLI_NEUTRAL},         {"contradicts", ARAG_NLI_CONTRADICTS},
             {"contradict", ARAG_NLI_CONTRADICTS},  {"contradiction", ARAG_NLI_CONTRADICTS},
             {"contradicted", ARAG_NLI_CONTRADICTS}};
  for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
    if (strcmp(buf, tab[i].name) == 0) {
      if (changed) {
        *changed = strcmp(tab[i].name, arag_nli_label_name((arag_nli_label)tab[i].label)) != 0;
      }
      return tab[i].label;
    }
  return -1;
}

/* An id from a string (trimmed) or an integer number. Writes into buf; returns 1 if
 * it needed repair, 0 if it was clean, -1 if there is no usable id. */
static int read_id(const cJSON *v, char *buf, size_t cap) {
  if (cJSON_IsString(v) && v->valuestring) {
    const char *s = v->valuestring;
    size_t n = strlen(s);
    int fixed = 0;
    while (n && is_ws(*s)) s++, n--, fixed = 1;
    while (n && is_ws(s[n - 1])) n--, fixed = 1;
    if (!n || n >= cap) return -1;
    memcpy(buf, s, n);
    buf[n] = 0;
    return fixed;
  }
  if (cJSON_IsNumber(v) && isfinite(v->valuedouble) && fabs(v->valuedouble) < 1e15 &&
      v->valuedouble == floor(v->valuedouble)) {
    snprintf(buf, cap, "%lld", (long long)v->valuedouble);
    return 1;
  }
  return -1;
}

static int find_id(const char *const *ids, uint32_t n, const char *id) {
  for (uint32_t i = 0; i < n; i++)
    if (strcmp(ids[i], id) == 0) return (int)i;
  return -1;
}

/* An id as compared loosely: lower case, without white space and without the quotes
 * and brackets a model may wrap it in. Writes at most cap - 1 bytes. */
static void loose_key(const char *s, char *out, size_t cap) {
  size_t n = 0;
  for (; *s && n + 1 < cap; s++) {
    unsigned char c = (unsigned char)*s;
    if (is_ws((char)c) || strchr("\"'`[]()<>", c)) continue;
    out[n++] = (char)tolower(c);
  }
  out[n] = 0;
}

/* The integer a string of digits spells (leading zeros allowed); 0 if it is not one. */
static int digits_value(const char *s, unsigned long long *v) {
  size_t n = 0;
  *v = 0;
  for (; s[n]; n++) {
    if (s[n] < '0' || s[n] > '9' || n >= 19) return 0;
    *v = *v * 10 + (unsigned long long)(s[n] - '0');
  }
  return n > 0;
}

/* The candidate an id names: exactly; else the one candidate equal to it in lower case
 * without white space or wrapping quotes; else, for an id of digits, the one candidate
 * of digits with the same value ("42" for "0042"). *loose is set for the last two.
 * -1 when none, or when a loose match is not unique. */
static int match_id(const char *const *ids, uint32_t n, const char *id, int *loose) {
  *loose = 0;
  int k = find_id(ids, n, id);
  if (k >= 0) return k;
  char want[300], have[300];
  loose_key(id, want, sizeof want);
  if (!want[0]) return -1;
  int found = -1, count = 0;
  for (uint32_t i = 0; i < n && count < 2; i++) {
    loose_key(ids[i], have, sizeof have);
    if (strcmp(have, want) == 0) found = (int)i, count++;
  }
  if (count == 1) {
    *loose = 1;
    return found;
  }
  unsigned long long v, w;
  if (count || !digits_value(want, &v)) return -1;
  for (uint32_t i = 0; i < n && count < 2; i++)
    if (digits_value(ids[i], &w) && w == v) found = (int)i, count++;
  if (count != 1) return -1;
  *loose = 1;
  return found;
}

/* The candidate index an entry's id names, or -1 with the reason recorded: no
 * readable id, an id not among the candidates, or one already taken. A repaired
 * id is recorded too. The id is left in id[300]. */
static int entry_candidate(const cJSON *idv, const char *const *ids, uint32_t n,
                           const uint8_t *taken, const char *step, char id[300],
                           arag_strlist *repairs, arag_strlist *degraded) {
  int r = read_id(idv, id, 300);
  if (r < 0) {
    arag_strlist_add(degraded, "%s:entry_without_id", step);
    return -1;
  }
  int loose = 0;
  int k = match_id(ids, n, id, &loose);
  if (k < 0) {
    arag_strlist_add(degraded, "%s:unknown_id:%s", step, id);
    return -1;
  }
  if (loose)
    arag_strlist_add(repairs, "%s:id_matched:%s", step, id);
  else if (r > 0)
    arag_strlist_add(repairs, "%s:id_repaired:%s", step, id);
  if (taken[k]) {
    arag_strlist_add(degraded, "%s:duplicate_id:%s", step, ids[k]);
    return -1;
  }
  return k;
}

/* A number, or a string holding one. Returns 1 if repaired from a string. */
static int read_number(const cJSON *v, double *out) {
  if (cJSON_IsNumber(v) && isfinite(v->valuedouble)) {
    *out = v->valuedouble;
    return 0;
  }
  if (cJSON_IsString(v) && v->valuestring) {
    char *end = NULL;
    double d = arag_strtod(v->valuestring, &end);
    if (end != v->valuestring && isfinite(d)) {
      while (*end && is_ws(*end)) end++;
      if (*end == '%') d /= 100.0, end++;
      while (*end && is_ws(*end)) end++;
      if (*end == 0) {
        *out = d;
        return 1;
      }
    }
  }
  return -1;
}

/* The scale an answer gives its scores on: 1 (the schema's [0, 1]), 10 or 100, seen
 * from all its scores together (small local models often answer 0-10 or 0-100). A
 * scale other than 1 needs the largest score in (1, 10] or (10, 100], no negative
 * score, and the scores to look like that scale: all whole numbers, or (three or more)
 * at least half above 1; otherwise a score out of [0, 1] is clamped, one by one. */
static double score_scale(const cJSON *list) {
  double mx = 0;
  int n = 0, over1 = 0, whole = 0, negative = 0;
  const cJSON *e;
  cJSON_ArrayForEach(e, list) {
    double d;
    if (!cJSON_IsObject(e) || read_number(cJSON_GetObjectItem(e, "score"), &d) < 0) continue;
    n++;
    if (d > mx) mx = d;
    over1 += d > 1;
    whole += d == floor(d);
    negative += d < 0;
  }
  if (!n || mx <= 1 || negative || ((n < 3 || over1 * 2 < n) && whole < n)) return 1;
  return mx <= 10 ? 10 : mx <= 100 ? 100 : 1;
}

/* The list of entries: root array, or the first array member among keys. */
static cJSON *entry_list(cJSON *root, const char *const *keys, const char *step,
                         arag_strlist *repairs) {
  if (cJSON_IsArray(root)) {
    arag_strlist_add(repairs, "%s:bare_array", step);
    return root;
  }
  if (!cJSON_IsObject(root)) return NULL;
  int alias = 0;
  cJSON *l = member(root, keys, &alias);
  if (cJSON_IsArray(l)) {
    if (alias) arag_strlist_add(repairs, "%s:list_key_alias", step);
    return l;
  }
  return NULL;
}

/* The list of verdicts in root (or root itself, a single verdict, wrapped in *single);
 * NULL when there is none (noted in degraded). */
static cJSON *nli_list(cJSON *root, const char *step, cJSON **single, arag_strlist *repairs,
                       arag_strlist *degraded) {
  *single = NULL;
  cJSON *list = entry_list(root, nli_keys, step, repairs);
  if (!list && cJSON_IsObject(root) && cJSON_GetObjectItem(root, "id")) {
    /* One verdict without the wrapping list. */
    arag_strlist_add(repairs, "%s:single_object", step);
    *single = cJSON_CreateArray();
    if (!*single || !cJSON_AddItemReferenceToArray(*single, root)) {
      arag_strlist_add(degraded, "%s:out_of_memory", step);
      cJSON_Delete(*single);
      *single = NULL;
      return NULL;
    }
    return *single;
  }
  if (!list) arag_strlist_add(degraded, "%s:off_schema", step);
  return list;
}

/* The score (0..1) and label of verdict e, each derived from the other when missing
 * and repaired as noted; -1 when it has neither. */
static int nli_verdict(const cJSON *e, double scale, const char *step, const char *id,
                       double *score_out, int *label_out, arag_strlist *repairs,
                       arag_strlist *degraded) {
  double score = NAN;
  int label = -1, changed = 0;
  cJSON *sv = cJSON_GetObjectItem(e, "score");
  int sr = sv ? read_number(sv, &score) : -1;
  if (sr > 0) arag_strlist_add(repairs, "%s:score_from_string:%s", step, id);
  if (sr < 0) score = NAN;
  score /= scale;
  cJSON *lv = cJSON_GetObjectItem(e, "label");
  if (cJSON_IsString(lv) && lv->valuestring) {
    label = arag_normalize_label(lv->valuestring, &changed);
    if (label >= 0 &&
        (changed || strcmp(lv->valuestring, arag_nli_label_name((arag_nli_label)label)) != 0))
      arag_strlist_add(repairs, "%s:label_normalized:%s", step, id);
  }
  if (isnan(score) && label < 0) {
    arag_strlist_add(degraded, "%s:off_schema_item:%s", step, id);
    return -1;
  }
  if (isnan(score)) {
    score = label == ARAG_NLI_SUPPORTS ? 0.8 : label == ARAG_NLI_CONTRADICTS ? 0.2 : 0.5;
    arag_strlist_add(repairs, "%s:score_from_label:%s", step, id);
  }
  if (score < 0 || score > 1) {
    arag_strlist_add(repairs, "%s:score_clamped:%s", step, id);
    score = score < 0 ? 0 : 1;
  }
  if (label < 0) {
    label = score >= 2.0 / 3   ? ARAG_NLI_SUPPORTS
            : score <= 1.0 / 3 ? ARAG_NLI_CONTRADICTS
                               : ARAG_NLI_NEUTRAL;
    arag_strlist_add(repairs, "%s:label_from_score:%s", step, id);
  }
  *score_out = score;
  *label_out = label;
  return 0;
}

/* One validated verdict of the output, or NULL when out of memory. */
static cJSON *nli_output_item(const char *id, double score, int label, const char *rat) {
  cJSON *o = cJSON_CreateObject();
  if (!cJSON_AddStringToObject(o, "id", id) ||
      !cJSON_AddNumberToObject(o, "score", floor(score * 10000 + 0.5) / 10000) ||
      !cJSON_AddStringToObject(o, "label", arag_nli_label_name((arag_nli_label)label)) ||
      !cJSON_AddStringToObject(o, "rationale", rat)) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

int arag_parse_nli(const char *text, size_t len, const char *step, const char *const *ids,
                   uint32_t n, arag_nli_verdict *out, char **rationale, uint8_t *have,
                   cJSON **output, arag_strlist *repairs, arag_strlist *degraded) {
  *output = NULL;
  for (uint32_t i = 0; i < n; i++) have[i] = 0, rationale[i] = NULL;
  cJSON *root = answer_json(text, len, shape_nli, step, repairs, degraded);
  if (!root) return -1;
  cJSON *single = NULL;
  cJSON *list = nli_list(root, step, &single, repairs, degraded);
  if (!list) {
    cJSON_Delete(root);
    return -1;
  }
  cJSON *out_items = cJSON_CreateArray();
  int valid = 0, seen = 0, oom = !out_items;
  int max_entries = (int)(4 * n + 16);
  double scale = score_scale(list);
  if (scale != 1) arag_strlist_add(repairs, "%s:score_scale:%g", step, scale);
  cJSON *e;
  cJSON_ArrayForEach(e, list) {
    if (++seen > max_entries) {
      arag_strlist_add(repairs, "%s:entries_truncated", step);
      break;
    }
    char id[300];
    if (!cJSON_IsObject(e)) {
      arag_strlist_add(degraded, "%s:entry_without_id", step);
      continue;
    }
    int k =
        entry_candidate(cJSON_GetObjectItem(e, "id"), ids, n, have, step, id, repairs, degraded);
    double score;
    int label;
    if (k < 0 || nli_verdict(e, scale, step, id, &score, &label, repairs, degraded) != 0) continue;
    cJSON *rv = cJSON_GetObjectItem(e, "rationale");
    if (!rv) rv = cJSON_GetObjectItem(e, "reason");
    int cut = 0;
    char *rat = clean_copy(cJSON_IsString(rv) && rv->valuestring ? rv->valuestring : "",
                           ARAG_MAX_RATIONALE_BYTES, &cut);
    if (!rat) {
      oom = 1;
      break;
    }
    out[k].score = (float)score;
    out[k].label = (arag_nli_label)label;
    out[k].rationale = rat;
    rationale[k] = rat;
    have[k] = 1;
    valid++;
    if (!add_to_array(out_items, nli_output_item(ids[k], score, label, rat))) {
      oom = 1;
      break;
    }
  }
  cJSON_Delete(single);
  cJSON_Delete(root);
  cJSON *outobj = NULL;
  if (!oom) {
    outobj = cJSON_CreateObject();
    oom = !add_to_object(outobj, "items", out_items);
    out_items = NULL;
  }
  if (oom) {
    /* Nothing is filled: the answer is dropped as a whole. */
    for (uint32_t i = 0; i < n; i++) {
      free(rationale[i]);
      rationale[i] = NULL;
      have[i] = 0;
    }
    cJSON_Delete(out_items);
    cJSON_Delete(outobj);
    arag_strlist_add(degraded, "%s:out_of_memory", step);
    return -1;
  }
  for (uint32_t i = 0; i < n; i++)
    if (!have[i]) arag_strlist_add(degraded, "%s:missing:%s", step, ids[i]);
  *output = outobj;
  return valid;
}

/* ------------------------------------------------------------------------ */
/* IRA citations (agent_parse.h; checked against the evidence in evidence.c) */
/* ------------------------------------------------------------------------ */

static const char *const cite_keys[] = {"cite", "cites", "citations", "evidence", NULL};
static const char *const cite_id_keys[] = {"items", "ids", "id", "history", NULL};

typedef struct cite_acc {
  cJSON *list; /* the kept citations, {"kind", "items"} */
  uint32_t kept, dropped;
  int oom;
} cite_acc;

/* A kind: a short printable string, trimmed, in lower case with '-' and ' ' as '_'. */
static int cite_kind(const char *s, size_t n, char out[32]) {
  while (n && is_ws(*s)) s++, n--;
  while (n && is_ws(s[n - 1])) n--;
  if (!n || n >= 32) return 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x20 || c >= 0x7f) return 0;
    out[i] = c == '-' || c == ' ' ? '_' : (char)tolower(c);
  }
  out[n] = 0;
  return 1;
}

/* The ids of a citation: a string or number (one id), an array of them (at most
 * ARAG_CITE_IDS), or nothing (NULL, null, true). Appends them to items; 0 when
 * malformed. */
static int cite_ids(const cJSON *v, cJSON *items, int *oom) {
  char id[300];
  if (!v || cJSON_IsNull(v) || cJSON_IsTrue(v)) return 1;
  if (!cJSON_IsArray(v)) {
    if (read_id(v, id, sizeof id) < 0) return 0;
    *oom |= !add_to_array(items, cJSON_CreateString(id));
    return 1;
  }
  const cJSON *x;
  uint32_t n = 0;
  cJSON_ArrayForEach(x, v) {
    if (++n > ARAG_CITE_IDS || read_id(x, id, sizeof id) < 0) return 0;
    *oom |= !add_to_array(items, cJSON_CreateString(id));
  }
  return 1;
}

/* One citation: kind (klen bytes) and its ids, given as a JSON value (idv) or as the
 * text after "kind:" (id, idlen; NULL: none). Counted as dropped when malformed or
 * past ARAG_CITES_MAX. */
static void add_cite(cite_acc *a, const char *kind, size_t klen, const cJSON *idv, const char *id,
                     size_t idlen) {
  char k[32];
  if (a->kept >= ARAG_CITES_MAX || a->oom || !cite_kind(kind, klen, k)) {
    a->dropped++;
    return;
  }
  cJSON *c = cJSON_CreateObject(), *items = cJSON_CreateArray();
  int ok = 1, oom = !c || !items;
  if (!oom && id) {
    while (idlen && is_ws(*id)) id++, idlen--;
    while (idlen && is_ws(id[idlen - 1])) idlen--;
    ok = idlen > 0 && idlen < 300;
    if (ok) {
      char *dup = arag_strndup(id, idlen);
      oom = !dup || !add_to_array(items, cJSON_CreateString(dup));
      free(dup);
    }
  } else if (!oom) {
    ok = cite_ids(idv, items, &oom);
  }
  if (!oom && ok) {
    oom = !cJSON_AddStringToObject(c, "kind", k) || !add_to_object(c, "items", items);
    items = NULL;
    if (!oom) {
      oom = !add_to_array(a->list, c);
      c = NULL;
      a->kept += !oom;
    }
  }
  cJSON_Delete(items);
  cJSON_Delete(c);
  a->oom |= oom;
  if (!ok) a->dropped++;
}

/* One element of a citation list: "kind" or "kind:id", {"kind", "items"...}, or an
 * object of kinds to ids. */
static void read_cite(cite_acc *a, const cJSON *v) {
  static const char *const kind_keys[] = {"kind", "type", NULL};
  if (cJSON_IsString(v) && v->valuestring) {
    const char *s = v->valuestring, *colon = strchr(s, ':');
    if (colon)
      add_cite(a, s, (size_t)(colon - s), NULL, colon + 1, strlen(colon + 1));
    else
      add_cite(a, s, strlen(s), NULL, NULL, 0);
    return;
  }
  if (!cJSON_IsObject(v)) {
    a->dropped++;
    return;
  }
  const cJSON *kind = member(v, kind_keys, NULL);
  if (kind) {
    if (cJSON_IsString(kind) && kind->valuestring)
      add_cite(a, kind->valuestring, strlen(kind->valuestring), member(v, cite_id_keys, NULL), NULL,
               0);
    else
      a->dropped++;
    return;
  }
  const cJSON *m;
  int any = 0;
  cJSON_ArrayForEach(m, v) {
    any = 1;
    if (m->string)
      add_cite(a, m->string, strlen(m->string), m, NULL, 0);
    else
      a->dropped++;
  }
  if (!any) a->dropped++;
}

/* An entry's citations into its output object o: "cite" and "cite_dropped". 0, or -1
 * when memory ran out. */
static int read_cites(const cJSON *e, cJSON *o) {
  const cJSON *v = member(e, cite_keys, NULL);
  if (!v || cJSON_IsNull(v)) return 0;
  cite_acc a = {cJSON_CreateArray(), 0, 0, 0};
  if (!a.list) return -1;
  if (cJSON_IsArray(v)) {
    const cJSON *x;
    cJSON_ArrayForEach(x, v) read_cite(&a, x);
  } else {
    read_cite(&a, v);
  }
  int oom = a.oom;
  if (!oom && a.kept) {
    oom = !add_to_object(o, "cite", a.list);
    a.list = NULL;
  }
  cJSON_Delete(a.list);
  if (!oom && a.dropped) oom = !cJSON_AddNumberToObject(o, "cite_dropped", a.dropped);
  return oom ? -1 : 0;
}

/* An object entry's score, reason and citations: into o, *score and *reason. Returns 1
 * when memory ran out. */
static int ira_entry_fields(const cJSON *e, cJSON *o, const char *step, const char *id,
                            double scale, float *score, char **reason, arag_strlist *repairs) {
  double d;
  cJSON *sv = cJSON_GetObjectItem(e, "score");
  int sr = sv ? read_number(sv, &d) : -1;
  if (sr >= 0) {
    if (sr > 0) arag_strlist_add(repairs, "%s:score_from_string:%s", step, id);
    d /= scale;
    if (d < 0 || d > 1) {
      arag_strlist_add(repairs, "%s:score_clamped:%s", step, id);
      d = d < 0 ? 0 : 1;
    }
    *score = (float)d;
    if (!cJSON_AddNumberToObject(o, "score", floor(d * 10000 + 0.5) / 10000)) return 1;
  }
  cJSON *rv = cJSON_GetObjectItem(e, "reason");
  if (!rv) rv = cJSON_GetObjectItem(e, "rationale");
  if (cJSON_IsString(rv) && rv->valuestring) {
    int cut = 0;
    *reason = clean_copy(rv->valuestring, ARAG_MAX_RATIONALE_BYTES, &cut);
    if (!*reason || !cJSON_AddStringToObject(o, "reason", *reason)) return 1;
  }
  return read_cites(e, o) < 0;
}

/* The fallback order, as for an unusable answer. */
static void ira_fallback(uint32_t n, uint32_t *order, float *score, char **reason) {
  for (uint32_t i = 0; i < n; i++) {
    order[i] = i;
    score[i] = NAN;
    free(reason[i]);
    reason[i] = NULL;
  }
}

int arag_parse_ira(const char *text, size_t len, const char *step, const char *const *ids,
                   uint32_t n, uint32_t *order, float *score, char **reason, cJSON **output,
                   arag_strlist *repairs, arag_strlist *degraded) {
  *output = NULL;
  for (uint32_t i = 0; i < n; i++) order[i] = i, score[i] = NAN, reason[i] = NULL;
  cJSON *root = answer_json(text, len, shape_ira, step, repairs, degraded);
  if (!root) return -1;
  cJSON *list = entry_list(root, ira_keys, step, repairs);
  if (!list) {
    arag_strlist_add(degraded, "%s:off_schema", step);
    cJSON_Delete(root);
    return -1;
  }
  uint8_t *placed = calloc(n ? n : 1, 1);
  cJSON *out_rank = cJSON_CreateArray();
  int oom = !placed || !out_rank;
  uint32_t m = 0;
  int seen = 0, bare = 0;
  int max_entries = (int)(4 * n + 16);
  double scale = score_scale(list);
  if (scale != 1) arag_strlist_add(repairs, "%s:score_scale:%g", step, scale);
  cJSON *e, *walk = oom ? NULL : list;
  cJSON_ArrayForEach(e, walk) {
    if (++seen > max_entries) {
      arag_strlist_add(repairs, "%s:entries_truncated", step);
      break;
    }
    char id[300];
    const cJSON *idv = e;
    if (cJSON_IsObject(e))
      idv = cJSON_GetObjectItem(e, "id");
    else
      bare = 1;
    int k = entry_candidate(idv, ids, n, placed, step, id, repairs, degraded);
    if (k < 0) continue;
    placed[k] = 1;
    order[m++] = (uint32_t)k;
    cJSON *o = cJSON_CreateObject();
    oom = !cJSON_AddStringToObject(o, "id", ids[k]);
    if (!oom && cJSON_IsObject(e))
      oom = ira_entry_fields(e, o, step, id, scale, &score[k], &reason[k], repairs);
    if (oom) {
      cJSON_Delete(o);
      break;
    }
    if (!add_to_array(out_rank, o)) {
      oom = 1;
      break;
    }
  }
  cJSON_Delete(root);
  cJSON *outobj = NULL;
  if (!oom) {
    outobj = cJSON_CreateObject();
    oom = !add_to_object(outobj, "ranking", out_rank);
    out_rank = NULL;
  }
  if (oom) {
    ira_fallback(n, order, score, reason);
    free(placed);
    cJSON_Delete(out_rank);
    cJSON_Delete(outobj);
    arag_strlist_add(degraded, "%s:out_of_memory", step);
    return -1;
  }
  if (bare) arag_strlist_add(repairs, "%s:bare_ids", step);
  int from_model = (int)m;
  uint32_t appended = 0;
  for (uint32_t i = 0; i < n; i++)
    if (!placed[i]) order[m++] = i, appended++;
  if (from_model > 0 && appended)
    arag_strlist_add(degraded, "%s:missing_appended:%u", step, appended);
  free(placed);
  *output = outobj;
  return from_model;
}
