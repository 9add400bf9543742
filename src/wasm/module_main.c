/* Entry translation unit of the wasm modules: the library is linked in whole and
 * its functions are exported by name (src/wasm/exports.txt); there is no main. */
#include "arag.h"

const char *arag_module_build(void);
const char *arag_module_build(void) { return arag_version(); }
