/* Renders one agent call (an arag_agent_input) into the provider-neutral request
 * {"agent", "messages":[{"role":"system","content":template},
 *                       {"role":"user","content":data section}],
 *  "response_schema", "max_tokens", "temperature"}.
 * The system message is the agent's template (prompts/<agent>.txt). The user message
 * is the fenced data section: every text from items, events and earlier agents is a
 * JSON string value (escaped, fence tokens removed, truncated to max_item_chars) on
 * one line between "<<<DATA" and "DATA>>>". */
#ifndef ARAG_PROMPT_RENDER_H
#define ARAG_PROMPT_RENDER_H

#include "agents.h"
#include <stddef.h>

#define ARAG_FENCE_OPEN "<<<DATA"
#define ARAG_FENCE_CLOSE "DATA>>>"

typedef struct arag_render_opts {
  uint32_t max_item_chars; /* per text field; summaries get 4x */
  uint32_t max_tokens;
  double temperature;
} arag_render_opts;

/* JSON Schema of an agent's output (static text). */
const char *arag_response_schema(arag_agent agent);

/* The user message (data section) alone. malloc'ed, NULL when out of memory. */
char *arag_render_user_message(const arag_agent_input *in, const arag_render_opts *o, size_t *len);

/* Lengths of the parts one session renders again and again (its events, and the
 * item fields of its candidates), measured once: event_len[i] belongs to
 * events[i], item_len[j] to items[j]; 0 means not measured yet. Parts outside
 * these arrays are measured each time. */
typedef struct arag_render_memo {
  const arag_event *events;
  size_t *event_len;
  uint32_t n_events;
  const arag_item *items;
  size_t *item_len;
  uint32_t n_items;
} arag_render_memo;

/* Bytes of arag_render_user_message's output, without building it. memo may be
 * NULL; with one, the session's repeated parts are measured only once. */
size_t arag_render_user_message_len(const arag_agent_input *in, const arag_render_opts *o,
                                    arag_render_memo *memo);

/* The whole request JSON. malloc'ed, NULL when out of memory or the template is
 * missing. prompt_chars (may be NULL) receives the bytes of both message contents. */
char *arag_render_request(const arag_agent_input *in, const arag_render_opts *o, size_t *len,
                          size_t *prompt_chars);

#endif
