/* Prompt templates from the prompts/ folder (one .txt per agent), embedded at build time (see
 * cmake/embed_prompts.cmake). Names are the file names without .txt. */
#ifndef ARAG_PROMPTS_H
#define ARAG_PROMPTS_H
#include <stddef.h>

typedef struct arag_prompt {
  const char *name;
  const char *text;
  size_t len;
} arag_prompt;

/* NULL when there is no template of that name. */
const arag_prompt *arag_prompt_get(const char *name);

#endif
