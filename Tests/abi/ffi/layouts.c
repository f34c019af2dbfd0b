/*
 * layouts.c — section "layouts": every struct of the ABI described to libffi and compared.
 */
#include "harness.h"
#include "sections.h"
#include "udp_support.h"

/* ============================================================================================
 * Section: layouts. Each struct is described to libffi as a list of runs of elements (an array
 * is its element repeated; a union is described by the flattened fields of one member).
 * ffi_get_struct_offsets gives size, alignment and every offset; each is compared with the
 * number the header's text states and with the header's sizeof / _Alignof / offsetof.
 * ========================================================================================== */

typedef struct {
    ffi_type *type;
    unsigned count;    /* the element repeated count times */
    const char *field; /* NULL: filler, not checked */
    long contract;     /* the offset the header's text states */
    long header;       /* offsetof in the header; -1: no C counterpart (Wasmer's guest layouts) */
} run_t;
#define FIELD(t, n, name, c, h) { (t), (n), (name), (c), (long)(h) }
#define FILL(t, n) { (t), (n), NULL, -1, -1 }
#define U8 (&ffi_type_uint8)
#define U16 (&ffi_type_uint16)
#define U32 (&ffi_type_uint32)
#define U64 (&ffi_type_uint64)
#define PTR (&ffi_type_pointer)
#define PS ((long)sizeof(void *))
#if SIZE_MAX == UINT64_MAX
#define ZT U64 /* size_t */
#else
#define ZT U32
#endif

static ffi_type T_ts, T_mac, T_ip6, T_addr4, T_addr6, T_cidr4, T_cidr6, T_aport4, T_aport6, T_route, T_guest,
    T_config, T_import, T_plugin, T_wm_addr, T_wm_cidr, T_wm_route, T_sa4rec, T_sa6rec, T_sa4, T_sa6, T_outdg,
    T_indg, T_guest_outdg;

#define OFF(type, member) offsetof(type, member)
static const run_t R_ts[] = {
    FIELD(U8, 1, "tag", 0, OFF(wasixnet_option_timestamp_t, tag)),
    FIELD(U64, 1, "value", 8, OFF(wasixnet_option_timestamp_t, value)),
};
static const run_t R_mac[] = { FIELD(U8, 6, "octets", 0, OFF(wasixnet_hardware_address_t, octets)) };
static const run_t R_ip6[] = {
    FIELD(U8, 16, "octets", 0, OFF(wasixnet_addr_ip6_t, octets)),
    FIELD(U16, 1, "flow_info1", 16, OFF(wasixnet_addr_ip6_t, flow_info1)),
    FIELD(U16, 1, "flow_info0", 18, OFF(wasixnet_addr_ip6_t, flow_info0)),
    FIELD(U16, 1, "scope_id1", 20, OFF(wasixnet_addr_ip6_t, scope_id1)),
    FIELD(U16, 1, "scope_id0", 22, OFF(wasixnet_addr_ip6_t, scope_id0)),
};
static const run_t R_addr4[] = {
    FIELD(U8, 1, "tag", 0, OFF(wasixnet_addr_t, tag)), FILL(U8, 1),
    FIELD(U8, 4, "u.inet4", 2, OFF(wasixnet_addr_t, u.inet4)), FILL(U16, 52),
};
static const run_t R_addr6[] = {
    FIELD(U8, 1, "tag", 0, OFF(wasixnet_addr_t, tag)), FILL(U8, 1),
    FIELD(U8, 16, "u.inet6.octets", 2, OFF(wasixnet_addr_t, u.inet6.octets)),
    FIELD(U16, 1, "u.inet6.flow_info1", 18, OFF(wasixnet_addr_t, u.inet6.flow_info1)),
    FIELD(U16, 1, "u.inet6.flow_info0", 20, OFF(wasixnet_addr_t, u.inet6.flow_info0)),
    FIELD(U16, 1, "u.inet6.scope_id1", 22, OFF(wasixnet_addr_t, u.inet6.scope_id1)),
    FIELD(U16, 1, "u.inet6.scope_id0", 24, OFF(wasixnet_addr_t, u.inet6.scope_id0)), FILL(U16, 42),
};
static const run_t R_cidr4[] = {
    FIELD(U8, 1, "tag", 0, OFF(wasixnet_addr_cidr_t, tag)), FILL(U8, 1),
    FIELD(U8, 4, "u.inet4.addr", 2, OFF(wasixnet_addr_cidr_t, u.inet4.addr)),
    FIELD(U8, 1, "u.inet4.prefix", 6, OFF(wasixnet_addr_cidr_t, u.inet4.prefix)), FILL(U8, 1), FILL(U16, 10),
};
static const run_t R_cidr6[] = {
    FIELD(U8, 1, "tag", 0, OFF(wasixnet_addr_cidr_t, tag)), FILL(U8, 1),
    FIELD(U8, 16, "u.inet6.addr.octets", 2, OFF(wasixnet_addr_cidr_t, u.inet6.addr.octets)),
    FIELD(U16, 1, "u.inet6.addr.flow_info1", 18, OFF(wasixnet_addr_cidr_t, u.inet6.addr.flow_info1)),
    FIELD(U16, 1, "u.inet6.addr.flow_info0", 20, OFF(wasixnet_addr_cidr_t, u.inet6.addr.flow_info0)),
    FIELD(U16, 1, "u.inet6.addr.scope_id1", 22, OFF(wasixnet_addr_cidr_t, u.inet6.addr.scope_id1)),
    FIELD(U16, 1, "u.inet6.addr.scope_id0", 24, OFF(wasixnet_addr_cidr_t, u.inet6.addr.scope_id0)),
    FIELD(U8, 1, "u.inet6.prefix", 26, OFF(wasixnet_addr_cidr_t, u.inet6.prefix)), FILL(U8, 1),
};
static const run_t R_aport4[] = {
    FIELD(U8, 1, "tag", 0, OFF(wasixnet_addr_port_t, tag)), FILL(U8, 1),
    FIELD(U16, 1, "u.inet4.port", 2, OFF(wasixnet_addr_port_t, u.inet4.port)),
    FIELD(U8, 4, "u.inet4.addr", 4, OFF(wasixnet_addr_port_t, u.inet4.addr)), FILL(U16, 51),
};
static const run_t R_aport6[] = {
    FIELD(U8, 1, "tag", 0, OFF(wasixnet_addr_port_t, tag)), FILL(U8, 1),
    FIELD(U16, 1, "u.inet6.port", 2, OFF(wasixnet_addr_port_t, u.inet6.port)),
    FIELD(U8, 16, "u.inet6.addr.octets", 4, OFF(wasixnet_addr_port_t, u.inet6.addr.octets)),
    FIELD(U16, 1, "u.inet6.addr.flow_info1", 20, OFF(wasixnet_addr_port_t, u.inet6.addr.flow_info1)),
    FIELD(U16, 1, "u.inet6.addr.flow_info0", 22, OFF(wasixnet_addr_port_t, u.inet6.addr.flow_info0)),
    FIELD(U16, 1, "u.inet6.addr.scope_id1", 24, OFF(wasixnet_addr_port_t, u.inet6.addr.scope_id1)),
    FIELD(U16, 1, "u.inet6.addr.scope_id0", 26, OFF(wasixnet_addr_port_t, u.inet6.addr.scope_id0)),
    FILL(U16, 41),
};
static const run_t R_route[] = {
    FIELD(&T_cidr6, 1, "cidr", 0, OFF(wasixnet_route_t, cidr)),
    FIELD(&T_addr6, 1, "via_router", 28, OFF(wasixnet_route_t, via_router)),
    FIELD(&T_ts, 1, "preferred_until", 144, OFF(wasixnet_route_t, preferred_until)),
    FIELD(&T_ts, 1, "expires_at", 160, OFF(wasixnet_route_t, expires_at)),
};
static const run_t R_guest[] = {
    FIELD(PTR, 1, "memory", 0, OFF(wasixnet_guest_t, memory)),
    FIELD(U64, 1, "memory_size", 8, OFF(wasixnet_guest_t, memory_size)),
    FIELD(U8, 1, "pointer_size", 16, OFF(wasixnet_guest_t, pointer_size)),
    FIELD(U8, 1, "layout", 17, OFF(wasixnet_guest_t, layout)),
};
static const run_t R_config[] = {
    FIELD(U32, 1, "struct_size", 0, OFF(wasixnet_port_config_t, struct_size)),
    FIELD(U32, 1, "flags", 4, OFF(wasixnet_port_config_t, flags)),
    FIELD(U32, 1, "max_routes", 8, OFF(wasixnet_port_config_t, max_routes)),
    FIELD(U32, 1, "max_addrs", 12, OFF(wasixnet_port_config_t, max_addrs)),
    FIELD(U8, 6, "mac", 16, OFF(wasixnet_port_config_t, mac)),
    FIELD(U8, 1, "has_mac", 22, OFF(wasixnet_port_config_t, has_mac)),
    FIELD(PTR, 1, "clock", 24, OFF(wasixnet_port_config_t, clock)),
    FIELD(PTR, 1, "clock_ctx", 32, OFF(wasixnet_port_config_t, clock_ctx)),
    FIELD(PTR, 1, "bridge", 40, OFF(wasixnet_port_config_t, bridge)),
    FIELD(PTR, 1, "unbridge", 48, OFF(wasixnet_port_config_t, unbridge)),
    FIELD(PTR, 1, "dhcp_acquire", 56, OFF(wasixnet_port_config_t, dhcp_acquire)),
    FIELD(PTR, 1, "hooks_ctx", 64, OFF(wasixnet_port_config_t, hooks_ctx)),
};
static const run_t R_import[] = {
    FIELD(PTR, 1, "module", 0, OFF(wasixnet_import_t, module)),
    FIELD(PTR, 1, "name", PS, OFF(wasixnet_import_t, name)),
    FIELD(PTR, 1, "params", 2 * PS, OFF(wasixnet_import_t, params)),
    FIELD(PTR, 1, "results", 3 * PS, OFF(wasixnet_import_t, results)),
    FIELD(PTR, 1, "call", 4 * PS, OFF(wasixnet_import_t, call)),
};
#define PLUGIN_RUN_(ret, name, params) FIELD(PTR, 1, #name, 8 + F_##name * PS, OFF(wasixnet_plugin_v1_t, name)),
static const run_t R_plugin[] = {
    FIELD(U32, 1, "abi_version", 0, OFF(wasixnet_plugin_v1_t, abi_version)),
    FIELD(U32, 1, "struct_size", 4, OFF(wasixnet_plugin_v1_t, struct_size)),
    FIELD(PTR, 1, "abi_version_fn", 8, OFF(wasixnet_plugin_v1_t, abi_version_fn)),
    WASIXNET_PLUGIN_FUNCTIONS(PLUGIN_RUN_)
};
#undef PLUGIN_RUN_
/* wasixnet.h [udp.address]: ip-socket-address in the canonical ABI's layout, 32 / 4, the case's record at @4. */
static const run_t R_sa4rec[] = {
    FIELD(U16, 1, "port", 0, OFF(wasixnet_ipv4_socket_address_t, port)),
    FIELD(U8, 4, "address", 2, OFF(wasixnet_ipv4_socket_address_t, address)),
};
static const run_t R_sa6rec[] = {
    FIELD(U16, 1, "port", 0, OFF(wasixnet_ipv6_socket_address_t, port)), FILL(U16, 1),
    FIELD(U32, 1, "flow_info", 4, OFF(wasixnet_ipv6_socket_address_t, flow_info)),
    FIELD(U16, 8, "address", 8, OFF(wasixnet_ipv6_socket_address_t, address)),
    FIELD(U32, 1, "scope_id", 24, OFF(wasixnet_ipv6_socket_address_t, scope_id)),
};
static const run_t R_sa4[] = {
    FIELD(U8, 1, "tag", 0, OFF(sa_t, tag)), FILL(U8, 3),
    FIELD(U16, 1, "u.ipv4.port", 4, OFF(sa_t, u.ipv4.port)),
    FIELD(U8, 4, "u.ipv4.address", 6, OFF(sa_t, u.ipv4.address)), FILL(U16, 1), FILL(U32, 5),
};
static const run_t R_sa6[] = {
    FIELD(U8, 1, "tag", 0, OFF(sa_t, tag)), FILL(U8, 3),
    FIELD(U16, 1, "u.ipv6.port", 4, OFF(sa_t, u.ipv6.port)), FILL(U16, 1),
    FIELD(U32, 1, "u.ipv6.flow_info", 8, OFF(sa_t, u.ipv6.flow_info)),
    FIELD(U16, 8, "u.ipv6.address", 12, OFF(sa_t, u.ipv6.address)),
    FIELD(U32, 1, "u.ipv6.scope_id", 28, OFF(sa_t, u.ipv6.scope_id)),
};
static const run_t R_outdg[] = {
    FIELD(PTR, 1, "data", 0, OFF(wasixnet_outgoing_datagram_t, data)),
    FIELD(ZT, 1, "len", PS, OFF(wasixnet_outgoing_datagram_t, len)),
    FIELD(PTR, 1, "remote_address", 2 * PS, OFF(wasixnet_outgoing_datagram_t, remote_address)),
};
static const run_t R_indg[] = {
    FIELD(PTR, 1, "data", 0, OFF(wasixnet_incoming_datagram_t, data)),
    FIELD(ZT, 1, "capacity", PS, OFF(wasixnet_incoming_datagram_t, capacity)),
    FIELD(ZT, 1, "len", 2 * PS, OFF(wasixnet_incoming_datagram_t, len)),
    FIELD(U8, 1, "truncated", 3 * PS, OFF(wasixnet_incoming_datagram_t, truncated)),
    FIELD(&T_sa6, 1, "remote_address", 3 * PS + 4, OFF(wasixnet_incoming_datagram_t, remote_address)),
};
/* A list<outgoing-datagram> element in guest memory (wasixnet.h [udp.guest-send]); no C struct in the header. */
static const run_t R_guest_outdg[] = {
    FIELD(U32, 1, "data ptr", 0, -1), FIELD(U32, 1, "data len", 4, -1), FIELD(U8, 1, "option tag", 8, -1),
    FIELD(&T_sa4, 1, "ip-socket-address", 12, -1),
};
/* WASIXNET_LAYOUT_WASMER's guest-memory shapes (wasixnet.h [guest.layouts]); no C struct in the header. */
static const run_t R_wm_addr[] = { FIELD(U8, 1, "tag", 0, -1), FILL(U8, 1), FIELD(U8, 16, "octets", 2, -1) };
static const run_t R_wm_cidr[] = {
    FIELD(U8, 1, "tag", 0, -1), FILL(U8, 1), FIELD(U8, 4, "inet4 addr", 2, -1),
    FIELD(U8, 1, "inet4 prefix", 6, -1), FILL(U8, 11), FIELD(U8, 1, "inet6 prefix", 18, -1),
};
static const run_t R_wm_route[] = {
    FIELD(&T_wm_cidr, 1, "cidr", 0, -1), FIELD(&T_wm_addr, 1, "via_router", 19, -1),
    FIELD(&T_ts, 1, "preferred_until", 40, -1), FIELD(&T_ts, 1, "expires_at", 56, -1),
};

typedef struct {
    const char *name;
    ffi_type *type;
    const run_t *runs;
    size_t nruns;
    long c_size, c_align; /* as the header's text states them */
    long h_size, h_align; /* header sizeof / _Alignof; -1: none */
} layout_t;
#define LAYOUT(name, T, R, cs, ca, ctype) \
    { name, &T, R, sizeof R / sizeof R[0], cs, ca, (long)sizeof(ctype), (long)_Alignof(ctype) }
#define LAYOUT_NOH(name, T, R, cs, ca) { name, &T, R, sizeof R / sizeof R[0], cs, ca, -1, -1 }

/* Nested types come before the structs that contain them. */
static const layout_t layouts[] = {
    LAYOUT("wasixnet_option_timestamp_t", T_ts, R_ts, 16, 8, wasixnet_option_timestamp_t),
    LAYOUT("wasixnet_hardware_address_t", T_mac, R_mac, 6, 1, wasixnet_hardware_address_t),
    LAYOUT("wasixnet_addr_ip6_t", T_ip6, R_ip6, 24, 2, wasixnet_addr_ip6_t),
    LAYOUT("wasixnet_addr_t (inet4)", T_addr4, R_addr4, 110, 2, wasixnet_addr_t),
    LAYOUT("wasixnet_addr_t (inet6)", T_addr6, R_addr6, 110, 2, wasixnet_addr_t),
    LAYOUT("wasixnet_addr_cidr_t (inet4)", T_cidr4, R_cidr4, 28, 2, wasixnet_addr_cidr_t),
    LAYOUT("wasixnet_addr_cidr_t (inet6)", T_cidr6, R_cidr6, 28, 2, wasixnet_addr_cidr_t),
    LAYOUT("wasixnet_addr_port_t (inet4)", T_aport4, R_aport4, 110, 2, wasixnet_addr_port_t),
    LAYOUT("wasixnet_addr_port_t (inet6)", T_aport6, R_aport6, 110, 2, wasixnet_addr_port_t),
    LAYOUT("wasixnet_route_t", T_route, R_route, 176, 8, wasixnet_route_t),
    LAYOUT("wasixnet_guest_t", T_guest, R_guest, 24, 8, wasixnet_guest_t),
    LAYOUT("wasixnet_port_config_t", T_config, R_config, 72, 8, wasixnet_port_config_t),
    LAYOUT("wasixnet_import_t", T_import, R_import, 5 * PS, PS, wasixnet_import_t),
    LAYOUT("wasixnet_plugin_v1_t", T_plugin, R_plugin, 8 + F_PLUGIN_COUNT * PS, PS, wasixnet_plugin_v1_t),
    LAYOUT_NOH("Wasmer addr (guest)", T_wm_addr, R_wm_addr, 18, 1),
    LAYOUT_NOH("Wasmer cidr (guest)", T_wm_cidr, R_wm_cidr, 19, 1),
    LAYOUT_NOH("Wasmer route (guest)", T_wm_route, R_wm_route, 72, 8),
    LAYOUT("wasixnet_ipv4_socket_address_t", T_sa4rec, R_sa4rec, 6, 2, wasixnet_ipv4_socket_address_t),
    LAYOUT("wasixnet_ipv6_socket_address_t", T_sa6rec, R_sa6rec, 28, 4, wasixnet_ipv6_socket_address_t),
    LAYOUT("wasixnet_ip_socket_address_t (ipv4)", T_sa4, R_sa4, 32, 4, wasixnet_ip_socket_address_t),
    LAYOUT("wasixnet_ip_socket_address_t (ipv6)", T_sa6, R_sa6, 32, 4, wasixnet_ip_socket_address_t),
    LAYOUT("wasixnet_outgoing_datagram_t", T_outdg, R_outdg, 3 * PS, PS, wasixnet_outgoing_datagram_t),
    LAYOUT("wasixnet_incoming_datagram_t", T_indg, R_indg, 3 * PS + 36 + (PS == 8 ? 4 : 0), PS,
           wasixnet_incoming_datagram_t),
    LAYOUT_NOH("outgoing-datagram (guest list element)", T_guest_outdg, R_guest_outdg, 44, 4),
};
enum { N_LAYOUTS = sizeof layouts / sizeof layouts[0], MAX_ELEMS = 128 };

static ffi_type *elem_storage[N_LAYOUTS][MAX_ELEMS + 1];
size_t plugin_offsets[MAX_ELEMS]; /* element offsets of wasixnet_plugin_v1_t, as libffi computes them */

static void check_layout(const layout_t *L, ffi_type **elems)
{
    size_t first[MAX_ELEMS], n = 0, offs[MAX_ELEMS];
    char what[160];
    for (size_t r = 0; r < L->nruns; r++) {
        first[r] = n;
        for (unsigned k = 0; k < L->runs[r].count; k++) {
            if (n >= MAX_ELEMS)
                die("layout %s has too many elements", L->name);
            elems[n++] = L->runs[r].type;
        }
    }
    elems[n] = NULL;
    L->type->size = 0;
    L->type->alignment = 0;
    L->type->type = FFI_TYPE_STRUCT;
    L->type->elements = elems;
    set_context("%s", L->name);
    if (!check_err(HERE, "ffi_get_struct_offsets", FFI_OK, ffi_get_struct_offsets(FFI_DEFAULT_ABI, L->type, offs)))
        return;
    check_u64(HERE, "size (as documented)", (uint64_t)L->c_size, L->type->size);
    check_u64(HERE, "alignment (as documented)", (uint64_t)L->c_align, L->type->alignment);
    if (L->h_size >= 0) {
        check_u64(HERE, "size (header sizeof)", (uint64_t)L->h_size, L->type->size);
        check_u64(HERE, "alignment (header _Alignof)", (uint64_t)L->h_align, L->type->alignment);
    }
    for (size_t r = 0; r < L->nruns; r++) {
        const run_t *run = &L->runs[r];
        if (run->field == NULL)
            continue;
        snprintf(what, sizeof what, "offset of %s (as documented)", run->field);
        check_u64(HERE, what, (uint64_t)run->contract, offs[first[r]]);
        if (run->header >= 0) {
            snprintf(what, sizeof what, "offset of %s (header offsetof)", run->field);
            check_u64(HERE, what, (uint64_t)run->header, offs[first[r]]);
        }
    }
    if (L->type == &T_plugin)
        memcpy(plugin_offsets, offs, n * sizeof *offs);
}

void test_layouts(void)
{
    section = "layouts";
    for (size_t i = 0; i < N_LAYOUTS; i++)
        check_layout(&layouts[i], elem_storage[i]);
    clear_context();
    CHECK_EQ(44, WASIXNET_GUEST_OUTGOING_DATAGRAM_SIZE);
    CHECK_EQ(T_guest_outdg.size, WASIXNET_GUEST_OUTGOING_DATAGRAM_SIZE);
}
