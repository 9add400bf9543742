/* A consumer of the installed C library: one offline recommendation over a small catalog
 * (the same one the JS consumer tests use), printed as the first three ids of the final
 * order, one per line. Exits non-zero with the library's message on any error. Built against an
 * installed prefix (find_package or pkg-config), through add_subdirectory, natively and with emcc.
 */
#include <arag.h>
#include <stdio.h>
#include <string.h>

static const char CATALOG[] =
    "["
    "{\"id\":\"p1\",\"title\":\"Bramble Curl "
    "Cream\",\"brand\":\"Bramble\",\"categories\":[\"Hair\","
    "\"Styling\"],\"price\":18},"
    "{\"id\":\"p2\",\"title\":\"Bramble Curl Gel\",\"brand\":\"Bramble\",\"categories\":[\"Hair\","
    "\"Styling\"],\"price\":16},"
    "{\"id\":\"p3\",\"title\":\"Bramble Repair Conditioner\",\"brand\":\"Bramble\",\"categories\":["
    "\"Hair\",\"Care\"],\"price\":21},"
    "{\"id\":\"p4\",\"title\":\"Puffin Mineral Sunscreen SPF 30\",\"brand\":\"Puffin\","
    "\"categories\":[\"Skin\",\"Sunscreen\"],\"price\":24},"
    "{\"id\":\"p5\",\"title\":\"Puffin Hydrating Serum\",\"brand\":\"Puffin\",\"categories\":["
    "\"Skin\",\"Serums\"],\"price\":29},"
    "{\"id\":\"p6\",\"title\":\"Heron Matte Lipstick, Red\",\"brand\":\"Heron\",\"categories\":["
    "\"Makeup\",\"Lips\"],\"price\":12},"
    "{\"id\":\"p7\",\"title\":\"Heron Gloss, Pink\",\"brand\":\"Heron\",\"categories\":[\"Makeup\","
    "\"Lips\"],\"price\":11},"
    "{\"id\":\"p8\",\"title\":\"Bramble Curl Defining Mousse\",\"brand\":\"Bramble\","
    "\"categories\":[\"Hair\",\"Styling\"],\"price\":17}"
    "]";
static const char HISTORY[] = "[{\"id\":\"p1\",\"ts\":1},{\"id\":\"p3\",\"ts\":2}]";

static int fail(const char *what, arag_status st, const char *msg) {
  fprintf(stderr, "%s: %s: %s\n", what, arag_strerror(st), msg ? msg : "");
  return 1;
}

int main(void) {
  arag_catalog *cat = NULL;
  arag_history *hist = NULL;
  arag_engine *eng = NULL;
  arag_status st;
  int rc = 1;
  if ((st = arag_catalog_create(512, NULL, &cat)) != ARAG_OK) return fail("catalog", st, NULL);
  if ((st = arag_catalog_add_json(cat, CATALOG, strlen(CATALOG))) != ARAG_OK) {
    rc = fail("catalog add", st, arag_catalog_last_error(cat));
    goto done;
  }
  if ((st = arag_history_create(512, NULL, &hist)) != ARAG_OK) {
    rc = fail("history", st, NULL);
    goto done;
  }
  if ((st = arag_history_add_json(hist, HISTORY, strlen(HISTORY))) != ARAG_OK) {
    rc = fail("history add", st, arag_history_last_error(hist));
    goto done;
  }
  if ((st = arag_engine_create(NULL, 0, &eng)) != ARAG_OK) {
    rc = fail("engine", st, NULL);
    goto done;
  }
  uint32_t sid = 0;
  const char *req = "{\"k\":3}";
  if ((st = arag_recommend_start(eng, cat, hist, req, strlen(req), &sid)) != ARAG_OK) {
    rc = fail("recommend", st, arag_engine_last_error(eng));
    goto done;
  }
  const char *json = NULL;
  size_t len = 0;
  if ((st = arag_session_result(eng, sid, &json, &len)) != ARAG_OK) {
    rc = fail("result", st, arag_engine_last_error(eng));
    goto done;
  }
  /* The first three ids of "order" (the final order; the items are its top k). A JSON
   * string holds no unescaped quote, so the pattern cannot match inside one. */
  const char *p = strstr(json, "\"order\":[");
  int n = 0;
  if (p) p += 9;
  while (p && *p == '"' && n < 3) {
    const char *q = strchr(p + 1, '"');
    if (!q) break;
    printf("%.*s\n", (int)(q - p - 1), p + 1);
    p = q + 1;
    if (*p == ',') p++;
    n++;
  }
  fprintf(stderr, "arag %s: %d items\n", arag_version(), n);
  rc = n == 3 ? 0 : 1;
  arag_session_free(eng, sid);
done:
  arag_engine_free(eng);
  arag_history_free(hist);
  arag_catalog_free(cat);
  return rc;
}
