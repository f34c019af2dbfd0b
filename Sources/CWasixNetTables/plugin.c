/* The plugin table (wasixnet.h [plugin]): every public function behind one symbol, for hosts that
 * dlopen the library, generated from the header's function list. Plain relocated static data: no
 * initialisation, no allocation. */
#include "../../include/wasixnet.h"

#define PLUGIN_ENTRY_(ret, name, params) .name = wasixnet_##name,
static const wasixnet_plugin_v1_t plugin = {
    .abi_version = WASIXNET_ABI_VERSION,
    .struct_size = (uint32_t)sizeof(wasixnet_plugin_v1_t),
    .abi_version_fn = wasixnet_abi_version,
    WASIXNET_PLUGIN_FUNCTIONS(PLUGIN_ENTRY_)
};
#undef PLUGIN_ENTRY_

const wasixnet_plugin_v1_t *wasixnet_plugin_v1(void) { return &plugin; }
