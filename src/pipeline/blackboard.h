/* The blackboard of one recommendation: every agent request and its answer
 * (agent, batch, status, timings, sizes, token usage when reported, repairs and
 * degradations), and the session-wide list of degradations. Serialized into the
 * "messages" of the trace. */
#ifndef ARAG_BLACKBOARD_H
#define ARAG_BLACKBOARD_H

#include "agents.h"
#include "strbuf.h"
#include <cJSON.h>
#include <stdint.h>

typedef enum arag_msg_state {
  ARAG_MSG_QUEUED = 0,    /* waiting for a free slot (max_in_flight) */
  ARAG_MSG_IN_FLIGHT = 1, /* sent, answer pending */
  ARAG_MSG_DONE = 2,      /* answered (any status) */
  ARAG_MSG_ABANDONED = 3  /* session cancelled before an answer */
} arag_msg_state;

typedef struct arag_bb_msg {
  uint32_t request_id;
  arag_agent agent;
  int batch;             /* NLI batch number (0-based), -1 for the other agents */
  uint32_t first, count; /* NLI: slice of I0 this batch covers */
  arag_msg_state state;
  int sent;          /* the request went to the backend (not answered by the deadline) */
  int status;        /* HTTP-like status of the answer; -1 before one */
  double started_ms; /* relative to the session start; -1 before dispatch */
  double ended_ms;
  size_t prompt_chars; /* bytes of all message contents */
  size_t response_chars;
  int64_t prompt_tokens; /* -1 when not reported */
  int64_t completion_tokens;
  char *request_json;      /* kept only with config trace_prompts */
  char *response;          /* first bytes of the answer (or error body) */
  cJSON *inputs;           /* what the call was given: candidate ids, summaries, context sizes */
  cJSON *output;           /* validated output, as used by the pipeline */
  const char *cause;       /* why the fallback answered (static text), NULL: the agent did */
  const char *fallback;    /* "offline" or "retrieval" when a fallback answered, else NULL */
  uint32_t fallback_items; /* candidates the fallback answered (NLI, IRA); 0: all */
  arag_strlist repairs;    /* off-schema details that were repaired */
  arag_strlist degraded;   /* what this answer degraded */
} arag_bb_msg;

typedef struct arag_blackboard {
  arag_bb_msg *msgs;
  uint32_t n, cap;
  arag_strlist degraded; /* all degradations of the session, in order */
  int oom;
} arag_blackboard;

/* Maximum bytes of an answer kept in the trace. */
#define ARAG_BB_RESPONSE_EXCERPT 2000

void arag_bb_init(arag_blackboard *bb);
void arag_bb_free(arag_blackboard *bb);
/* Appends a queued message; returns its index or -1 when out of memory. Indices
 * stay valid; pointers into msgs do not survive the next append. */
int arag_bb_add(arag_blackboard *bb, uint32_t request_id, arag_agent agent, int batch,
                uint32_t first, uint32_t count);
/* Index of the message with that request id, or -1. */
int arag_bb_find(const arag_blackboard *bb, uint32_t request_id);
/* Records a degradation on message i (or only session-wide when i < 0). */
void arag_bb_degrade(arag_blackboard *bb, int i, const char *fmt, ...) ARAG_PRINTF(3, 4);
/* Stores status, end time and an excerpt of the answer on message i. */
void arag_bb_answer(arag_blackboard *bb, int i, int status, double ended_ms, const char *body,
                    size_t len);
/* Appends the messages as a JSON array (the trace's "messages"). */
void arag_bb_messages_write(const arag_blackboard *bb, arag_sb *b);

#endif
