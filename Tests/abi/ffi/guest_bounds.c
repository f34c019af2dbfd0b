/*
 * guest_bounds.c — sections "guest bounds" and "guest misc": guest-memory calls given operands
 * at every edge of memory, and bad guest descriptions.
 */
#include "guest_memory.h"
#include "sections.h"

/* ============================================================================================
 * Section: guest bounds — every memory operand of every guest call at every edge of memory.
 * Each case runs on a fresh port holding SETUP_ADDR and SETUP_ROUTE; the other operands sit at
 * good offsets. In bounds: the call succeeds (and writes exactly what it should). Otherwise:
 * EFAULT, guest memory byte-identical (count cell included), the port and the hooks untouched.
 * ========================================================================================== */

#define LIST_CAP 3
static const char BR_NET[] = "net0", BR_TOK[] = "tok";

typedef enum { OP_CIDR, OP_ADDR, OP_TS, OP_MAC, OP_CELL, OP_RBUF, OP_ABUF, OP_STR } opkind_t;
typedef struct {
    int fn;
    unsigned arg;
    opkind_t kind;
} operand_t;
static const operand_t operands[] = {
    { F_guest_port_bridge, 0, OP_STR },      { F_guest_port_bridge, 2, OP_STR },
    { F_guest_port_addr_add, 0, OP_CIDR },   { F_guest_port_addr_remove, 0, OP_ADDR },
    { F_guest_port_addr_list, 0, OP_ABUF },  { F_guest_port_addr_list, 1, OP_CELL },
    { F_guest_port_mac, 0, OP_MAC },         { F_guest_port_gateway_set, 0, OP_ADDR },
    { F_guest_port_route_add, 0, OP_CIDR },  { F_guest_port_route_add, 1, OP_ADDR },
    { F_guest_port_route_add, 2, OP_TS },    { F_guest_port_route_add, 3, OP_TS },
    { F_guest_port_route_remove, 0, OP_ADDR }, { F_guest_port_route_list, 0, OP_RBUF },
    { F_guest_port_route_list, 1, OP_CELL },
};

static uint64_t operand_size(const operand_t *o)
{
    switch (o->kind) {
    case OP_CIDR: return shapes[gst.layout].cidr;
    case OP_ADDR: return shapes[gst.layout].addr;
    case OP_TS: return TS_SIZE;
    case OP_MAC: return 6;
    case OP_CELL: return gst.pointer_size;
    case OP_RBUF: return LIST_CAP * shapes[gst.layout].route;
    case OP_ABUF: return LIST_CAP * shapes[gst.layout].cidr;
    case OP_STR: return o->arg == 0 ? strlen(BR_NET) : strlen(BR_TOK);
    }
    return 0;
}

/* Writes operand `arg` of guest call `fn` (its good value) at off, as far as memory reaches. */
static void put_operand(int fn, unsigned arg, uint64_t off)
{
    wasixnet_addr_cidr_t c;
    wasixnet_addr_t a;
    wasixnet_option_timestamp_t t;
    switch (fn) {
    case F_guest_port_addr_add: c = net("10.9.0.1/24"); gput_cidr(off, &c); break;
    case F_guest_port_addr_remove: a = ip("10.0.0.5"); gput_addr(off, &a); break;
    case F_guest_port_gateway_set: a = ip("192.168.1.1"); gput_addr(off, &a); break;
    case F_guest_port_route_remove: a = ip("10.1.0.0"); gput_addr(off, &a); break;
    case F_guest_port_route_add:
        if (arg == 0) {
            c = net("10.2.0.0/16");
            gput_cidr(off, &c);
        } else if (arg == 1) {
            a = ip("192.168.1.1");
            gput_addr(off, &a);
        } else {
            t = AT(arg == 2 ? 10 : 20);
            gput_ts(off, &t);
        }
        break;
    case F_guest_port_addr_list:
    case F_guest_port_route_list:
        if (arg == 1)
            gput_cell(gmem, off, LIST_CAP, gst.pointer_size);
        break;
    case F_guest_port_bridge:
        if (arg == 0)
            gwrite(gmem, off, BR_NET, strlen(BR_NET));
        else if (arg == 2)
            gwrite(gmem, off, BR_TOK, strlen(BR_TOK));
        break;
    default: break;
    }
}

/* The good arguments of a guest call: every operand at its own offset in low memory. */
static void default_args(int fn, uint64_t *args)
{
    const unsigned n = fns[fn].nargs - 2;
    for (unsigned i = 0; i < n; i++) {
        args[i] = 0x100 + 0x400 * (uint64_t)i;
        put_operand(fn, i, args[i]);
    }
    if (fn == F_guest_port_bridge) {
        args[1] = strlen(BR_NET);
        args[3] = strlen(BR_TOK);
        args[4] = 1;
    }
}

/* What a successful call writes to guest memory. */
static void expect_good_writes(int fn, const uint64_t *args)
{
    const wasixnet_route_t r = setup_route();
    const wasixnet_addr_cidr_t a = net(SETUP_ADDR);
    if (fn == F_guest_port_mac)
        gwrite(gexp, args[0], MAC1, 6);
    if (fn == F_guest_port_route_list || fn == F_guest_port_addr_list) {
        const int which = fn == F_guest_port_route_list ? LIST_ROUTES : LIST_ADDRS;
        gexp_entries(which, args[0], which == LIST_ROUTES ? (const void *)&r : (const void *)&a, 1);
        gput_cell(gexp, args[1], 1, gst.pointer_size);
    }
}

/* One guest call on a fresh port; the operands are already in guest memory. */
static void run_guest_case_(where_t w, int fn, const wasixnet_guest_t *g, uint64_t *args, wasixnet_errno_t want)
{
    static state_t before;
    wasixnet_port_t *p = fresh_port();
    get_state(p, &before);
    const unsigned hooks = hook_calls();
    gexp_begin();
    if (want == OK)
        expect_good_writes(fn, args);
    check_err(w, fns[fn].symbol, want, gcall(fn, p, g, args));
    gexp_check_(w, want == OK ? "guest memory after the call" : "guest memory untouched");
    if (want != OK) {
        same_state_(w, p, &before);
        check_u64(w, "hook calls", hooks, hook_calls());
    }
    w_port_free(p);
}

void guest_bounds(uint8_t ps, uint8_t layout)
{
    section = "guest bounds";
    guest_use(ps, layout);
    clk.now = T0;
    uint64_t args[8];
    for (size_t oi = 0; oi < sizeof operands / sizeof operands[0]; oi++) {
        const operand_t *o = &operands[oi];
        const uint64_t s = operand_size(o), M = GMEM;
        const struct {
            uint64_t off;
            bool ok;
            const char *name;
        } edges[] = {
            { M - s, true, "memory_size - size" },    { M - s + 1, false, "memory_size - size + 1" },
            { M - 1, false, "memory_size - 1" },      { M, false, "memory_size" },
            { M + 1, false, "memory_size + 1" },      { UINT64_C(1) << 32, false, "2^32" },
            { UINT64_MAX - s + 1, false, "2^64 - size" }, { UINT64_MAX - s + 2, false, "2^64 - size + 1" },
            { UINT64_MAX, false, "2^64 - 1" },
        };
        for (size_t ei = 0; ei < sizeof edges / sizeof edges[0]; ei++) {
            if (edges[ei].off == UINT64_C(1) << 32 && ps != 8)
                continue; /* offsets >= 2^32 have no meaning for a 32-bit guest */
            set_context("pointer_size %u, layout %s: %s argument %u (%" PRIu64 " bytes) at %s = %" PRIu64, ps,
                        layout_name(layout), fns[o->fn].symbol + 9, o->arg, s, edges[ei].name, edges[ei].off);
            gfill();
            default_args(o->fn, args);
            args[o->arg] = edges[ei].off;
            put_operand(o->fn, o->arg, edges[ei].off);
            run_guest_case_(HERE, o->fn, &gst, args, edges[ei].ok ? OK : EFAULT_);
        }
    }

    /* list capacities: capacity x stride past the end, or overflowing 64 bits */
    for (int which = 0; which < 2; which++) {
        const int fn = list_kinds[which].guest_fn;
        const uint64_t stride = stride_of(which, layout);
        const struct {
            uint64_t cap;
            bool ok;
            const char *name;
        } caps[] = {
            { GMEM / stride, true, "memory_size / stride (fits exactly or just)" },
            { GMEM / stride + 1, false, "memory_size / stride + 1" },
            { 0xFFFFFFFFu, false, "2^32 - 1" },
            { (UINT64_C(1) << 32) + LIST_CAP, false, "2^32 + 3 (a 4-byte read would see 3)" },
            { UINT64_MAX / stride + 1, false, "2^64 / stride + 1 (capacity x stride wraps below stride)" },
            { UINT64_MAX, false, "2^64 - 1" },
        };
        for (size_t ci = 0; ci < sizeof caps / sizeof caps[0]; ci++) {
            if (ps == 4 && caps[ci].cap > 0xFFFFFFFFu)
                continue;
            set_context("pointer_size %u, layout %s: %s at offset 0 with capacity %s = %" PRIu64, ps,
                        layout_name(layout), list_kinds[which].name, caps[ci].name, caps[ci].cap);
            gfill();
            default_args(fn, args);
            args[0] = 0;
            gput_cell(gmem, args[1], caps[ci].cap, ps);
            run_guest_case_(HERE, fn, &gst, args, caps[ci].ok ? OK : EFAULT_);
        }
    }

    /* bridge lengths: a string running past the end, or offset + length overflowing */
    const struct {
        unsigned arg;
        uint64_t len;
        const char *name;
    } lens[] = {
        { 0, UINT64_MAX, "network_len 2^64 - 1" }, { 0, UINT64_MAX - 0x100 + 1, "network + network_len == 2^64" },
        { 0, GMEM - 0x100 + 1, "network + network_len == memory_size + 1" },
        { 2, UINT64_MAX, "token_len 2^64 - 1" },   { 2, UINT64_MAX - 0x900 + 1, "token + token_len == 2^64" },
        { 2, GMEM - 0x900 + 1, "token + token_len == memory_size + 1" },
    };
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        set_context("pointer_size %u, layout %s: bridge with %s", ps, layout_name(layout), lens[i].name);
        gfill();
        default_args(F_guest_port_bridge, args);
        args[lens[i].arg + 1] = lens[i].len;
        run_guest_case_(HERE, F_guest_port_bridge, &gst, args, EFAULT_);
    }
    clear_context();
}

/* ============================================================================================
 * Section: guest misc — bad guest descriptions for each of the 13 calls
 * ========================================================================================== */

void guest_misc(void)
{
    section = "guest misc";
    clk.now = T0;
    static const struct {
        const char *what;
        uint8_t ps, layout;
        bool null_memory;
        wasixnet_errno_t want;
    } bad[] = {
        { "pointer_size 0", 0, LAYOUT_V1, false, EINVAL_ },
        { "pointer_size 3", 3, LAYOUT_V1, false, EINVAL_ },
        { "pointer_size 3, Wasmer layout", 3, LAYOUT_WASMER, false, EINVAL_ },
        { "pointer_size 16", 16, LAYOUT_V1, false, EINVAL_ },
        { "layout 2", 4, 2, false, EINVAL_ },
        { "layout 255", 8, 255, false, EINVAL_ },
        { "NULL memory with memory_size 65536", 4, LAYOUT_V1, true, EFAULT_ },
    };
    uint64_t args[8];
    for (int k = 0; k < N_GUEST; k++) {
        const int fn = F_GUEST0 + k;
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            set_context("%s: %s", fns[fn].symbol, bad[i].what);
            guest_use(4, LAYOUT_V1); /* operands written in a valid shape */
            default_args(fn, args);
            wasixnet_guest_t g = { bad[i].null_memory ? NULL : gmem, GMEM, bad[i].ps, bad[i].layout };
            run_guest_case_(HERE, fn, &g, args, bad[i].want);
        }
    }
    clear_context();
    /* memory NULL with size 0: nothing is in bounds, but calls without operands work */
    guest_use(4, LAYOUT_V1);
    const wasixnet_guest_t empty = { NULL, 0, 4, LAYOUT_V1 };
    wasixnet_port_t *p = fresh_port();
    CHECK_ERR(OK, gcall(F_guest_port_route_clear, p, &empty, NULL));
    CHECK_ERR(EFAULT_, gcall(F_guest_port_addr_add, p, &empty, GARGS(0)));
    CHECK_ERR(EFAULT_, gcall(F_guest_port_mac, p, &empty, GARGS(0)));
    w_port_free(p);
}
