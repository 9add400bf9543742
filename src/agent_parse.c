#include "agent_parse.h"

#include "fast_strtod.h"
#include "json_alloc.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* Parses text[0..len) as one JSON value that must be an object or array; trailing
 * text after it is allowed (reported through *trailing). *oom is set when the
 * parse failed for want of memory. */
static cJSON *parse_prefix(const char *text, size_t len, int *trailing, int *oom) {
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

static const char *find_sub(const char *s, size_t n, const char *sub) {
  size_t m = strlen(sub);
  if (m > n) return NULL;
  for (size_t i = 0; i + m <= n; i++)
    if (memcmp(s + i, sub, m) == 0) return s + i;
  return NULL;
}

/* arag_extract_json, which also tells when it found no JSON for want of memory. */
static cJSON *extract_json(const char *text, size_t len, const char *step, arag_strlist *repairs,
                           int *oom) {
  *oom = 0;
  if (!text) return NULL;
  size_t i = 0;
  while (i < len && is_ws(text[i])) i++;
  int trailing = 0;
  cJSON *v;
  if (i < len && (text[i] == '{' || text[i] == '[')) {
    v = parse_prefix(text + i, len - i, &trailing, oom);
    if (*oom) return NULL;
    if (v) {
      if (trailing && repairs) arag_strlist_add(repairs, "%s:json_trailing_text", step);
      return v;
    }
  }
  /* ```json ... ``` */
  const char *f = find_sub(text, len, "```");
  if (f) {
    const char *body = f + 3;
    const char *stop = text + len;
    while (body < stop && *body != '\n' && *body != '{' && *body != '[') body++;
    const char *close = find_sub(body, (size_t)(stop - body), "```");
    size_t blen = (size_t)((close ? close : stop) - body);
    const char *b = body;
    while (blen && is_ws(*b)) b++, blen--;
    v = parse_prefix(b, blen, &trailing, oom);
    if (*oom) return NULL;
    if (v) {
      if (repairs) arag_strlist_add(repairs, "%s:json_in_code_fence", step);
      return v;
    }
  }
  /* Prose, then JSON: try the first '{' and the first '['. */
  const char *brace = memchr(text, '{', len);
  const char *brack = memchr(text, '[', len);
  const char *tries[2] = {brace, brack};
  if (brack && brace && brack < brace) tries[0] = brack, tries[1] = brace;
  for (int t = 0; t < 2; t++) {
    if (!tries[t]) continue;
    v = parse_prefix(tries[t], (size_t)(text + len - tries[t]), &trailing, oom);
    if (*oom) return NULL;
    if (v) {
      if (repairs) arag_strlist_add(repairs, "%s:json_after_prose", step);
      return v;
    }
  }
  return NULL;
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
  return extract_json(text, len, step, repairs, &oom);
}

/* The answer's JSON, or NULL with the cause noted: out of memory or no JSON. */
static cJSON *answer_json(const char *text, size_t len, const char *step, arag_strlist *repairs,
                          arag_strlist *degraded) {
  int oom = 0;
  cJSON *root = extract_json(text, len, step, repairs, &oom);
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

int arag_parse_summary(arag_agent agent, const char *text, size_t len, const char *step,
                       char **summary, cJSON **output, arag_strlist *repairs,
                       arag_strlist *degraded) {
  *summary = NULL;
  *output = NULL;
  cJSON *root = answer_json(text, len, step, repairs, degraded);
  if (!root) return -1;
  static const char *const keys[] = {"summary", "user_summary", "context_summary",
                                     "preference_summary", NULL};
  int alias = 0;
  cJSON *s = cJSON_IsObject(root) ? member(root, keys, &alias) : NULL;
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
        static const char *const canon[] = {"supports", "neutral", "contradicts"};
        *changed = strcmp(tab[i].name, canon[tab[i].label]) != 0;
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
  if (r > 0) arag_strlist_add(repairs, "%s:id_repaired:%s", step, id);
  int k = find_id(ids, n, id);
  if (k < 0) {
    arag_strlist_add(degraded, "%s:unknown_id:%s", step, id);
    return -1;
  }
  if (taken[k]) {
    arag_strlist_add(degraded, "%s:duplicate_id:%s", step, id);
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

static const char *const label_names[] = {"supports", "neutral", "contradicts"};

int arag_parse_nli(const char *text, size_t len, const char *step, const char *const *ids,
                   uint32_t n, arag_nli_verdict *out, char **rationale, uint8_t *have,
                   cJSON **output, arag_strlist *repairs, arag_strlist *degraded) {
  *output = NULL;
  for (uint32_t i = 0; i < n; i++) have[i] = 0, rationale[i] = NULL;
  cJSON *root = answer_json(text, len, step, repairs, degraded);
  if (!root) return -1;
  static const char *const keys[] = {"items", "results", "verdicts", "candidates", NULL};
  cJSON *list = entry_list(root, keys, step, repairs);
  cJSON *single = NULL;
  if (!list && cJSON_IsObject(root) && cJSON_GetObjectItem(root, "id")) {
    /* One verdict without the wrapping list. */
    arag_strlist_add(repairs, "%s:single_object", step);
    single = cJSON_CreateArray();
    if (!single || !cJSON_AddItemReferenceToArray(single, root)) {
      arag_strlist_add(degraded, "%s:out_of_memory", step);
      cJSON_Delete(single);
      cJSON_Delete(root);
      return -1;
    }
    list = single;
  }
  if (!list) {
    arag_strlist_add(degraded, "%s:off_schema", step);
    cJSON_Delete(root);
    return -1;
  }
  cJSON *out_items = cJSON_CreateArray();
  int valid = 0, seen = 0, oom = !out_items;
  int max_entries = (int)(4 * n + 16);
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
    if (k < 0) continue;
    double score = NAN;
    int label = -1, changed = 0;
    cJSON *sv = cJSON_GetObjectItem(e, "score");
    int sr = sv ? read_number(sv, &score) : -1;
    if (sr > 0) arag_strlist_add(repairs, "%s:score_from_string:%s", step, id);
    if (sr < 0) score = NAN;
    cJSON *lv = cJSON_GetObjectItem(e, "label");
    if (cJSON_IsString(lv) && lv->valuestring) {
      label = arag_normalize_label(lv->valuestring, &changed);
      if (label >= 0 && (changed || strcmp(lv->valuestring, label_names[label]) != 0))
        arag_strlist_add(repairs, "%s:label_normalized:%s", step, id);
    }
    if (isnan(score) && label < 0) {
      arag_strlist_add(degraded, "%s:off_schema_item:%s", step, id);
      continue;
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
    cJSON *o = cJSON_CreateObject();
    if (!cJSON_AddStringToObject(o, "id", ids[k]) ||
        !cJSON_AddNumberToObject(o, "score", floor(score * 10000 + 0.5) / 10000) ||
        !cJSON_AddStringToObject(o, "label", label_names[label]) ||
        !cJSON_AddStringToObject(o, "rationale", rat)) {
      cJSON_Delete(o);
      oom = 1;
      break;
    }
    if (!add_to_array(out_items, o)) {
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

int arag_parse_ira(const char *text, size_t len, const char *step, const char *const *ids,
                   uint32_t n, uint32_t *order, float *score, char **reason, cJSON **output,
                   arag_strlist *repairs, arag_strlist *degraded) {
  *output = NULL;
  for (uint32_t i = 0; i < n; i++) order[i] = i, score[i] = NAN, reason[i] = NULL;
  cJSON *root = answer_json(text, len, step, repairs, degraded);
  if (!root) return -1;
  static const char *const keys[] = {"ranking", "items", "ranked", "results", NULL};
  cJSON *list = entry_list(root, keys, step, repairs);
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
    if (!oom && cJSON_IsObject(e)) {
      double d;
      cJSON *sv = cJSON_GetObjectItem(e, "score");
      int sr = sv ? read_number(sv, &d) : -1;
      if (sr >= 0) {
        if (sr > 0) arag_strlist_add(repairs, "%s:score_from_string:%s", step, id);
        if (d < 0 || d > 1) {
          arag_strlist_add(repairs, "%s:score_clamped:%s", step, id);
          d = d < 0 ? 0 : 1;
        }
        score[k] = (float)d;
        oom = !cJSON_AddNumberToObject(o, "score", floor(d * 10000 + 0.5) / 10000);
      }
      cJSON *rv = cJSON_GetObjectItem(e, "reason");
      if (!rv) rv = cJSON_GetObjectItem(e, "rationale");
      if (!oom && cJSON_IsString(rv) && rv->valuestring) {
        int cut = 0;
        reason[k] = clean_copy(rv->valuestring, ARAG_MAX_RATIONALE_BYTES, &cut);
        oom = !reason[k] || !cJSON_AddStringToObject(o, "reason", reason[k]);
      }
    }
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
    /* The fallback order, as for an unusable answer. */
    for (uint32_t i = 0; i < n; i++) {
      order[i] = i;
      score[i] = NAN;
      free(reason[i]);
      reason[i] = NULL;
    }
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
