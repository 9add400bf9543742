/* Items and events from JSON: field checks with limits, brand extraction,
 * embeddings, copies. */
#include "item.h"

#include "embed.h"
#include "errbuf.h"
#include "json_alloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_bytes(const char *s, size_t n) {
  char *d = (char *)malloc(n + 1);
  if (!d) return NULL;
  if (n) memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

void arag_item_clear(arag_item *it) {
  if (!it || it->in_arena) return; /* its catalog frees the arena */
  free(it->id);
  free(it->title);
  free(it->text);
  free(it->brand);
  free(it->group);
  if (it->categories) {
    for (uint32_t i = 0; i < it->n_categories; i++) free(it->categories[i]);
    free(it->categories);
  }
  if (it->related_ids) {
    for (uint32_t i = 0; i < it->n_related; i++) free(it->related_ids[i]);
    free(it->related_ids);
  }
  free(it->related_w);
  free(it->vec);
  memset(it, 0, sizeof(*it));
  it->price = NAN;
  it->popularity = NAN;
}

/* Optional string field: absent or null -> "" ; wrong type -> ARAG_E_JSON. */
static arag_status get_string(const cJSON *obj, const char *name, int required, size_t max_bytes,
                              char **out, arag_error *err) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
  const char *s = "";
  size_t n = 0;
  if (!v || cJSON_IsNull(v)) {
    if (required) return arag_err_set(err, ARAG_E_JSON, "missing \"%s\" (a string)", name);
  } else if (!cJSON_IsString(v) || !v->valuestring) {
    return arag_err_set(err, ARAG_E_JSON, "\"%s\" must be a string", name);
  } else {
    s = v->valuestring;
    n = strlen(s);
    if (n > max_bytes)
      return arag_err_set(err, ARAG_E_LIMIT, "\"%s\" is %zu bytes, over the limit of %zu", name, n,
                          max_bytes);
  }
  *out = dup_bytes(s, n);
  if (!*out) return arag_err_set(err, ARAG_E_NOMEM, "out of memory");
  return ARAG_OK;
}

static arag_status get_number(const cJSON *obj, const char *name, double *out, int *present,
                              arag_error *err) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
  *out = NAN;
  if (present) *present = 0;
  if (!v || cJSON_IsNull(v)) return ARAG_OK;
  if (!cJSON_IsNumber(v)) return arag_err_set(err, ARAG_E_JSON, "\"%s\" must be a number", name);
  if (!isfinite(v->valuedouble))
    return arag_err_set(err, ARAG_E_JSON, "\"%s\" must be a finite number", name);
  *out = v->valuedouble;
  if (present) *present = 1;
  return ARAG_OK;
}

/* "Brand: X. rest" -> X (trimmed; X ends at the first '.' followed by a space or
 * the end). Returns a malloc'ed string, "" when text has no such prefix. */
static char *brand_from_text(const char *text) {
  static const char prefix[] = "Brand:";
  if (strncmp(text, prefix, sizeof(prefix) - 1) != 0) return dup_bytes("", 0);
  const char *s = text + sizeof(prefix) - 1;
  while (*s == ' ') s++;
  const char *e = s;
  while (*e && !(*e == '.' && (e[1] == ' ' || e[1] == '\0'))) e++;
  while (e > s && e[-1] == ' ') e--;
  size_t n = (size_t)(e - s);
  if (n > 200) n = 0; /* no sentence end near the start: not a brand */
  return dup_bytes(s, n);
}

/* "related": {"<item id>": weight, ...}: at most ARAG_ITEM_MAX_RELATED entries,
 * ids of 1..max_id_bytes bytes, weights finite and >= 0 (as f32). */
static arag_status get_related(const cJSON *obj, const arag_limits *lim, arag_item *it,
                               arag_error *err) {
  const cJSON *rel = cJSON_GetObjectItemCaseSensitive(obj, "related");
  if (!rel || cJSON_IsNull(rel)) return ARAG_OK;
  if (!cJSON_IsObject(rel))
    return arag_err_set(err, ARAG_E_JSON, "\"related\" must be an object of id: weight");
  int n = cJSON_GetArraySize(rel);
  if (n > ARAG_ITEM_MAX_RELATED)
    return arag_err_set(err, ARAG_E_LIMIT, "\"related\" has %d entries, over the limit of %d", n,
                        ARAG_ITEM_MAX_RELATED);
  if (n == 0) return ARAG_OK;
  it->related_ids = (char **)calloc((size_t)n, sizeof(char *));
  it->related_w = (float *)calloc((size_t)n, sizeof(float));
  if (!it->related_ids || !it->related_w) return arag_err_set(err, ARAG_E_NOMEM, "out of memory");
  const cJSON *r;
  cJSON_ArrayForEach(r, rel) {
    const char *key = r->string ? r->string : "";
    size_t kl = strlen(key);
    if (kl == 0) return arag_err_set(err, ARAG_E_INVALID, "\"related\" has an empty id");
    if (kl > lim->max_id_bytes)
      return arag_err_set(err, ARAG_E_LIMIT, "\"related\" id is %zu bytes, over max_id_bytes %u",
                          kl, lim->max_id_bytes);
    if (!cJSON_IsNumber(r))
      return arag_err_set(err, ARAG_E_JSON, "\"related\"[\"%.64s\"] must be a number", key);
    float w = (float)r->valuedouble;
    if (!isfinite(r->valuedouble) || !isfinite(w) || !(w >= 0.0f))
      return arag_err_set(err, ARAG_E_INVALID,
                          "\"related\"[\"%.64s\"] must be a finite number >= 0", key);
    it->related_ids[it->n_related] = dup_bytes(key, kl);
    if (!it->related_ids[it->n_related]) return arag_err_set(err, ARAG_E_NOMEM, "out of memory");
    it->related_w[it->n_related++] = w;
  }
  return ARAG_OK;
}

static arag_status get_id(const cJSON *obj, const arag_limits *lim, arag_item *it,
                          arag_error *err) {
  const cJSON *id = cJSON_GetObjectItemCaseSensitive(obj, "id");
  if (!id || !cJSON_IsString(id) || !id->valuestring)
    return arag_err_set(err, ARAG_E_JSON, "\"id\" must be a string");
  size_t id_len = strlen(id->valuestring);
  if (id_len == 0) return arag_err_set(err, ARAG_E_INVALID, "\"id\" is empty");
  if (id_len > lim->max_id_bytes)
    return arag_err_set(err, ARAG_E_LIMIT, "\"id\" is %zu bytes, over max_id_bytes %u", id_len,
                        lim->max_id_bytes);
  it->id = dup_bytes(id->valuestring, id_len);
  if (!it->id) return arag_err_set(err, ARAG_E_NOMEM, "out of memory");
  it->id_len = (uint32_t)id_len;
  return ARAG_OK;
}

/* "categories": at most ARAG_ITEM_MAX_CATEGORIES strings of up to max_text_bytes. */
static arag_status get_categories(const cJSON *obj, const arag_limits *lim, arag_item *it,
                                  arag_error *err) {
  const cJSON *cats = cJSON_GetObjectItemCaseSensitive(obj, "categories");
  if (!cats || cJSON_IsNull(cats)) return ARAG_OK;
  if (!cJSON_IsArray(cats))
    return arag_err_set(err, ARAG_E_JSON, "\"categories\" must be an array of strings");
  int n = cJSON_GetArraySize(cats);
  if (n > ARAG_ITEM_MAX_CATEGORIES)
    return arag_err_set(err, ARAG_E_LIMIT, "\"categories\" has %d entries, over the limit of %d", n,
                        ARAG_ITEM_MAX_CATEGORIES);
  if (n == 0) return ARAG_OK;
  it->categories = (char **)calloc((size_t)n, sizeof(char *));
  if (!it->categories) return arag_err_set(err, ARAG_E_NOMEM, "out of memory");
  const cJSON *c;
  cJSON_ArrayForEach(c, cats) {
    if (!cJSON_IsString(c) || !c->valuestring)
      return arag_err_set(err, ARAG_E_JSON, "\"categories\"[%u] must be a string",
                          it->n_categories);
    size_t cl = strlen(c->valuestring);
    if (cl > lim->max_text_bytes)
      return arag_err_set(err, ARAG_E_LIMIT,
                          "\"categories\"[%u] is %zu bytes, over max_text_bytes %u",
                          it->n_categories, cl, lim->max_text_bytes);
    it->categories[it->n_categories] = dup_bytes(c->valuestring, cl);
    if (!it->categories[it->n_categories]) return arag_err_set(err, ARAG_E_NOMEM, "out of memory");
    it->n_categories++;
  }
  return ARAG_OK;
}

/* "vector": dim finite f32 numbers whose squared norm stays a float; without one, the
 * item's text embedded. */
static arag_status get_vector(const cJSON *obj, const arag_limits *lim, uint32_t dim, arag_item *it,
                              arag_error *err) {
  if (dim == 0) return arag_err_set(err, ARAG_E_INVALID, "dimension 0");
  it->vec = (float *)malloc((size_t)dim * sizeof(float));
  if (!it->vec) return arag_err_set(err, ARAG_E_NOMEM, "out of memory");

  const cJSON *vecj = cJSON_GetObjectItemCaseSensitive(obj, "vector");
  if (vecj && !cJSON_IsNull(vecj)) {
    if (!cJSON_IsArray(vecj))
      return arag_err_set(err, ARAG_E_JSON, "\"vector\" must be an array of numbers");
    int n = cJSON_GetArraySize(vecj);
    if ((uint32_t)n > lim->max_dim)
      return arag_err_set(err, ARAG_E_LIMIT, "\"vector\" has %d numbers, over max_dim %u", n,
                          lim->max_dim);
    if ((uint32_t)n != dim)
      return arag_err_set(err, ARAG_E_DIM, "\"vector\" has %d numbers, expected %u", n, dim);
    const cJSON *x;
    uint32_t i = 0;
    double ss = 0.0;
    cJSON_ArrayForEach(x, vecj) {
      if (!cJSON_IsNumber(x))
        return arag_err_set(err, ARAG_E_JSON, "\"vector\"[%u] must be a number", i);
      float f = (float)x->valuedouble;
      if (!isfinite(f))
        return arag_err_set(err, ARAG_E_NONFINITE, "\"vector\"[%u] is not finite (as f32)", i);
      it->vec[i++] = f;
      ss += (double)f * (double)f;
    }
    if (!(ss <= 3.0e38))
      return arag_err_set(err, ARAG_E_NONFINITE, "\"vector\" norm overflows float");
    return ARAG_OK;
  }
  arag_status st = arag_embed_item(it, dim, it->vec);
  if (st != ARAG_OK) return arag_err_set(err, st, "out of memory while embedding");
  return ARAG_OK;
}

static arag_status parse_fields(const cJSON *obj, const arag_limits *lim, uint32_t dim,
                                int require_title, arag_item *it, arag_error *err) {
  arag_status st;
  if (!cJSON_IsObject(obj)) return arag_err_set(err, ARAG_E_JSON, "expected a JSON object");
  if ((st = get_id(obj, lim, it, err)) != ARAG_OK) return st;

  if ((st = get_string(obj, "title", require_title, lim->max_text_bytes, &it->title, err)) !=
      ARAG_OK)
    return st;
  if ((st = get_string(obj, "text", 0, lim->max_text_bytes, &it->text, err)) != ARAG_OK) return st;
  if ((st = get_string(obj, "brand", 0, lim->max_text_bytes, &it->brand, err)) != ARAG_OK)
    return st;
  if (!it->brand[0] && it->text[0]) {
    free(it->brand);
    it->brand = brand_from_text(it->text);
    if (!it->brand) return arag_err_set(err, ARAG_E_NOMEM, "out of memory");
  }
  if ((st = get_string(obj, "group", 0, lim->max_text_bytes, &it->group, err)) != ARAG_OK)
    return st;
  const cJSON *rp = cJSON_GetObjectItemCaseSensitive(obj, "repeat_purchase");
  if (rp && !cJSON_IsNull(rp)) {
    if (!cJSON_IsBool(rp))
      return arag_err_set(err, ARAG_E_JSON, "\"repeat_purchase\" must be true or false");
    it->repeat_purchase = cJSON_IsTrue(rp) ? 1 : 0;
  }
  if ((st = get_categories(obj, lim, it, err)) != ARAG_OK) return st;
  if ((st = get_number(obj, "price", &it->price, NULL, err)) != ARAG_OK) return st;
  if ((st = get_number(obj, "popularity", &it->popularity, NULL, err)) != ARAG_OK) return st;
  if ((st = get_related(obj, lim, it, err)) != ARAG_OK) return st;
  return get_vector(obj, lim, dim, it, err);
}

arag_status arag_item_parse(const cJSON *obj, const arag_limits *lim, uint32_t dim,
                            int require_title, arag_item *out, arag_error *err) {
  memset(out, 0, sizeof(*out));
  out->price = NAN;
  out->popularity = NAN;
  arag_status st = parse_fields(obj, lim, dim, require_title, out, err);
  if (st != ARAG_OK) arag_item_clear(out);
  return st;
}

const char *const arag_event_kind_names[ARAG_EV_KINDS] = {"view", "cart", "purchase", "rating"};

const char *arag_event_kind_name(arag_event_kind kind, arag_event_kind fallback) {
  return (unsigned)kind < ARAG_EV_KINDS ? arag_event_kind_names[kind]
                                        : arag_event_kind_names[fallback];
}

arag_status arag_event_parse(const cJSON *obj, const arag_limits *lim, uint32_t dim,
                             arag_event *out, int *has_ts, arag_error *err) {
  memset(out, 0, sizeof(*out));
  out->kind = ARAG_EV_PURCHASE;
  out->rating = NAN;
  out->ts = 0.0;
  *has_ts = 0;
  arag_status st = arag_item_parse(obj, lim, dim, 0, &out->item, err);
  if (st != ARAG_OK) return st;
  if ((st = get_number(obj, "ts", &out->ts, has_ts, err)) != ARAG_OK) goto bad;
  if (!*has_ts) out->ts = 0.0;
  if ((st = get_number(obj, "rating", &out->rating, NULL, err)) != ARAG_OK) goto bad;
  const cJSON *k = cJSON_GetObjectItemCaseSensitive(obj, "kind");
  if (k && !cJSON_IsNull(k)) {
    int found = -1;
    if (cJSON_IsString(k) && k->valuestring)
      for (int i = 0; i < ARAG_EV_KINDS; i++)
        if (strcmp(k->valuestring, arag_event_kind_names[i]) == 0) found = i;
    if (found < 0) {
      st = arag_err_set(err, ARAG_E_JSON,
                        "\"kind\" must be one of \"view\", \"cart\", \"purchase\", \"rating\"");
      goto bad;
    }
    out->kind = (arag_event_kind)found;
  }
  return ARAG_OK;
bad:
  arag_item_clear(&out->item);
  return st;
}

static char *dup_str(const char *s) { return dup_bytes(s ? s : "", s ? strlen(s) : 0); }

arag_status arag_item_copy(arag_item *dst, const arag_item *src, uint32_t dim) {
  memset(dst, 0, sizeof(*dst));
  dst->price = src->price;
  dst->popularity = src->popularity;
  dst->title_brand_len = src->title_brand_len;
  dst->title_brand_known = src->title_brand_known;
  dst->id_len = src->id_len;
  dst->id = dup_bytes(src->id ? src->id : "", src->id ? src->id_len : 0);
  dst->title = dup_str(src->title);
  dst->text = dup_str(src->text);
  dst->brand = dup_str(src->brand);
  dst->group = src->group && src->group[0] ? dup_str(src->group) : NULL;
  dst->repeat_purchase = src->repeat_purchase;
  int ok = dst->id && dst->title && dst->text && dst->brand &&
           (dst->group || !src->group || !src->group[0]);
  if (ok && src->n_categories) {
    dst->categories = (char **)calloc(src->n_categories, sizeof(char *));
    ok = dst->categories != NULL;
    for (uint32_t i = 0; ok && i < src->n_categories; i++) {
      dst->categories[i] = dup_str(src->categories[i]);
      ok = dst->categories[i] != NULL;
      dst->n_categories = i + 1;
    }
  }
  if (ok && src->n_related) {
    dst->related_ids = (char **)calloc(src->n_related, sizeof(char *));
    dst->related_w = (float *)malloc(src->n_related * sizeof(float));
    ok = dst->related_ids && dst->related_w;
    if (ok) memcpy(dst->related_w, src->related_w, src->n_related * sizeof(float));
    for (uint32_t i = 0; ok && i < src->n_related; i++) {
      dst->related_ids[i] = dup_str(src->related_ids[i]);
      ok = dst->related_ids[i] != NULL;
      dst->n_related = i + 1;
    }
  }
  size_t vb = (size_t)dim * sizeof(float);
  if (ok && src->vec) {
    dst->vec = (float *)malloc(vb);
    if ((ok = dst->vec != NULL)) memcpy(dst->vec, src->vec, vb);
  }
  if (!ok) {
    arag_item_clear(dst);
    return ARAG_E_NOMEM;
  }
  return ARAG_OK;
}

static int only_space(const char *p, const char *end) {
  for (; p < end; p++)
    if (!(*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) return 0;
  return 1;
}

static const char *skip_space(const char *p, const char *end, size_t *line) {
  for (; p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'); p++)
    if (*p == '\n') (*line)++;
  return p;
}

/* Line of the first \u0000 escape in JSON text (0: none). Strings are
 * NUL-terminated C strings inside the library, so an escaped NUL would cut an
 * id or a title short without notice: it is refused instead. */
static size_t nul_escape_line(const char *s, size_t len) {
  size_t line = 1;
  for (size_t i = 0; i < len; i++) {
    if (s[i] == '\n') line++;
    if (s[i] != '\\') continue;
    /* An escape: "\\" is a backslash, "\u0000" the NUL. */
    if (i + 1 < len && s[i + 1] == 'u' && i + 5 < len && s[i + 2] == '0' && s[i + 3] == '0' &&
        s[i + 4] == '0' && s[i + 5] == '0')
      return line;
    i++; /* skip the escaped character */
  }
  return 0;
}

/* Parses the object at *p and hands it to fn. On success *p is past it and the white
 * space after it, with *line counting the lines crossed. Errors name the object as
 * "<where> <n>" (an array element, 0-based, or the line it starts on) and a syntax
 * error as "line L: <bad>". */
static arag_status each_one(const char **p, const char *end, size_t *line, const char *where,
                            size_t n, const char *bad, arag_json_each_fn fn, void *user,
                            arag_error *err) {
  const char *stop = NULL;
  unsigned long failures = arag_json_alloc_failures();
  cJSON *obj = *p < end ? cJSON_ParseWithLengthOpts(*p, (size_t)(end - *p), &stop, 0) : NULL;
  if (!obj && arag_json_alloc_failures() != failures)
    return arag_err_set(err, ARAG_E_NOMEM, "%s %zu: out of memory", where, n);
  if (!obj) {
    size_t eline = *line;
    if (stop)
      for (const char *q = *p; q < stop && q < end; q++) eline += *q == '\n';
    return arag_err_set(err, ARAG_E_JSON, "line %zu: %s", eline, bad);
  }
  if (!cJSON_IsObject(obj)) {
    cJSON_Delete(obj);
    return arag_err_set(err, ARAG_E_JSON, "%s %zu: expected a JSON object", where, n);
  }
  arag_status st = fn(user, obj, err);
  cJSON_Delete(obj);
  if (st != ARAG_OK) return arag_err_prefix(err, st, "%s %zu", where, n);
  for (const char *q = *p; q < stop; q++) *line += *q == '\n';
  *p = skip_space(stop, end, line);
  return ARAG_OK;
}

arag_status arag_json_each(const char *json, size_t len, arag_json_each_fn fn, void *user,
                           arag_error *err) {
  arag_err_clear(err);
  if (!json && len) return arag_err_set(err, ARAG_E_INVALID, "NULL JSON text");
  const char *end = json + len;
  size_t line = 1;
  if (len >= 3 && memcmp(json, "\xEF\xBB\xBF", 3) == 0) json += 3; /* UTF-8 byte order mark */
  const char *p = json ? skip_space(json, end, &line) : NULL;
  if (!p || p == end) return arag_err_set(err, ARAG_E_JSON, "empty input: no JSON value");
  size_t nul_line = nul_escape_line(p, (size_t)(end - p));
  if (nul_line)
    return arag_err_set(err, ARAG_E_JSON, "line %zu: a string contains \\u0000 (NUL)",
                        line + nul_line - 1);
  if (*p == '[') {
    /* Element by element, so that only one element's tree exists at a time (a
     * catalog of thousands of items would otherwise be parsed whole first). A
     * syntax error after good elements still fails the call: callers roll back. */
    p = skip_space(p + 1, end, &line);
    if (p < end && *p == ']') {
      p = skip_space(p + 1, end, &line);
      if (p != end) return arag_err_set(err, ARAG_E_JSON, "line %zu: malformed JSON array", line);
      return ARAG_OK;
    }
    for (size_t i = 0;; i++) {
      arag_status st =
          each_one(&p, end, &line, "element", i, "malformed JSON array", fn, user, err);
      if (st != ARAG_OK) return st;
      if (p < end && *p == ',') {
        p = skip_space(p + 1, end, &line);
        continue;
      }
      if (p < end && *p == ']' && only_space(p + 1, end)) return ARAG_OK;
      return arag_err_set(err, ARAG_E_JSON, "line %zu: malformed JSON array", line);
    }
  }
  while (p < end) {
    arag_status st = each_one(&p, end, &line, "line", line, "malformed JSON", fn, user, err);
    if (st != ARAG_OK) return st;
  }
  return ARAG_OK;
}

arag_status arag_item_index_create(uint32_t dim, arag_dtype dtype, const arag_limits *limits,
                                   arag_limits *lim, arag_index **ix, arag_error *err) {
  if (limits)
    *lim = *limits;
  else
    arag_limits_default(lim);
  return arag_index_create_err(dim, dtype, ARAG_COSINE, 0, lim, ix, err);
}
