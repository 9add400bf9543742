/* The agent table (src/agents/agents.c): one entry per agent in enum order, names
 * that find their entry and their prompt template, schemas that parse and name the
 * NLI labels as arag_nli_label_name spells them, closing lines with the call's
 * candidate count where the agent judges or ranks candidates. */
#include "agents.h"
#include "prompt_render.h"
#include "prompts.h"
#include "test.h"

#include <cJSON.h>
#include <stdlib.h>
#include <string.h>

static void test_table(void) {
  for (int i = 0; i < ARAG_AGENT_COUNT; i++) {
    const arag_agent_spec *a = &arag_agent_specs[i];
    CHECK_EQ_INT(a->agent, i);
    CHECK(strcmp(arag_agent_name((arag_agent)i), a->name) == 0);
    CHECK_EQ_INT(arag_agent_by_name(a->name), i);
    CHECK(arag_prompt_get(a->name) != NULL);
    CHECK(arag_response_schema((arag_agent)i) == a->schema);
    cJSON *s = cJSON_Parse(a->schema);
    CHECK(s != NULL);
    cJSON_Delete(s);
    CHECK(a->retrieval_note && a->retrieval_note[0]);
    CHECK(a->tokens > 0);
  }
  CHECK_EQ_INT(arag_agent_by_name("UUA"), -1);
  CHECK_EQ_INT(arag_agent_by_name(NULL), -1);
  CHECK(strcmp(arag_agent_name((arag_agent)7), "unknown") == 0);
  CHECK_EQ_INT(arag_agent_specs[ARAG_AGENT_UUA].answer, ARAG_ANSWER_SUMMARY);
  CHECK_EQ_INT(arag_agent_specs[ARAG_AGENT_CSA].answer, ARAG_ANSWER_SUMMARY);
  CHECK_EQ_INT(arag_agent_specs[ARAG_AGENT_NLI].answer, ARAG_ANSWER_VERDICTS);
  CHECK_EQ_INT(arag_agent_specs[ARAG_AGENT_IRA].answer, ARAG_ANSWER_RANKING);
  /* The agents that see candidates size their answer by them and count them aloud. */
  CHECK(arag_agent_specs[ARAG_AGENT_NLI].tokens_per_cand > 0);
  CHECK(arag_agent_specs[ARAG_AGENT_IRA].tokens_per_cand > 0);
  CHECK(strstr(arag_agent_specs[ARAG_AGENT_NLI].ask, "%u") != NULL);
  CHECK(strstr(arag_agent_specs[ARAG_AGENT_IRA].ask, "%u") != NULL);
  CHECK(strstr(arag_agent_specs[ARAG_AGENT_UUA].ask, "%") == NULL);
  CHECK(strstr(arag_agent_specs[ARAG_AGENT_CSA].ask, "%") == NULL);
  /* Only IRA cites evidence, and asks for it with how many of its items cite. */
  const char *cite = arag_agent_specs[ARAG_AGENT_IRA].ask_cite;
  CHECK(cite && strstr(cite, "%u") && strstr(strstr(cite, "%u") + 2, "%u"));
  for (int i = 0; i < ARAG_AGENT_IRA; i++) CHECK(arag_agent_specs[i].ask_cite == NULL);
}

/* The NLI schema's label enum is the label table, in enum order. */
static void test_labels(void) {
  cJSON *s = cJSON_Parse(arag_agent_specs[ARAG_AGENT_NLI].schema);
  const cJSON *e = cJSON_GetObjectItem(s, "properties");
  e = cJSON_GetObjectItem(cJSON_GetObjectItem(e, "items"), "items");
  e = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(e, "properties"), "label"),
                          "enum");
  CHECK(cJSON_GetArraySize(e) == 3);
  for (int l = 0; l < 3; l++) {
    const cJSON *v = cJSON_GetArrayItem(e, l);
    CHECK(cJSON_IsString(v) && strcmp(v->valuestring, arag_nli_label_name((arag_nli_label)l)) == 0);
  }
  CHECK(strcmp(arag_nli_label_name((arag_nli_label)9), "neutral") == 0);
  cJSON_Delete(s);
}

int main(void) {
  RUN(test_table);
  RUN(test_labels);
  return test_report();
}
