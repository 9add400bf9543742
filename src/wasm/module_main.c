/* Entry translation unit of the wasm modules: the library is linked in whole and
 * its functions are exported by name (src/wasm/exports.txt); there is no main. */
#include "arag.h"
#include "model.h"

#include <stdlib.h>

const char *arag_module_build(void);
const char *arag_module_build(void) { return arag_version(); }

/* A catalog restore with its checksum and row checks folded into the copy
 * (web/src/handles.mjs): the host mallocs the snapshot's buffer and a state for it
 * (arag_wasm_catalog_fed_new; free it with free), writes the bytes in pieces calling
 * arag_catalog_fed_feed after each, while the piece is still in cache, then
 * arag_catalog_restore_take_fed, which compares the state's digest with the header's
 * checksum instead of reading the body again and does not check again the rows the state
 * found usable (model.h). Not part of arag.h. */
arag_catalog_fed *arag_wasm_catalog_fed_new(const uint8_t *buf);
arag_catalog_fed *arag_wasm_catalog_fed_new(const uint8_t *buf) {
  arag_catalog_fed *f = (arag_catalog_fed *)malloc(sizeof *f);
  if (f) arag_catalog_fed_init(f, buf);
  return f;
}
