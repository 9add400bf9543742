/* The four agents, described once (agents.h). */
#include "agents.h"

#include <string.h>

static const char *const label_names[] = {"supports", "neutral", "contradicts"};

const arag_agent_spec arag_agent_specs[ARAG_AGENT_COUNT] = {
    {ARAG_AGENT_UUA, "uua",
     "{\"type\":\"object\",\"properties\":{\"summary\":{\"type\":\"string\"},"
     "\"interests\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}}},"
     "\"required\":[\"summary\"]}",
     ARAG_ANSWER_SUMMARY, 500, 0, 0, "Reply with the JSON object only.", NULL, "skipped"},
    {ARAG_AGENT_NLI, "nli",
     "{\"type\":\"object\",\"properties\":{\"items\":{\"type\":\"array\",\"items\":{"
     "\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\"},"
     "\"score\":{\"type\":\"number\",\"minimum\":0,\"maximum\":1},"
     "\"label\":{\"type\":\"string\",\"enum\":[\"supports\",\"neutral\",\"contradicts\"]},"
     "\"rationale\":{\"type\":\"string\"}},\"required\":[\"id\",\"score\",\"label\"]}}},"
     "\"required\":[\"items\"]}",
     ARAG_ANSWER_VERDICTS, 100, 70, 0,
     "Judge each of the %u candidates. Reply with the JSON object only.", NULL,
     "retrieval_fallback"},
    {ARAG_AGENT_CSA, "csa",
     "{\"type\":\"object\",\"properties\":{\"summary\":{\"type\":\"string\"}},"
     "\"required\":[\"summary\"]}",
     ARAG_ANSWER_SUMMARY, 400, 0, 0, "Reply with the JSON object only.", NULL, "skipped"},
    {ARAG_AGENT_IRA, "ira",
     "{\"type\":\"object\",\"properties\":{\"ranking\":{\"type\":\"array\",\"items\":{"
     "\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\"},"
     "\"reason\":{\"type\":\"string\"},"
     "\"score\":{\"type\":\"number\",\"minimum\":0,\"maximum\":1},"
     "\"cite\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}}},"
     "\"required\":[\"id\"]}}},\"required\":[\"ranking\"]}",
     ARAG_ANSWER_RANKING, 100, 52, 30, "Rank all %u candidates. Reply with the JSON object only.",
     "Rank all %u candidates. Cite the evidence of your first %u. Reply with the JSON object "
     "only.",
     "fallback_order"},
};

const char *arag_agent_name(arag_agent agent) {
  return (unsigned)agent < ARAG_AGENT_COUNT ? arag_agent_specs[agent].name : "unknown";
}

uint32_t arag_agent_cited_items(const arag_agent_input *in) {
  if (!arag_agent_specs[in->agent].ask_cite || !in->cite_k || !in->evidence) return 0;
  return in->cite_k < in->n_cands ? in->cite_k : in->n_cands;
}

int arag_agent_by_name(const char *name) {
  for (int i = 0; name && i < ARAG_AGENT_COUNT; i++)
    if (strcmp(name, arag_agent_specs[i].name) == 0) return i;
  return -1;
}

const char *arag_nli_label_name(arag_nli_label label) {
  return (unsigned)label < 3 ? label_names[label] : label_names[ARAG_NLI_NEUTRAL];
}
