#include "host_fetch.h"

#if defined(__wasm__)
#if defined(__EMSCRIPTEN__)
#include <emscripten.h>
/* Defined here rather than in a --js-library, so a program that links libarag.a needs no
 * extra flag. The host library installs Module.aragHostFetch; a C program that runs the
 * offline reasoner never reaches this. */
EM_JS(void, arag_host_fetch,
      (void *engine, uint32_t session, uint32_t request_id, const char *json, size_t len), {
        if (!Module['aragHostFetch'])
          throw new Error('arag: no host fetch (Module.aragHostFetch) installed');
        Module['aragHostFetch'](engine, session, request_id, json, len);
      });
#else
__attribute__((import_module("env"), import_name("arag_host_fetch"))) extern void
arag_host_fetch(void *engine, uint32_t session, uint32_t request_id, const char *json, size_t len);
#endif

/* user is the engine pointer: the host routes the answer back to that engine. */
static void forward_to_host(void *user, uint32_t session, uint32_t request_id, const char *json,
                            size_t len) {
  arag_host_fetch(user, session, request_id, json, len);
}

arag_fetch_fn arag_default_fetch(void) { return forward_to_host; }
#else
arag_fetch_fn arag_default_fetch(void) { return 0; }
#endif
