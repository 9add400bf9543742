#include "agents.h"

#include <string.h>

const char *arag_agent_name(arag_agent agent) {
  switch (agent) {
  case ARAG_AGENT_UUA:
    return "uua";
  case ARAG_AGENT_NLI:
    return "nli";
  case ARAG_AGENT_CSA:
    return "csa";
  case ARAG_AGENT_IRA:
    return "ira";
  }
  return "unknown";
}

int arag_agent_by_name(const char *name) {
  for (int i = 0; name && i < ARAG_AGENT_COUNT; i++)
    if (strcmp(name, arag_agent_name((arag_agent)i)) == 0) return i;
  return -1;
}
