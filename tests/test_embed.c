/* Built-in text embedder: determinism, normalization, similarity, non-Latin text,
 * limits and dimensions; the field-aware item embedding. */
#include "embed.h"
#include "test.h"

#include <stdlib.h>
#include <time.h>

#define D ARAG_EMBED_DEFAULT_DIM

static double norm(const float *v, uint32_t dim) {
  double s = 0;
  for (uint32_t i = 0; i < dim; i++) s += (double)v[i] * v[i];
  return sqrt(s);
}

static double cosv(const float *a, const float *b, uint32_t dim) {
  double s = 0;
  for (uint32_t i = 0; i < dim; i++) s += (double)a[i] * b[i];
  return s;
}

static int nonzero_count(const float *v, uint32_t dim) {
  int n = 0;
  for (uint32_t i = 0; i < dim; i++) n += v[i] != 0.0f;
  return n;
}

/* Cosine of the embeddings of two NUL-terminated texts at dimension D. */
static double sim(const char *a, const char *b) {
  float va[D], vb[D];
  arag_status sa = arag_embed_text(a, strlen(a), D, va);
  arag_status sb = arag_embed_text(b, strlen(b), D, vb);
  CHECK(sa == ARAG_OK && sb == ARAG_OK);
  return cosv(va, vb, D);
}

static int same_embedding(const char *a, const char *b) {
  float va[D], vb[D];
  arag_embed_text(a, strlen(a), D, va);
  arag_embed_text(b, strlen(b), D, vb);
  return memcmp(va, vb, sizeof(va)) == 0;
}

static void test_determinism(void) {
  const char *t = "Maybelline New York Expert Wear Brow & Eyeliner, 151 Velvet Black";
  float a[D], b[D];
  CHECK_EQ_INT(arag_embed_text(t, strlen(t), D, a), ARAG_OK);
  CHECK_EQ_INT(arag_embed_text(t, strlen(t), D, b), ARAG_OK);
  CHECK(memcmp(a, b, sizeof(a)) == 0);
  /* Not just a few buckets: unigrams + bigrams + trigrams spread over many. */
  CHECK(nonzero_count(a, D) > 40);
  /* Hash values are fixed, not seeded per process: a hand-made feature
   * check, the single-word text "a" has exactly one unigram and one trigram
   * ("^a$"), so at most two non-zero buckets of equal magnitude ratio 1:0.4. */
  float v[D];
  CHECK_EQ_INT(arag_embed_text("a", 1, D, v), ARAG_OK);
  int nz = nonzero_count(v, D);
  CHECK(nz == 2 || nz == 1);
  if (nz == 2) {
    float big = 0, small = 1e9f;
    for (int i = 0; i < D; i++)
      if (v[i] != 0.0f) {
        if (fabsf(v[i]) > big) big = fabsf(v[i]);
        if (fabsf(v[i]) < small) small = fabsf(v[i]);
      }
    CHECK_NEAR(small / big, ARAG_EMBED_W_TRIGRAM / ARAG_EMBED_W_UNIGRAM, 1e-5);
  }
}

static void test_normalization(void) {
  const char *texts[] = {"hello", "Avalon Biotin B-Complex Thickening Conditioner, 14 Ounce",
                         "a b c d e f g h i j k l m n o p", "口红 哑光 持久",
                         "lipstick lipstick lipstick lipstick"};
  uint32_t dims[] = {1, 7, 64, 512, 1000, 4096};
  float *v = (float *)malloc(4096 * sizeof(float));
  for (size_t t = 0; t < sizeof(texts) / sizeof(texts[0]); t++)
    for (size_t d = 0; d < sizeof(dims) / sizeof(dims[0]); d++) {
      CHECK_EQ_INT(arag_embed_text(texts[t], strlen(texts[t]), dims[d], v), ARAG_OK);
      double n = norm(v, dims[d]);
      /* dim 1 may cancel to zero through sign hashing; otherwise unit length */
      CHECK(fabs(n - 1.0) < 1e-5 || (dims[d] == 1 && n == 0.0));
    }
  free(v);
}

static void test_similarity(void) {
  const char *liner1 = "Maybelline New York Expert Wear Brow & Eyeliner, Velvet Black";
  const char *liner2 = "Maybelline New York Ultra-Liner Liquid Liner, Waterproof, Black";
  const char *cond = "Avalon Biotin B-Complex Thickening Conditioner, 14 Ounce";
  CHECK(sim(liner1, liner2) > sim(liner1, cond) + 0.2);
  CHECK(sim("nail polish red", "red nail polish") > 0.6);
  CHECK(sim("nail polish red", "red nail polish") < 0.999);
  CHECK(sim("shampoo", "shampoos") > 0.3); /* character trigrams share "sha", "ham", ... */
  CHECK(sim("shampoo", "eyeliner") < 0.2);
  /* sublinear tf: repeating a word changes the vector, but much less than adding
   * a different word */
  double rep = sim("lipstick matte", "lipstick lipstick matte");
  double other = sim("lipstick matte", "lipstick glossy matte");
  CHECK(rep < 0.9999);
  CHECK(rep > other);
}

static void test_case_and_punctuation(void) {
  CHECK(same_embedding("HELLO World", "hello world"));
  CHECK(same_embedding("hello, world!", "hello world"));
  CHECK(same_embedding("  hello\t\nworld  ", "hello world"));
  CHECK(!same_embedding("hello world", "world hello")); /* bigrams see the order */
  /* UTF-8 marks that separate words like ASCII punctuation does. */
  CHECK(same_embedding("Neutrogena® Hydro Boost™", "Neutrogena Hydro Boost"));
  CHECK(same_embedding("Gardener’s “Hand” Therapy – 8 oz…", "Gardener's \"Hand\" Therapy - 8 oz"));
  CHECK(same_embedding("no\xC2\xA0"
                       "break",
                       "no break"));
  CHECK(same_embedding("口红。粉底、眼影\xE3\x80\x80睫毛膏", "口红 粉底 眼影 睫毛膏"));
  CHECK(same_embedding("\xEF\xBB\xBF"
                       "lipstick",
                       "lipstick"));
  /* ...but other non-ASCII characters stay inside words. */
  CHECK(!same_embedding("café", "caf"));
  CHECK(!same_embedding("a\xC2\xA1"
                        "b",
                        "a b")); /* inverted exclamation mark: kept */
  /* A separator cut short at the end of the text is a word byte, not a crash. */
  float v[D];
  CHECK_EQ_INT(arag_embed_text("ab\xE2\x80", 4, D, v), ARAG_OK);
  CHECK_NEAR(norm(v, D), 1.0, 1e-5);
}

static void test_dropped_words(void) {
  /* Stop words and digit-only words carry no signal... */
  CHECK(same_embedding("Red Lipstick, 2 Pack", "red lipstick"));
  CHECK(same_embedding("Shampoo for Men with Argan Oil 8 fl oz", "shampoo men argan oil"));
  /* Every stop word, in any case, next to words of the same lengths that stay. */
  CHECK(
      same_embedding("A an AND by Count FL for in INCH ml of ON or Ounce OUNCES oz Pack pcs Piece "
                     "set Size the TO With shampoo",
                     "shampoo"));
  static const char *const kept[] = {"b shampoo",    "ax shampoo",    "bye shampoo",
                                     "inks shampoo", "ounze shampoo", "piecee shampoo"};
  for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++)
    CHECK(!same_embedding(kept[i], "shampoo"));
  /* ...but alphanumeric model codes and longer words stay. */
  CHECK(!same_embedding("HP 74XL ink", "HP ink"));
  CHECK(!same_embedding("andes mint", "mint"));
  /* A text of nothing but dropped words is still embedded (with them). */
  float v[D];
  CHECK_EQ_INT(arag_embed_text("8 oz", 4, D, v), ARAG_OK);
  CHECK_NEAR(norm(v, D), 1.0, 1e-5);
  CHECK(!same_embedding("8 oz", "12 oz"));
  CHECK_EQ_INT(arag_embed_text("The", 3, D, v), ARAG_OK);
  CHECK_NEAR(norm(v, D), 1.0, 1e-5);
}

static void test_non_latin(void) {
  const char *cjk1 = "保湿面霜", *cjk2 = "保湿乳液", *cjk3 = "口红";
  float v[D];
  CHECK_EQ_INT(arag_embed_text(cjk1, strlen(cjk1), D, v), ARAG_OK);
  CHECK_NEAR(norm(v, D), 1.0, 1e-5);
  CHECK(!same_embedding(cjk1, cjk2));
  CHECK(!same_embedding(cjk1, cjk3));
  /* shared leading characters share trigrams ("^保湿", "保湿X"? no: only "^保湿") */
  CHECK(sim(cjk1, cjk2) > sim(cjk1, cjk3));
  /* Accented Latin is kept byte-exact: differs from the plain spelling, but the
   * unaccented trigrams still match. */
  CHECK(!same_embedding("crème brûlée", "creme brulee"));
  CHECK(sim("crème brûlée", "creme brulee") > 0.05);
  /* No case folding outside ASCII (byte-exact). */
  CHECK(!same_embedding("ÉCLAT", "éclat"));
  CHECK(same_embedding("ÉCLAT", "Éclat"));
  /* Emoji are word characters. */
  CHECK(!same_embedding("💄 lipstick", "lipstick"));
  CHECK(!same_embedding("💄", "💅"));
  CHECK_EQ_INT(arag_embed_text("💄", strlen("💄"), D, v), ARAG_OK);
  CHECK_NEAR(norm(v, D), 1.0, 1e-5);
  /* Code-point trigrams: a 3-character CJK word has as many trigrams as
   * characters (^ab, abc, bc$), so "日本語" and "日本人" share exactly one (^日本). */
  CHECK(sim("日本語", "日本人") > 0.0);
  /* Invalid UTF-8 is still embedded deterministically. */
  const char bad[] = {'a', (char)0xFF, (char)0x80, (char)0x80, 'b', (char)0xC3};
  float w[D];
  CHECK_EQ_INT(arag_embed_text(bad, sizeof(bad), D, v), ARAG_OK);
  CHECK_EQ_INT(arag_embed_text(bad, sizeof(bad), D, w), ARAG_OK);
  CHECK(memcmp(v, w, sizeof(v)) == 0);
  CHECK_NEAR(norm(v, D), 1.0, 1e-5);
}

static void test_empty_and_long(void) {
  float v[D];
  for (int i = 0; i < D; i++) v[i] = 7.0f;
  CHECK_EQ_INT(arag_embed_text("", 0, D, v), ARAG_OK);
  CHECK_EQ_INT(nonzero_count(v, D), 0);
  for (int i = 0; i < D; i++) v[i] = 7.0f;
  CHECK_EQ_INT(arag_embed_text(NULL, 0, D, v), ARAG_OK);
  CHECK_EQ_INT(nonzero_count(v, D), 0);
  CHECK_EQ_INT(arag_embed_text(" ,.;!? ", 7, D, v), ARAG_OK);
  CHECK_EQ_INT(nonzero_count(v, D), 0);

  size_t n = ARAG_EMBED_MAX_TEXT + 1;
  char *big = (char *)malloc(n);
  for (size_t i = 0; i < n; i++) big[i] = (i % 7 == 6) ? ' ' : (char)('a' + (i * 31 % 26));
  CHECK_EQ_INT(arag_embed_text(big, n - 1, D, v), ARAG_OK);
  CHECK_NEAR(norm(v, D), 1.0, 1e-5);
  /* Past the limit: an error, the output untouched. */
  for (int i = 0; i < D; i++) v[i] = 7.0f;
  CHECK_EQ_INT(arag_embed_text(big, n, D, v), ARAG_E_LIMIT);
  CHECK(v[0] == 7.0f && v[D - 1] == 7.0f);
  /* One long word (no spaces): trigrams over the whole word. */
  memset(big, 'x', n);
  CHECK_EQ_INT(arag_embed_text(big, n - 1, D, v), ARAG_OK);
  CHECK_NEAR(norm(v, D), 1.0, 1e-5);
  free(big);
}

static void test_bad_arguments(void) {
  float v[8];
  CHECK_EQ_INT(arag_embed_text("x", 1, 0, v), ARAG_E_INVALID);
  CHECK_EQ_INT(arag_embed_text("x", 1, 8, NULL), ARAG_E_INVALID);
  CHECK_EQ_INT(arag_embed_text(NULL, 3, 8, v), ARAG_E_INVALID);
  arag_limits lim;
  arag_limits_default(&lim);
  float *big = (float *)malloc(((size_t)lim.max_dim + 1) * sizeof(float));
  CHECK_EQ_INT(arag_embed_text("x", 1, lim.max_dim + 1, big), ARAG_E_LIMIT);
  CHECK_EQ_INT(arag_embed_text("x", 1, lim.max_dim, big), ARAG_OK);
  free(big);
}

static void test_item_embedding(void) {
  char *cats[] = {"Beauty", "Makeup", "Eyes", "Eyeliner"};
  arag_item it;
  memset(&it, 0, sizeof(it));
  it.id = "B1";
  it.id_len = 2;
  it.title = "Maybelline Expert Wear Brow Pencil";
  it.text = "";
  it.brand = "";
  float vec[D], tv[D];
  /* Title only: vec is the title embedding. */
  CHECK_EQ_INT(arag_embed_item(&it, D, vec), ARAG_OK);
  CHECK_EQ_INT(arag_embed_text(it.title, strlen(it.title), D, tv), ARAG_OK);
  CHECK_NEAR(cosv(vec, tv, D), 1.0, 1e-5);
  /* With categories, brand and text: the vec moves, the title still dominates. */
  it.categories = cats;
  it.n_categories = 4;
  it.brand = "Maybelline";
  it.text = "A long description about brows and pencils and much else besides.";
  CHECK_EQ_INT(arag_embed_item(&it, D, vec), ARAG_OK);
  CHECK_NEAR(norm(vec, D), 1.0, 1e-5);
  double c_title = cosv(vec, tv, D);
  CHECK(c_title < 0.99);
  CHECK(c_title > 0.6);
  float eyeliner[D];
  CHECK_EQ_INT(arag_embed_text("Eyeliner", 8, D, eyeliner), ARAG_OK);
  CHECK(cosv(vec, eyeliner, D) > cosv(tv, eyeliner, D) + 0.05);
  /* No text at all: the zero vector (no information), not a vector from the id. */
  arag_item empty;
  memset(&empty, 0, sizeof(empty));
  empty.id = "X1";
  empty.id_len = 2;
  empty.title = empty.text = empty.brand = "";
  for (int i = 0; i < D; i++) vec[i] = 1.0f;
  CHECK_EQ_INT(arag_embed_item(&empty, D, vec), ARAG_OK);
  CHECK_EQ_INT(nonzero_count(vec, D), 0);
  /* Categories alone are enough. */
  empty.categories = cats;
  empty.n_categories = 2;
  CHECK_EQ_INT(arag_embed_item(&empty, D, vec), ARAG_OK);
  CHECK_NEAR(norm(vec, D), 1.0, 1e-5);
}

static void test_speed(void) {
  /* Reported, not asserted: ns per title embedding at the default dimension. */
  const char *titles[] = {"Avalon Biotin B-Complex Thickening Conditioner, 14 Ounce",
                          "Better Living The Ulti-Mate Dispenser",
                          "Crabtree & Evelyn - Gardener's Ultra-Moisturising Hand Therapy Pump",
                          "Instant Heat Curling Iron, 1-Inch"};
  float v[D];
  int reps = 20000;
  struct timespec t0, t1;
  timespec_get(&t0, TIME_UTC);
  float guard = 0;
  for (int r = 0; r < reps; r++) {
    const char *t = titles[r & 3];
    arag_embed_text(t, strlen(t), D, v);
    guard += v[r % D];
  }
  timespec_get(&t1, TIME_UTC);
  double ns = ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / reps;
  fprintf(stderr, "embed: %.0f ns per title (dim %d, this build)\n", ns, D);
  CHECK(isfinite(guard));
}

int main(void) {
  RUN(test_determinism);
  RUN(test_normalization);
  RUN(test_similarity);
  RUN(test_case_and_punctuation);
  RUN(test_dropped_words);
  RUN(test_non_latin);
  RUN(test_empty_and_long);
  RUN(test_bad_arguments);
  RUN(test_item_embedding);
  RUN(test_speed);
  return test_report();
}
