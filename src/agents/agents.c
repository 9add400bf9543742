#include "agents.h"

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
