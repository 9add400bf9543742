/* The offline NLI: each candidate scored from its evidence against the history's
 * profile (nearest title, shared category depth, product line, repeat purchase, price,
 * bought together), with a rationale that names every piece of that evidence. */
#include "reasoner_agents.h"
#include "reasoner_profile.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static float nli_score(const arag_reasoner_params *p, const rs_match *m) {
  float x = p->nli_bias + p->nli_brand * m->brand_w + p->nli_brandn * logf(1.0f + m->brand_n) +
            p->nli_cat * m->cat +
            p->nli_line * (m->line >= 2 ? (float)(m->line - 1) / (RS_LEAD - 1) : 0.0f) +
            p->nli_sess * (float)((m->brand_sess_n > 0) + (m->cat_sess > 0)) +
            p->nli_sim * m->wsim + p->nli_isim * m->isim + p->nli_rsim * m->rsim +
            p->nli_psim * m->psim + p->nli_rep * (m->rep_n ? 1.0f : 0.0f) +
            p->nli_price * m->price + p->nli_rel * m->rel;
  return 1.0f / (1.0f + expf(-x));
}

char *rs_answer_nli(const arag_agent_input *in, const arag_reasoner_params *p, size_t *len) {
  arag_brand_stats bs_buf;
  const arag_brand_stats *bs = rs_brand_stats(in, &bs_buf);
  int owned;
  rs_profile *pr = rs_profile_get(in, p, &owned);
  if (!pr) return NULL;
  rs_feat *fs = malloc((in->n_cands ? in->n_cands : 1) * sizeof *fs);
  rs_ev_set evs;
  char *res = NULL;
  if (!fs) goto done;
  if (in->features)
    memcpy(fs, in->features, in->n_cands * sizeof *fs);
  else
    for (uint32_t i = 0; i < in->n_cands; i++) rs_item_features(in->cands[i], bs, &fs[i]);
  if (!rs_evidence_get(in, bs, fs, &evs)) goto done;
  arag_sb out, r;
  arag_sb_init(&out);
  arag_sb_init(&r);
  arag_sb_puts(&out, "{\"items\":[");
  for (uint32_t i = 0; i < in->n_cands; i++) {
    const arag_item *it = in->cands[i];
    rs_match m;
    rs_profile_match(pr, rs_title_df(in), it, &fs[i], &m);
    float s = pr->n_ev ? nli_score(p, &m) : 0.5f;
    arag_nli_label label =
        s >= 0.6f ? ARAG_NLI_SUPPORTS : (s < 0.25f ? ARAG_NLI_CONTRADICTS : ARAG_NLI_NEUTRAL);
    /* The rationale: every piece of the item's evidence in plain words. */
    arag_sb_truncate(&r, 0);
    arag_evidence_reason(&r, evs.h, it, &fs[i], &evs.ev[i], ARAG_EV_MAX);
    if (i) arag_sb_puts(&out, ",");
    arag_sb_puts(&out, "{\"id\":");
    arag_sb_json_text(&out, it->id ? it->id : "", it->id ? strlen(it->id) : 0, 0);
    arag_sb_puts(&out, ",\"score\":");
    arag_sb_fixed(&out, s, 4);
    arag_sb_puts(&out, ",\"label\":\"");
    arag_sb_puts(&out, arag_nli_label_name(label));
    arag_sb_puts(&out, "\",\"rationale\":");
    arag_sb_json_text(&out, r.p ? r.p : "", r.len, 0);
    arag_sb_puts(&out, "}");
  }
  arag_sb_puts(&out, "]}");
  if (!r.oom)
    res = arag_sb_take(&out, len);
  else
    arag_sb_free(&out);
  arag_sb_free(&r);
  rs_evidence_done(&evs);
done:
  free(fs);
  if (owned) rs_profile_free(pr);
  return res;
}
