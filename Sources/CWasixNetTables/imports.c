/* The import table: the 13 WASIX port calls for wasix_32v1 and for wasix_64v1, each with an
 * adapter that takes the wasm arguments as an array and calls the guest-memory function.
 * One list (WASIXNET_PORT_IMPORTS) gives every name, arity and signature. */
#include "../../include/wasixnet.h"

/* An i32 argument: the host may have widened it with sign extension, so keep its low 32 bits. */
#define I32_ARG(i) ((uint64_t)(uint32_t)args[i])
#define I64_ARG(i) (args[i])

/* Argument lists by shape: PTR is the width of pointers and lengths, INT the width of plain i32s. */
#define ARGS_0(PTR, INT)
#define ARGS_1(PTR, INT) , PTR(0)
#define ARGS_2(PTR, INT) , PTR(0), PTR(1)
#define ARGS_4(PTR, INT) , PTR(0), PTR(1), PTR(2), PTR(3)
#define ARGS_BRIDGE(PTR, INT) , PTR(0), PTR(1), PTR(2), PTR(3), INT(4)

/* name, number of arguments, argument shape, params for wasix_32v1, params for wasix_64v1 */
#define WASIXNET_PORT_IMPORTS(XX)                          \
    XX(port_bridge, 5, ARGS_BRIDGE, "iiiii", "IIIIi")      \
    XX(port_unbridge, 0, ARGS_0, "", "")                   \
    XX(port_dhcp_acquire, 0, ARGS_0, "", "")               \
    XX(port_addr_add, 1, ARGS_1, "i", "I")                 \
    XX(port_addr_remove, 1, ARGS_1, "i", "I")              \
    XX(port_addr_clear, 0, ARGS_0, "", "")                 \
    XX(port_mac, 1, ARGS_1, "i", "I")                      \
    XX(port_addr_list, 2, ARGS_2, "ii", "II")              \
    XX(port_gateway_set, 1, ARGS_1, "i", "I")              \
    XX(port_route_add, 4, ARGS_4, "iiii", "IIII")          \
    XX(port_route_remove, 1, ARGS_1, "i", "I")             \
    XX(port_route_clear, 0, ARGS_0, "", "")                \
    XX(port_route_list, 2, ARGS_2, "ii", "II")

/* The entry's module decides the width of list count cells, whatever the guest says. */
#define DEFINE_ADAPTER(prefix, width, PTR, name, arity, SHAPE)                                      \
    static wasixnet_errno_t prefix##_##name(wasixnet_port_t *port, const wasixnet_guest_t *guest, \
                                            const uint64_t *args) {                               \
        wasixnet_guest_t sized;                                                                   \
        if (guest == NULL || (arity > 0 && args == NULL)) return WASIXNET_EFAULT;                 \
        sized = *guest;                                                                           \
        sized.pointer_size = width;                                                               \
        (void)args;                                                                               \
        return wasixnet_guest_##name(port, &sized SHAPE(PTR, I32_ARG));                           \
    }
#define DEFINE_ADAPTERS(name, arity, SHAPE, params32, params64) \
    DEFINE_ADAPTER(wasix32, 4, I32_ARG, name, arity, SHAPE)     \
    DEFINE_ADAPTER(wasix64, 8, I64_ARG, name, arity, SHAPE)
WASIXNET_PORT_IMPORTS(DEFINE_ADAPTERS)

#define ENTRY32(name, arity, SHAPE, params32, params64) {"wasix_32v1", #name, params32, "i", wasix32_##name},
#define ENTRY64(name, arity, SHAPE, params32, params64) {"wasix_64v1", #name, params64, "i", wasix64_##name},
static const wasixnet_import_t imports[] = {
    WASIXNET_PORT_IMPORTS(ENTRY32) WASIXNET_PORT_IMPORTS(ENTRY64)
};

const wasixnet_import_t *wasixnet_imports(size_t *count) {
    if (count != NULL) *count = sizeof imports / sizeof imports[0];
    return imports;
}
