/* The offline reasoner's weights (reasoner.h): their defaults, and each one by name with
 * its range, as engine config "reasoner" and the tools set them. */
#include "reasoner.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

/* What each default does and how it was chosen: docs/offline-reasoner.md. */
void arag_reasoner_params_default(arag_reasoner_params *p) {
  p->decay = 0.7f;
  p->sess_boost = 2.5f;
  p->shift = 0.75f;
  p->sim_window = 10;
  p->sim_decay = 0.95f;
  p->nli_bias = -3.0f;
  p->nli_brand = 0.0f;
  p->nli_brandn = 0.0f;
  p->nli_cat = 2.0f;
  p->nli_line = 3.0f;
  p->nli_sess = 0.0f;
  p->nli_sim = 0.0f;
  p->nli_rsim = 0.0f;
  p->nli_psim = 0.0f;
  p->nli_isim = 9.0f;
  p->nli_rep = 3.0f;
  p->nli_price = 0.5f;
  p->nli_rel = 4.5f;
  p->rel_decay = 0.9f;
  p->rel_window = 10;
  p->ira_nli = 1.0f;
  p->ira_nli_logit = 0.0f;
  p->ira_ret = 0.05f;
  p->ira_pop = 0.7f;
  p->ira_div = 0.0f;
  p->ira_idf = 1.0f;
  p->ira_u_brand = 2.0f;
  p->ira_u_cat = 0.25f;
  p->ira_u_kw = 0.25f;
  p->ira_u_sess = 0.0f;
  p->ira_text = 2.0f;
  p->ira_c_brand = 0.0f;
  p->ira_c_cat = 0.0f;
  p->ira_c_kw = 0.0f;
}

/* Every parameter by name, with its range (weights may be negative; rates and
 * shares are in [0, 1]; windows are event counts). */
typedef struct rs_param {
  const char *name;
  size_t off;
  int is_uint;
  float lo, hi;
} rs_param;

#define RS_W(f)                                                                                    \
  { #f, offsetof(arag_reasoner_params, f), 0, -1000.0f, 1000.0f }
#define RS_R(f)                                                                                    \
  { #f, offsetof(arag_reasoner_params, f), 0, 0.0f, 1.0f }
#define RS_N(f)                                                                                    \
  { #f, offsetof(arag_reasoner_params, f), 1, 0.0f, 10000.0f }
static const rs_param PARAMS[] = {
    RS_R(decay),         RS_W(sess_boost), RS_N(sim_window), RS_R(sim_decay),  RS_W(nli_bias),
    RS_W(nli_brand),     RS_W(nli_brandn), RS_W(nli_rsim),   RS_W(nli_line),   RS_W(nli_cat),
    RS_W(nli_sess),      RS_W(nli_sim),    RS_W(nli_psim),   RS_W(nli_rep),    RS_W(nli_isim),
    RS_W(nli_price),     RS_W(nli_rel),    RS_R(rel_decay),  RS_N(rel_window), RS_W(ira_nli),
    RS_W(ira_nli_logit), RS_W(ira_ret),    RS_W(ira_pop),    RS_R(ira_div),    RS_R(ira_idf),
    RS_W(ira_u_brand),   RS_W(ira_u_cat),  RS_W(ira_u_kw),   RS_W(ira_u_sess), RS_W(ira_c_brand),
    RS_W(ira_c_cat),     RS_W(ira_c_kw),   RS_W(ira_text),   RS_R(shift),
};
#undef RS_W
#undef RS_R
#undef RS_N

uint32_t arag_reasoner_params_count(void) { return sizeof PARAMS / sizeof PARAMS[0]; }

const char *arag_reasoner_params_name(uint32_t i) {
  return i < arag_reasoner_params_count() ? PARAMS[i].name : NULL;
}

double arag_reasoner_params_get(const arag_reasoner_params *p, uint32_t i) {
  if (i >= arag_reasoner_params_count()) return NAN;
  const char *at = (const char *)p + PARAMS[i].off;
  return PARAMS[i].is_uint ? (double)*(const uint32_t *)at : (double)*(const float *)at;
}

int arag_reasoner_params_set(arag_reasoner_params *p, const char *name, double v, double *lo,
                             double *hi) {
  for (uint32_t i = 0; i < arag_reasoner_params_count(); i++) {
    const rs_param *q = &PARAMS[i];
    if (strcmp(name, q->name) != 0) continue;
    if (lo) *lo = q->lo;
    if (hi) *hi = q->hi;
    if (!isfinite(v) || v < q->lo || v > q->hi || (q->is_uint && v != floor(v))) return -2;
    char *at = (char *)p + q->off;
    if (q->is_uint)
      *(uint32_t *)at = (uint32_t)v;
    else
      *(float *)at = (float)v;
    return 0;
  }
  return -1;
}
