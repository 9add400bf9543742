/* The offline CSA: what the accepted candidates have in common (brands, category paths,
 * title keywords, each weighed by the candidates' NLI scores) as S_ctx. */
#include "reasoner_agents.h"
#include "reasoner_profile.h"
#include "sort.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct csa_occ {
  uint64_t key;
  uint32_t cand;
  uint32_t depth; /* paths: prefix depth */
  rs_span disp;
} csa_occ;

static int csa_cmp(const csa_occ *x, const csa_occ *y) {
  if (x->key != y->key) return x->key < y->key ? -1 : 1;
  return x->cand < y->cand ? -1 : x->cand > y->cand;
}
ARAG_DEFINE_SORT(sort_csa_occs, csa_occ, csa_cmp)

typedef struct csa_trait {
  const csa_occ *o; /* first occurrence */
  uint32_t n;
  float w;
} csa_trait;

static int csa_trait_cmp(const csa_trait *x, const csa_trait *y) {
  if (x->w != y->w) return x->w > y->w ? -1 : 1;
  if (x->n != y->n) return x->n > y->n ? -1 : 1;
  if (x->o->depth != y->o->depth) return x->o->depth > y->o->depth ? -1 : 1;
  return x->o->key < y->o->key ? -1 : x->o->key > y->o->key;
}
ARAG_DEFINE_SORT(sort_csa_traits, csa_trait, csa_trait_cmp)

/* Groups sorted occurrences into traits shared by at least min_n candidates. */
static uint32_t csa_group(csa_occ *o, uint32_t n, const float *w, uint32_t min_n, csa_trait *out) {
  sort_csa_occs(o, n);
  uint32_t k = 0;
  for (uint32_t i = 0; i < n;) {
    uint32_t j = i, cnt = 0, prev = UINT32_MAX;
    float sw = 0;
    while (j < n && o[j].key == o[i].key) {
      if (o[j].cand != prev) cnt++, sw += w[o[j].cand], prev = o[j].cand;
      j++;
    }
    if (cnt >= min_n) out[k++] = (csa_trait){&o[i], cnt, sw};
    i = j;
  }
  sort_csa_traits(out, k);
  return k;
}

static void csa_put_path(arag_sb *b, const arag_item *it, uint32_t depth) {
  for (uint32_t d = 0; d < depth && d < it->n_categories; d++) {
    const char *c = it->categories[d] ? it->categories[d] : "";
    if (d) arag_sb_puts(b, " > ");
    size_t cl = strlen(c);
    for (size_t i = 0; i < cl; i++) {
      char ch = c[i];
      if (ch == ';' || ch == '\n' || ch == '\r' || ch == '(') ch = ' ';
      arag_sb_append(b, &ch, 1);
    }
  }
}

/* A keyword in lower case (separators of the trait format as spaces when clean). */
static void csa_put_word(arag_sb *b, rs_span w, int clean) {
  for (uint32_t c = 0; c < w.len; c++) {
    char ch = w.s[c];
    if (ch >= 'A' && ch <= 'Z') ch = (char)(ch + 32);
    if (clean && (ch == ';' || ch == '\n')) ch = ' ';
    arag_sb_append(b, &ch, 1);
  }
}

/* One CSA answer's work: the candidates' features and weights, every brand, path and
 * keyword occurrence, and the shared traits found among them. */
typedef struct csa_work {
  const arag_agent_input *in;
  uint32_t n;
  rs_feat *f;
  float *w, wt; /* each candidate's weight (its NLI score), their sum */
  csa_occ *ob, *op, *ot;
  uint32_t nb, np, nt;
  csa_trait *tr;   /* keywords (kt of them) */
  csa_trait tb[5]; /* brands */
  csa_trait tp[4]; /* category paths, none covered by a deeper one listed */
  uint32_t kb, mp, kt;
} csa_work;

static int csa_alloc(csa_work *c, const arag_agent_input *in) {
  uint32_t n = in->n_cands, m = n ? n : 1;
  memset(c, 0, sizeof *c);
  c->in = in;
  c->n = n;
  c->f = malloc(m * sizeof *c->f);
  c->w = malloc(m * sizeof *c->w);
  c->ob = malloc(m * sizeof *c->ob);
  c->op = malloc((size_t)m * RS_MAX_CAT * sizeof *c->op);
  c->ot = malloc((size_t)m * RS_MAX_TOK * sizeof *c->ot);
  c->tr = malloc((size_t)m * RS_MAX_TOK * sizeof *c->tr);
  return c->f && c->w && c->ob && c->op && c->ot && c->tr;
}

static void csa_free(csa_work *c) {
  free(c->f);
  free(c->w);
  free(c->ob);
  free(c->op);
  free(c->ot);
  free(c->tr);
}

/* Every candidate's features, weight and occurrences. */
static void csa_collect(csa_work *c, const arag_brand_stats *bs) {
  for (uint32_t i = 0; i < c->n; i++) {
    rs_feat *f = &c->f[i];
    rs_item_features(c->in->cands[i], bs, f);
    float s = c->in->nli ? c->in->nli[i].score : 1.0f;
    c->w[i] = isfinite(s) && s > 0 ? s : 0.0f;
    c->wt += c->w[i];
    if (f->brand_h) c->ob[c->nb++] = (csa_occ){f->brand_h, i, 0, f->brand};
    for (uint32_t d = 1; d < f->n_cat; d++) /* below the root */
      c->op[c->np++] = (csa_occ){f->cat_h[d], i, d + 1, {0, 0}};
    for (uint32_t k = 0; k < f->n_tok; k++)
      c->ot[c->nt++] = (csa_occ){f->tok_h[k], i, 0, f->tok[k]};
  }
}

/* The shared traits: brands (the first 5), category paths (4, a path dropped when a
 * deeper one with the same count is listed), keywords (8). */
static void csa_traits(csa_work *c) {
  uint32_t min_n = c->n >= 3 ? 2 : 1;
  csa_trait *tr = c->tr;
  uint32_t k = csa_group(c->ob, c->nb, c->w, min_n, tr);
  c->kb = k < 5 ? k : 5;
  memcpy(c->tb, tr, c->kb * sizeof *c->tb);
  /* Such a deeper path covers the same candidates, so it has the same weight and count
   * and a greater depth: it sorts first, and only earlier entries need a look. */
  uint32_t kp = csa_group(c->op, c->np, c->w, min_n, tr);
  for (uint32_t i = 0; i < kp && c->mp < 4; i++) {
    int covered = 0;
    for (uint32_t j = 0; j < i && !covered; j++) {
      if (tr[j].o->depth <= tr[i].o->depth || tr[j].n != tr[i].n) continue;
      const rs_feat *fj = &c->f[tr[j].o->cand];
      covered = fj->cat_h[tr[i].o->depth - 1] == tr[i].o->key;
    }
    if (!covered) c->tp[c->mp++] = tr[i];
  }
  c->kt = csa_group(c->ot, c->nt, c->w, min_n, tr);
  if (c->kt > 8) c->kt = 8;
}

/* The readable sentence: the leading shared brand, category and words. */
static void csa_headline(arag_sb *sum, const csa_work *c) {
  arag_sb_printf(sum, "%u accepted item%s", c->n, c->n == 1 ? "" : "s");
  uint32_t said = 0;
  if (c->kb) {
    arag_sb_printf(sum, "%s brand ", said++ ? "," : " share");
    rs_put_clean(sum, c->tb[0].o->disp.s, c->tb[0].o->disp.len);
    arag_sb_printf(sum, " (%u)", c->tb[0].n);
  }
  if (c->mp) {
    const arag_item *it = c->in->cands[c->tp[0].o->cand];
    const char *label = it->categories[c->tp[0].o->depth - 1];
    arag_sb_printf(sum, "%s category ", said++ ? "," : " share");
    rs_put_clean(sum, label ? label : "", label ? strlen(label) : 0);
    arag_sb_printf(sum, " (%u)", c->tp[0].n);
  }
  if (c->kt) {
    arag_sb_printf(sum, "%s words ", said++ ? "," : " share");
    for (uint32_t i = 0; i < c->kt && i < 3; i++) {
      if (i) arag_sb_puts(sum, ", ");
      csa_put_word(sum, c->tr[i].o->disp, 0);
    }
  }
  if (!said) arag_sb_puts(sum, " have no brand, category or words in common");
  arag_sb_puts(sum, ".\n");
}

/* The trait lines: Brands, Categories, Keywords, each "name (n of N, p%)". */
static void csa_trait_lines(arag_sb *sum, const csa_work *c) {
  if (c->kb) {
    arag_sb_puts(sum, "Brands: ");
    for (uint32_t i = 0; i < c->kb; i++) {
      if (i) arag_sb_puts(sum, "; ");
      rs_put_clean(sum, c->tb[i].o->disp.s, c->tb[i].o->disp.len);
      arag_sb_printf(sum, " (%u of %u, %d%%)", c->tb[i].n, c->n, rs_pct(c->tb[i].w, c->wt));
    }
    arag_sb_puts(sum, "\n");
  }
  if (c->mp) {
    arag_sb_puts(sum, "Categories: ");
    for (uint32_t i = 0; i < c->mp; i++) {
      if (i) arag_sb_puts(sum, "; ");
      csa_put_path(sum, c->in->cands[c->tp[i].o->cand], c->tp[i].o->depth);
      arag_sb_printf(sum, " (%u of %u, %d%%)", c->tp[i].n, c->n, rs_pct(c->tp[i].w, c->wt));
    }
    arag_sb_puts(sum, "\n");
  }
  if (c->kt) {
    arag_sb_puts(sum, "Keywords: ");
    for (uint32_t i = 0; i < c->kt; i++) {
      if (i) arag_sb_puts(sum, "; ");
      csa_put_word(sum, c->tr[i].o->disp, 1);
      arag_sb_printf(sum, " (%u of %u, %d%%)", c->tr[i].n, c->n, rs_pct(c->tr[i].w, c->wt));
    }
    arag_sb_puts(sum, "\n");
  }
}

char *rs_answer_csa(const arag_agent_input *in, const arag_reasoner_params *p, size_t *len) {
  (void)p;
  arag_brand_stats bs_buf;
  const arag_brand_stats *bs = rs_brand_stats(in, &bs_buf);
  csa_work c;
  char *res = NULL;
  arag_sb sum, out;
  arag_sb_init(&sum);
  arag_sb_init(&out);
  if (csa_alloc(&c, in)) {
    csa_collect(&c, bs);
    if (!c.n) {
      arag_sb_puts(&sum, "No accepted items: nothing in common to report.");
    } else {
      csa_traits(&c);
      csa_headline(&sum, &c);
      csa_trait_lines(&sum, &c);
    }
    if (sum.len && sum.p[sum.len - 1] == '\n') sum.p[--sum.len] = 0;
    arag_sb_puts(&out, "{\"summary\":");
    arag_sb_json_text(&out, sum.p ? sum.p : "", sum.len, 0);
    arag_sb_puts(&out, "}");
    if (!sum.oom) res = arag_sb_take(&out, len);
  }
  csa_free(&c);
  arag_sb_free(&sum);
  arag_sb_free(&out);
  return res;
}
