/* Entry translation unit of the wasm modules: the library is linked in whole and
 * its functions are exported by name (src/wasm/exports.txt); there is no main. */
#include "arag.h"
#include "snapshot_io.h"

#include <stdlib.h>

const char *arag_module_build(void);
const char *arag_module_build(void) { return arag_version(); }

/* A catalog restore with its checksum folded into the copy (web/src/handles.mjs): the
 * host mallocs the snapshot's buffer and a state for it (arag_wasm_snap_sum_new; free
 * it with free), writes the bytes in pieces calling arag_snap_sum_feed after each, while
 * the piece is still in cache, then arag_catalog_restore_take_summed, which compares
 * the state's digest with the header's checksum instead of reading the body again. The
 * digest is the module's, taken over the bytes where they lie. Not part of arag.h. */
arag_snap_sum *arag_wasm_snap_sum_new(const uint8_t *buf);
arag_snap_sum *arag_wasm_snap_sum_new(const uint8_t *buf) {
  arag_snap_sum *s = (arag_snap_sum *)malloc(sizeof *s);
  if (s) arag_snap_sum_init(s, buf);
  return s;
}
