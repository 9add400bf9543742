/* The module's import for agent requests. In wasm builds the engine's default
 * fetch callback forwards here; native builds have no default (set a callback). */
#ifndef ARAG_HOST_FETCH_H
#define ARAG_HOST_FETCH_H
#include "arag.h"

/* Returns the default fetch callback of this build, or NULL (native). */
arag_fetch_fn arag_default_fetch(void);

#endif
