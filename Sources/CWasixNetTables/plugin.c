/* The plugin table: every public function behind one symbol, for hosts that dlopen the library.
 * Plain relocated static data: no initialisation, no allocation. */
#include "../../include/wasixnet.h"

static const wasixnet_plugin_v1_t plugin = {
    .abi_version = WASIXNET_ABI_VERSION,
    .struct_size = (uint32_t)sizeof(wasixnet_plugin_v1_t),
    .abi_version_fn = wasixnet_abi_version,
    .version = wasixnet_version,
    .errno_name = wasixnet_errno_name,
    .imports = wasixnet_imports,
    .port_new = wasixnet_port_new,
    .port_free = wasixnet_port_free,
    .port_bridge = wasixnet_port_bridge,
    .port_unbridge = wasixnet_port_unbridge,
    .port_dhcp_acquire = wasixnet_port_dhcp_acquire,
    .port_addr_add = wasixnet_port_addr_add,
    .port_addr_remove = wasixnet_port_addr_remove,
    .port_addr_clear = wasixnet_port_addr_clear,
    .port_addr_list = wasixnet_port_addr_list,
    .port_mac = wasixnet_port_mac,
    .port_gateway_set = wasixnet_port_gateway_set,
    .port_route_add = wasixnet_port_route_add,
    .port_route_remove = wasixnet_port_route_remove,
    .port_route_clear = wasixnet_port_route_clear,
    .port_route_list = wasixnet_port_route_list,
    .port_route_lookup = wasixnet_port_route_lookup,
    .guest_port_bridge = wasixnet_guest_port_bridge,
    .guest_port_unbridge = wasixnet_guest_port_unbridge,
    .guest_port_dhcp_acquire = wasixnet_guest_port_dhcp_acquire,
    .guest_port_addr_add = wasixnet_guest_port_addr_add,
    .guest_port_addr_remove = wasixnet_guest_port_addr_remove,
    .guest_port_addr_clear = wasixnet_guest_port_addr_clear,
    .guest_port_addr_list = wasixnet_guest_port_addr_list,
    .guest_port_mac = wasixnet_guest_port_mac,
    .guest_port_gateway_set = wasixnet_guest_port_gateway_set,
    .guest_port_route_add = wasixnet_guest_port_route_add,
    .guest_port_route_remove = wasixnet_guest_port_route_remove,
    .guest_port_route_clear = wasixnet_guest_port_route_clear,
    .guest_port_route_list = wasixnet_guest_port_route_list,
};

const wasixnet_plugin_v1_t *wasixnet_plugin_v1(void) { return &plugin; }
