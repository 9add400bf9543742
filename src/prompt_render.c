#include "prompt_render.h"

#include "prompts.h"
#include "strbuf.h"
#include <cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CATEGORIES 8

static const char schema_uua[] =
    "{\"type\":\"object\",\"properties\":{\"summary\":{\"type\":\"string\"},"
    "\"interests\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}}},"
    "\"required\":[\"summary\"]}";
static const char schema_nli[] =
    "{\"type\":\"object\",\"properties\":{\"items\":{\"type\":\"array\",\"items\":{"
    "\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\"},"
    "\"score\":{\"type\":\"number\",\"minimum\":0,\"maximum\":1},"
    "\"label\":{\"type\":\"string\",\"enum\":[\"supports\",\"neutral\",\"contradicts\"]},"
    "\"rationale\":{\"type\":\"string\"}},\"required\":[\"id\",\"score\",\"label\"]}}},"
    "\"required\":[\"items\"]}";
static const char schema_csa[] =
    "{\"type\":\"object\",\"properties\":{\"summary\":{\"type\":\"string\"}},"
    "\"required\":[\"summary\"]}";
static const char schema_ira[] =
    "{\"type\":\"object\",\"properties\":{\"ranking\":{\"type\":\"array\",\"items\":{"
    "\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\"},"
    "\"reason\":{\"type\":\"string\"},\"score\":{\"type\":\"number\"}},"
    "\"required\":[\"id\"]}}},\"required\":[\"ranking\"]}";

const char *arag_response_schema(arag_agent agent) {
  switch (agent) {
  case ARAG_AGENT_UUA:
    return schema_uua;
  case ARAG_AGENT_NLI:
    return schema_nli;
  case ARAG_AGENT_CSA:
    return schema_csa;
  case ARAG_AGENT_IRA:
    return schema_ira;
  }
  return "{}";
}

static const char *kind_name(arag_event_kind k) {
  switch (k) {
  case ARAG_EV_CART:
    return "cart";
  case ARAG_EV_PURCHASE:
    return "purchase";
  case ARAG_EV_RATING:
    return "rating";
  default:
    return "view";
  }
}

static void put_text(arag_sb *b, const char *s, uint32_t max) {
  arag_sb_json_text(b, s ? s : "", s ? strlen(s) : 0, max);
}

static void put_num(arag_sb *b, const char *key, double v) {
  if (!isfinite(v)) return;
  arag_sb_printf(b, ",\"%s\":%.4g", key, v);
}

/* The item fields every line shares: id, title, categories, brand, price, text. */
static void put_item_fields(arag_sb *b, const arag_item *it, uint32_t max) {
  arag_sb_puts(b, "\"id\":");
  put_text(b, it->id, 0);
  arag_sb_puts(b, ",\"title\":");
  put_text(b, it->title, max);
  if (it->n_categories) {
    arag_sb_puts(b, ",\"categories\":[");
    uint32_t n = it->n_categories < MAX_CATEGORIES ? it->n_categories : MAX_CATEGORIES;
    for (uint32_t i = 0; i < n; i++) {
      if (i) arag_sb_puts(b, ",");
      put_text(b, it->categories[i], max);
    }
    arag_sb_puts(b, "]");
  }
  if (it->brand && it->brand[0]) {
    arag_sb_puts(b, ",\"brand\":");
    put_text(b, it->brand, max);
  }
  put_num(b, "price", it->price);
  if (it->text && it->text[0]) {
    arag_sb_puts(b, ",\"text\":");
    put_text(b, it->text, max);
  }
}

static void put_events(arag_sb *b, const char *label, const arag_event *const *ev, uint32_t n,
                       uint32_t max) {
  arag_sb_printf(b, "%s: %u events, oldest first\n", label, n);
  for (uint32_t i = 0; i < n; i++) {
    const arag_event *e = ev[i];
    arag_sb_printf(b, "{\"kind\":\"%s\"", kind_name(e->kind));
    put_num(b, "rating", e->rating);
    arag_sb_puts(b, ",");
    put_item_fields(b, &e->item, max);
    arag_sb_puts(b, "}\n");
  }
}

static void put_summary(arag_sb *b, const char *label, const char *s, uint32_t max) {
  arag_sb_printf(b, "%s: ", label);
  if (s)
    put_text(b, s, max);
  else
    arag_sb_puts(b, "null");
  arag_sb_puts(b, "\n");
}

static const char *label_name(arag_nli_label l) {
  switch (l) {
  case ARAG_NLI_SUPPORTS:
    return "supports";
  case ARAG_NLI_CONTRADICTS:
    return "contradicts";
  default:
    return "neutral";
  }
}

char *arag_render_user_message(const arag_agent_input *in, const arag_render_opts *o, size_t *len) {
  uint32_t max = o->max_item_chars;
  uint32_t smax = max ? max * 4 : 0;
  arag_sb b;
  arag_sb_init(&b);
  arag_sb_puts(&b, ARAG_FENCE_OPEN "\n");
  switch (in->agent) {
  case ARAG_AGENT_UUA:
    put_events(&b, "long_term", in->long_term, in->n_long_term, max);
    put_events(&b, "session", in->session, in->n_session, max);
    break;
  case ARAG_AGENT_NLI:
    put_events(&b, "long_term", in->long_term, in->n_long_term, max);
    put_events(&b, "session", in->session, in->n_session, max);
    arag_sb_printf(&b, "candidates: %u items\n", in->n_cands);
    for (uint32_t i = 0; i < in->n_cands; i++) {
      arag_sb_puts(&b, "{");
      put_item_fields(&b, in->cands[i], max);
      arag_sb_puts(&b, "}\n");
    }
    break;
  case ARAG_AGENT_CSA:
    put_summary(&b, "user_summary", in->s_user, smax);
    arag_sb_printf(&b, "accepted: %u items\n", in->n_cands);
    for (uint32_t i = 0; i < in->n_cands; i++) {
      arag_sb_puts(&b, "{");
      put_item_fields(&b, in->cands[i], max);
      if (in->retrieval) put_num(&b, "retrieval", in->retrieval[i]);
      if (in->nli) {
        put_num(&b, "nli_score", in->nli[i].score);
        arag_sb_printf(&b, ",\"label\":\"%s\",\"rationale\":", label_name(in->nli[i].label));
        put_text(&b, in->nli[i].rationale, max);
      }
      arag_sb_puts(&b, "}\n");
    }
    break;
  case ARAG_AGENT_IRA:
    put_summary(&b, "user_summary", in->s_user, smax);
    put_summary(&b, "context_summary", in->s_ctx, smax);
    arag_sb_printf(&b, "candidates: %u items\n", in->n_cands);
    for (uint32_t i = 0; i < in->n_cands; i++) {
      arag_sb_puts(&b, "{");
      put_item_fields(&b, in->cands[i], max);
      if (in->retrieval) put_num(&b, "retrieval", in->retrieval[i]);
      if (in->nli) {
        put_num(&b, "nli_score", in->nli[i].score);
        arag_sb_printf(&b, ",\"label\":\"%s\"", label_name(in->nli[i].label));
      }
      arag_sb_puts(&b, "}\n");
    }
    break;
  }
  arag_sb_puts(&b, ARAG_FENCE_CLOSE "\n");
  switch (in->agent) {
  case ARAG_AGENT_NLI:
    arag_sb_printf(&b, "Judge each of the %u candidates. Reply with the JSON object only.",
                   in->n_cands);
    break;
  case ARAG_AGENT_IRA:
    arag_sb_printf(&b, "Rank all %u candidates. Reply with the JSON object only.", in->n_cands);
    break;
  default:
    arag_sb_puts(&b, "Reply with the JSON object only.");
    break;
  }
  return arag_sb_take(&b, len);
}

char *arag_render_request(const arag_agent_input *in, const arag_render_opts *o, size_t *len,
                          size_t *prompt_chars) {
  const arag_prompt *tpl = arag_prompt_get(arag_agent_name(in->agent));
  if (!tpl) return NULL;
  size_t ulen = 0;
  char *user = arag_render_user_message(in, o, &ulen);
  if (!user) return NULL;
  char *out = NULL;
  cJSON *req = cJSON_CreateObject();
  cJSON *msgs = req ? cJSON_AddArrayToObject(req, "messages") : NULL;
  cJSON *sys = cJSON_CreateObject(), *usr = cJSON_CreateObject();
  cJSON *schema = cJSON_Parse(arag_response_schema(in->agent));
  if (msgs && sys && usr && schema) {
    cJSON_AddStringToObject(req, "agent", arag_agent_name(in->agent));
    cJSON_AddStringToObject(sys, "role", "system");
    cJSON_AddStringToObject(sys, "content", tpl->text);
    cJSON_AddItemToArray(msgs, sys);
    cJSON_AddStringToObject(usr, "role", "user");
    cJSON_AddStringToObject(usr, "content", user);
    cJSON_AddItemToArray(msgs, usr);
    sys = usr = NULL;
    cJSON_AddItemToObject(req, "response_schema", schema);
    schema = NULL;
    cJSON_AddNumberToObject(req, "max_tokens", o->max_tokens);
    cJSON_AddNumberToObject(req, "temperature", o->temperature);
    out = cJSON_PrintUnformatted(req);
  }
  cJSON_Delete(sys);
  cJSON_Delete(usr);
  cJSON_Delete(schema);
  cJSON_Delete(req);
  free(user);
  if (out) {
    if (len) *len = strlen(out);
    if (prompt_chars) *prompt_chars = tpl->len + ulen;
  }
  return out;
}
