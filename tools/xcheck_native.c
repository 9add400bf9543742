/* Cross-check reference: builds an index natively from a JSON case file and prints
 * the exact top-k of each query as JSON, so the wasm builds can be compared with the
 * native one on the same data (wasm-tests/index.node.test.mjs).
 *
 * Usage: xcheck_native CASE.json
 * CASE: {"dim": n, "dtype": "f32"|"int8", "metric": "cosine"|"dot", "keep_f32": 0|1,
 *        "kernel": "auto"|"scalar"|"simd", "k": n, "rerank": n,
 *        "rows": [{"id": str, "v": [numbers]}], "remove": [ids], "compact": 0|1,
 *        "queries": [[numbers]]}
 * Output: {"results": [[{"id": str, "score": number}, ...], ...]} (scores %.9g). */
#include "arag.h"
#include <cJSON.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap);
  while (buf) {
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (n < cap) break;
    char *nb = realloc(buf, cap * 2);
    if (!nb) {
      free(buf);
      buf = NULL;
      break;
    }
    buf = nb;
    cap *= 2;
  }
  fclose(f);
  *len = n;
  return buf;
}

static int fail(const char *what, const char *detail) {
  fprintf(stderr, "xcheck_native: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
  return 1;
}

/* Reads a JSON array of numbers into out (dim floats); 0 on success. */
static int read_vec(const cJSON *arr, float *out, uint32_t dim) {
  if (!cJSON_IsArray(arr) || (uint32_t)cJSON_GetArraySize(arr) != dim) return -1;
  uint32_t i = 0;
  const cJSON *x;
  cJSON_ArrayForEach(x, arr) {
    if (!cJSON_IsNumber(x)) return -1;
    out[i++] = (float)x->valuedouble;
  }
  return 0;
}

static int num(const cJSON *o, const char *key, int def) {
  const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsNumber(x) ? (int)x->valuedouble : def;
}

static const char *str(const cJSON *o, const char *key, const char *def) {
  const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(x) ? x->valuestring : def;
}

static int run(const cJSON *c) {
  int dim = num(c, "dim", 0), k = num(c, "k", 10), rerank = num(c, "rerank", 0);
  if (dim <= 0 || k <= 0 || rerank < 0) return fail("bad dim, k or rerank", NULL);
  arag_dtype dtype = strcmp(str(c, "dtype", "f32"), "int8") == 0 ? ARAG_I8 : ARAG_F32;
  arag_metric metric = strcmp(str(c, "metric", "cosine"), "dot") == 0 ? ARAG_DOT : ARAG_COSINE;
  const char *kname = str(c, "kernel", "auto");
  arag_kernel kernel = strcmp(kname, "scalar") == 0 ? ARAG_KERNEL_SCALAR
                       : strcmp(kname, "simd") == 0 ? ARAG_KERNEL_SIMD
                                                    : ARAG_KERNEL_AUTO;
  arag_index *ix = NULL;
  arag_status st =
      arag_index_create((uint32_t)dim, dtype, metric, num(c, "keep_f32", 0), NULL, &ix);
  if (st != ARAG_OK) return fail("create", arag_strerror(st));
  int rc = 1;
  float *v = malloc(sizeof(float) * (size_t)dim);
  uint32_t *slots = malloc(sizeof(uint32_t) * (size_t)k);
  float *scores = malloc(sizeof(float) * (size_t)k);
  if (!v || !slots || !scores) {
    fail("out of memory", NULL);
    goto done;
  }
  if (arag_index_set_kernel(ix, kernel) != ARAG_OK) {
    fail("set_kernel", arag_index_last_error(ix));
    goto done;
  }
  const cJSON *row;
  cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(c, "rows")) {
    const char *id = str(row, "id", NULL);
    if (!id || read_vec(cJSON_GetObjectItemCaseSensitive(row, "v"), v, (uint32_t)dim) != 0) {
      fail("bad row", id);
      goto done;
    }
    if (arag_index_add(ix, id, strlen(id), v, (uint32_t)dim) != ARAG_OK) {
      fail("add", arag_index_last_error(ix));
      goto done;
    }
  }
  const cJSON *rm;
  cJSON_ArrayForEach(rm, cJSON_GetObjectItemCaseSensitive(c, "remove")) {
    if (!cJSON_IsString(rm) || arag_index_remove(ix, rm->valuestring, strlen(rm->valuestring))) {
      fail("remove", arag_index_last_error(ix));
      goto done;
    }
  }
  if (num(c, "compact", 0) && arag_index_compact(ix) != ARAG_OK) {
    fail("compact", arag_index_last_error(ix));
    goto done;
  }
  printf("{\"results\":[");
  const cJSON *q;
  int first = 1;
  cJSON_ArrayForEach(q, cJSON_GetObjectItemCaseSensitive(c, "queries")) {
    uint32_t n = 0;
    if (read_vec(q, v, (uint32_t)dim) != 0) {
      fail("bad query", NULL);
      goto done;
    }
    st = arag_index_search(ix, v, (uint32_t)dim, (uint32_t)k, NULL, 0, (uint32_t)rerank, slots,
                           scores, &n);
    if (st != ARAG_OK) {
      fail("search", arag_index_last_error(ix));
      goto done;
    }
    printf("%s[", first ? "" : ",");
    first = 0;
    for (uint32_t i = 0; i < n; i++) {
      size_t idlen = 0;
      const char *id = arag_index_id(ix, slots[i], &idlen);
      cJSON *s = cJSON_CreateString(id ? id : "");
      char *quoted = s ? cJSON_PrintUnformatted(s) : NULL;
      printf("%s{\"id\":%s,\"score\":%.9g}", i ? "," : "", quoted ? quoted : "\"\"",
             (double)scores[i]);
      free(quoted);
      cJSON_Delete(s);
    }
    printf("]");
  }
  printf("]}\n");
  rc = 0;
done:
  free(v);
  free(slots);
  free(scores);
  arag_index_free(ix);
  return rc;
}

int main(int argc, char **argv) {
  if (argc != 2) return fail("usage", "xcheck_native CASE.json");
  size_t len = 0;
  char *text = read_file(argv[1], &len);
  if (!text) return fail("cannot read", argv[1]);
  cJSON *c = cJSON_ParseWithLength(text, len);
  free(text);
  if (!c) return fail("malformed JSON", argv[1]);
  int rc = run(c);
  cJSON_Delete(c);
  return rc;
}
