/* The offline UUA: the profile's aggregate interests as S_user, a short readable
 * sentence and one trait list per line (reasoner_traits.h), and its interests. */
#include "reasoner_agents.h"
#include "reasoner_profile.h"
#include "sort.h"

#include <stdlib.h>
#include <string.h>

/* Are two words the same but for a final "s" on one ("curl", "curls")? */
static int same_but_s(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la + 1 == lb) return b[la] == 's' && memcmp(a, b, la) == 0;
  if (lb + 1 == la) return a[lb] == 's' && memcmp(a, b, lb) == 0;
  return 0;
}

/* Deepest label of a path display "A > B > C". */
static const char *leaf_of(const char *path) {
  const char *leaf = path;
  for (const char *q = path; (q = strstr(q, " > ")) != NULL; q += 3) leaf = q + 3;
  return leaf;
}

typedef struct rank_ent {
  const rs_agg *a;
  float key;
} rank_ent;

static int rank_cmp(const rank_ent *a, const rank_ent *b) {
  if (a->key != b->key) return a->key > b->key ? -1 : 1;
  if (a->a->last != b->a->last) return a->a->last > b->a->last ? -1 : 1;
  return a->a->key < b->a->key ? -1 : a->a->key > b->a->key;
}
ARAG_DEFINE_SORT(sort_ranks, rank_ent, rank_cmp)

/* The top k aggregates by weight, or in the session by their number of session items
 * (the most recent event breaking ties, then the key). */
static uint32_t top_aggs(const rs_agg *a, uint32_t n, int session, rank_ent *out, uint32_t k) {
  uint32_t m = 0;
  for (uint32_t i = 0; i < n; i++) {
    if (session && !a[i].n_sess) continue;
    out[m++] = (rank_ent){&a[i], session ? (float)a[i].n_sess : a[i].w};
  }
  sort_ranks(out, m);
  return m < k ? m : k;
}

static void put_trait_line(arag_sb *b, const rs_profile *pr, const char *label, const rs_agg *a,
                           uint32_t n, int session, uint32_t k, rank_ent *tmp) {
  uint32_t m = top_aggs(a, n, session, tmp, k);
  if (!m) return;
  arag_sb_puts(b, label);
  arag_sb_puts(b, ": ");
  uint32_t of = session ? pr->n_sess_items : pr->n_items;
  for (uint32_t i = 0; i < m; i++) {
    const rs_agg *g = tmp[i].a;
    if (i) arag_sb_puts(b, "; ");
    const char *s = rs_str(pr, g->off);
    rs_put_clean(b, s, strlen(s));
    uint32_t cnt = session ? g->n_sess : g->n;
    int p = session ? rs_pct((float)g->n_sess, (float)pr->n_sess_items) : rs_pct(g->w, pr->w_total);
    arag_sb_printf(b, " (%u of %u, %d%%)", cnt, of, p);
  }
  arag_sb_puts(b, "\n");
}

/* The session's topics: its three leading keywords, a plural of one named already left
 * out ("curl, curls"). */
static void put_session_topics(arag_sb *sum, const rs_profile *pr, rank_ent *tmp) {
  uint32_t m = top_aggs(pr->terms, pr->n_terms, 1, tmp, pr->n_terms);
  const char *topic[3];
  uint32_t nt = 0;
  for (uint32_t i = 0; i < m && nt < 3; i++) {
    const char *s = rs_str(pr, tmp[i].a->off);
    int plural = 0;
    for (uint32_t j = 0; j < nt && !plural; j++) plural = same_but_s(s, topic[j]);
    if (!plural) topic[nt++] = s;
  }
  if (!nt) return;
  arag_sb_puts(sum, "; this session is about ");
  for (uint32_t i = 0; i < nt; i++) {
    if (i) arag_sb_puts(sum, i + 1 == nt ? " and " : ", ");
    rs_put_clean(sum, topic[i], strlen(topic[i]));
  }
}

/* The readable sentence: how many items, the leading category and brand, the session's
 * topics. */
static void put_headline(arag_sb *sum, const rs_profile *pr, rank_ent *tmp) {
  arag_sb_printf(sum, "Based on %u past items (%u in this session)", pr->n_items, pr->n_sess_items);
  if (top_aggs(pr->paths, pr->n_paths, 0, tmp, 1)) {
    arag_sb_puts(sum, ", mostly ");
    const char *leaf = leaf_of(rs_str(pr, tmp[0].a->off));
    rs_put_clean(sum, leaf, strlen(leaf));
  }
  if (top_aggs(pr->brands, pr->n_brands, 0, tmp, 1) && tmp[0].a->n >= 2) {
    arag_sb_puts(sum, ", often from ");
    const char *s = rs_str(pr, tmp[0].a->off);
    rs_put_clean(sum, s, strlen(s));
  }
  put_session_topics(sum, pr, tmp);
  arag_sb_puts(sum, ".\n");
}

/* The history's words with their weights, which IRA reads back (ira_text). */
static void put_words(arag_sb *sum, const rs_profile *pr) {
  if (!pr->n_words) return;
  arag_sb_puts(sum, "Words: ");
  for (uint32_t i = 0; i < pr->n_words; i++) {
    const char *w = rs_str(pr, pr->words[i].off);
    if (i) arag_sb_puts(sum, "; ");
    rs_put_clean(sum, w, strlen(w));
    arag_sb_puts(sum, " (");
    arag_sb_fixed(sum, 100.0 * pr->words[i].w, 1);
    arag_sb_puts(sum, "%)");
  }
  arag_sb_puts(sum, "\n");
}

/* S_user: the sentence, then the trait lines (without its last newline). */
static void put_summary(arag_sb *sum, const rs_profile *pr, rank_ent *tmp) {
  if (!pr->n_ev) {
    arag_sb_puts(sum, "No history yet: no preferences known.");
    return;
  }
  put_headline(sum, pr, tmp);
  put_trait_line(sum, pr, "Brands", pr->brands, pr->n_brands, 0, 5, tmp);
  put_trait_line(sum, pr, "Categories", pr->paths, pr->n_paths, 0, 4, tmp);
  put_trait_line(sum, pr, "Keywords", pr->terms, pr->n_terms, 0, 10, tmp);
  put_words(sum, pr);
  if (pr->n_price && pr->price_w > 0)
    arag_sb_printf(sum, "Price: %.2f to %.2f, typically %.2f\n", pr->price_lo, pr->price_hi,
                   pr->price_sum_w / pr->price_w);
  put_trait_line(sum, pr, "Session brands", pr->brands, pr->n_brands, 1, 3, tmp);
  put_trait_line(sum, pr, "Session categories", pr->paths, pr->n_paths, 1, 3, tmp);
  put_trait_line(sum, pr, "Session keywords", pr->terms, pr->n_terms, 1, 6, tmp);
  if (sum->len && sum->p[sum->len - 1] == '\n') sum->p[--sum->len] = 0;
}

/* The interests array's entries from the top k aggregates (paths by their leaf). */
static void put_interests(arag_sb *out, const rs_profile *pr, const rs_agg *a, uint32_t n,
                          uint32_t k, int leaf, uint32_t *n_int, rank_ent *tmp) {
  uint32_t m = top_aggs(a, n, 0, tmp, k);
  for (uint32_t i = 0; i < m; i++) {
    const char *s = rs_str(pr, tmp[i].a->off);
    if (leaf) s = leaf_of(s);
    if ((*n_int)++) arag_sb_puts(out, ",");
    arag_sb_json_text(out, s, strlen(s), 0);
  }
}

char *rs_answer_uua(const arag_agent_input *in, const arag_reasoner_params *p, size_t *len) {
  int owned;
  rs_profile *pr = rs_profile_get(in, p, &owned);
  if (!pr) return NULL;
  uint32_t cap = pr->n_brands + pr->n_paths + pr->n_terms + 1;
  rank_ent *tmp = malloc(cap * sizeof *tmp);
  arag_sb sum, out;
  arag_sb_init(&sum);
  arag_sb_init(&out);
  if (tmp) {
    put_summary(&sum, pr, tmp);
    arag_sb_puts(&out, "{\"summary\":");
    arag_sb_json_text(&out, sum.p ? sum.p : "", sum.len, 0);
    arag_sb_puts(&out, ",\"interests\":[");
    uint32_t n_int = 0;
    put_interests(&out, pr, pr->brands, pr->n_brands, 3, 0, &n_int, tmp);
    put_interests(&out, pr, pr->paths, pr->n_paths, 3, 1, &n_int, tmp);
    put_interests(&out, pr, pr->terms, pr->n_terms, 5, 0, &n_int, tmp);
    arag_sb_puts(&out, "]}");
  }
  int failed = !tmp || sum.oom; /* a summary cut short by out of memory is not given */
  free(tmp);
  arag_sb_free(&sum);
  if (owned) rs_profile_free(pr);
  if (failed) {
    arag_sb_free(&out);
    return NULL;
  }
  return arag_sb_take(&out, len);
}
