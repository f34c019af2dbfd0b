/*
 * import_high_halves.c — section "import_high_halves": every wasix_32v1 entry of the imports
 * table reads only the low 32 bits of each i32 ('i') slot of `args`, whatever the high half holds
 * (wasixnet.h [imports.args]; the wasm3 interpreter, for one, leaves that high half stale).
 *
 * Each scenario below (a port, operands in guest memory as wasix-libc lays them, a fixed clock and
 * the recording hooks) runs once with clean slots (high halves zero), then once per garbage pattern
 * for each 'i' slot alone and for every slot at once (every 'i' slot and the spare slots of the
 * 8-slot array, which no entry may read), each time from the same fresh start. Each
 * garbage call must give what the clean call gave: errno, every byte of guest memory (guard area
 * included), the port's routes, addresses and MAC (through the host-typed calls), and what the
 * hooks and the clock were given. A self-test then shows that the comparison sees a difference when
 * there is one: the wasix_64v1 entries read their 'I' slots whole.
 */
#include "guest_memory.h"
#include "sections.h"

#include <stdarg.h>

/* ============================================================================================
 * Scenarios: the operands a call finds in guest memory, and the port it runs on
 * ========================================================================================== */

enum { P_END, P_CIDR, P_ADDR, P_TS, P_CELL, P_STR };
typedef struct {
    uint8_t kind;
    uint32_t off;
    const char *s;   /* CIDR, address or string literal */
    uint64_t v;      /* P_TS: the option tag; P_CELL: the capacity */
    int64_t rel;     /* P_TS: the value, relative to T0 */
} put_t;
#define CIDR(o, s) { P_CIDR, (o), (s), 0, 0 }
#define ADDR(o, s) { P_ADDR, (o), (s), 0, 0 }
#define TS(o, tag, rel) { P_TS, (o), NULL, (tag), (rel) }
#define CELL(o, cap) { P_CELL, (o), NULL, (cap), 0 }
#define STR(o, s) { P_STR, (o), (s), 0, 0 }

enum { MAXP = 5, NSLOTS = 8 };
typedef struct {
    const char *call, *what;
    bool full;              /* max_routes 3, max_addrs 2: the starting port is at both limits */
    int64_t now;            /* the clock during the call, relative to T0 */
    wasixnet_errno_t hook;  /* what the bridge and unbridge hooks answer */
    wasixnet_errno_t want;  /* the clean call's errno: the path the scenario takes */
    uint32_t args[MAXP];    /* the wasm arguments (i32) */
    put_t puts[4];
} scen_t;

#define TOP GMEM /* memory_size: operands end exactly there */
#define NO_PUTS { { P_END, 0, NULL, 0, 0 } }

static const scen_t scens[] = {
    { "port_bridge", "strings in low memory, hook OK", 0, 0, OK, OK, { 0x100, 4, 0x500, 3, 1 },
      { STR(0x100, "net0"), STR(0x500, "tok") } },
    { "port_bridge", "network ending at the top, token at 0, hook EADDRINUSE", 0, 0, WASIXNET_EADDRINUSE,
      WASIXNET_EADDRINUSE, { TOP - 4, 4, 0, 3, 2 | 8 }, { STR(TOP - 4, "edge"), STR(0, "tok") } },
    { "port_bridge", "empty strings at 0, all four flags", 0, 0, OK, OK, { 0, 0, 0, 0, 15 }, NO_PUTS },
    { "port_bridge", "security 0", 0, 0, OK, EINVAL_, { 0x100, 4, 0x500, 3, 0 },
      { STR(0x100, "net0"), STR(0x500, "tok") } },
    { "port_bridge", "security 0x10", 0, 0, OK, EINVAL_, { 0x100, 4, 0x500, 3, 0x10 },
      { STR(0x100, "net0"), STR(0x500, "tok") } },
    { "port_bridge", "security 0x101 (a valid low byte)", 0, 0, OK, EINVAL_, { 0x100, 4, 0x500, 3, 0x101 },
      { STR(0x100, "net0"), STR(0x500, "tok") } },
    { "port_bridge", "network not UTF-8", 0, 0, OK, EINVAL_, { 0x100, 4, 0x500, 3, 1 },
      { STR(0x100, "\xff\xfe\xfd\xfc"), STR(0x500, "tok") } },
    { "port_bridge", "network passing the top", 0, 0, OK, EFAULT_, { TOP - 2, 4, 0x500, 3, 1 },
      { STR(TOP - 2, "ne"), STR(0x500, "tok") } },
    { "port_bridge", "token_len 0x80000000", 0, 0, OK, EFAULT_, { 0x100, 4, 0x500, 0x80000000u, 1 },
      { STR(0x100, "net0"), STR(0x500, "tok") } },
    { "port_unbridge", "hook OK", 0, 0, OK, OK, { 0 }, NO_PUTS },
    { "port_unbridge", "hook ENOTCONN", 0, 0, WASIXNET_ENOTCONN, WASIXNET_ENOTCONN, { 0 }, NO_PUTS },
    { "port_dhcp_acquire", "hook adds an address", 0, 0, OK, OK, { 0 }, NO_PUTS },
    { "port_dhcp_acquire", "hook's addr_add over max_addrs", 1, 0, OK, ENOMEM_, { 0 }, NO_PUTS },
    { "port_addr_add", "IPv4", 0, 0, OK, OK, { 0x100 }, { CIDR(0x100, "10.9.0.1/24") } },
    { "port_addr_add", "IPv6 at the top", 0, 0, OK, OK, { TOP - 28 }, { CIDR(TOP - 28, "2001:db8:2::7/64") } },
    { "port_addr_add", "the port's address with another prefix, at 0", 0, 0, OK, EEXIST_, { 0 },
      { CIDR(0, "10.0.0.5/16") } },
    { "port_addr_add", "unix tag", 0, 0, OK, EINVAL_, { 0x100 }, { CIDR(0x100, "#3") } },
    { "port_addr_add", "prefix 33", 0, 0, OK, EINVAL_, { 0x100 }, { CIDR(0x100, "10.9.0.1/33") } },
    { "port_addr_add", "passing the top", 0, 0, OK, EFAULT_, { TOP - 27 }, { CIDR(TOP - 27, "10.9.0.1/24") } },
    { "port_addr_add", "over max_addrs", 1, 0, OK, ENOMEM_, { 0x100 }, { CIDR(0x100, "10.9.0.1/24") } },
    { "port_addr_remove", "IPv4", 0, 0, OK, OK, { 0x100 }, { ADDR(0x100, "10.0.0.5") } },
    { "port_addr_remove", "IPv6 at the top", 0, 0, OK, OK, { TOP - 110 }, { ADDR(TOP - 110, "2001:db8::5") } },
    { "port_addr_remove", "not the port's, at 0", 0, 0, OK, ENOENT_, { 0 }, { ADDR(0, "10.9.9.9") } },
    { "port_addr_remove", "unspec", 0, 0, OK, EINVAL_, { 0x100 }, { ADDR(0x100, "") } },
    { "port_addr_remove", "passing the top", 0, 0, OK, EFAULT_, { TOP - 109 }, { ADDR(TOP - 109, "10.0.0.5") } },
    { "port_addr_clear", "two addresses", 0, 0, OK, OK, { 0 }, NO_PUTS },
    { "port_addr_list", "capacity 4", 0, 0, OK, OK, { 0x200, 0x100 }, { CELL(0x100, 4) } },
    { "port_addr_list", "capacity 1", 0, 0, OK, EOVERFLOW_, { 0x200, 0x100 }, { CELL(0x100, 1) } },
    { "port_addr_list", "capacity 0, buffer at 0, cell at the top", 0, 0, OK, EOVERFLOW_, { 0, TOP - 4 },
      { CELL(TOP - 4, 0) } },
    { "port_addr_list", "buffer ending at the top, cell at 0", 0, 0, OK, OK, { TOP - 2 * 28, 0 }, { CELL(0, 2) } },
    { "port_addr_list", "buffer passing the top", 0, 0, OK, EFAULT_, { TOP - 2 * 28, 0 }, { CELL(0, 3) } },
    { "port_addr_list", "cell passing the top", 0, 0, OK, EFAULT_, { 0x200, TOP - 3 }, { CELL(TOP - 3, 4) } },
    { "port_addr_list", "capacity 0x80000000", 0, 0, OK, EFAULT_, { 0x200, 0x100 },
      { CELL(0x100, 0x80000000u) } },
    { "port_mac", "low memory", 0, 0, OK, OK, { 0x300 }, NO_PUTS },
    { "port_mac", "at the top", 0, 0, OK, OK, { TOP - 6 }, NO_PUTS },
    { "port_mac", "at 0", 0, 0, OK, OK, { 0 }, NO_PUTS },
    { "port_mac", "passing the top", 0, 0, OK, EFAULT_, { TOP - 5 }, NO_PUTS },
    { "port_gateway_set", "IPv4, replacing the default route", 0, 0, OK, OK, { 0x100 },
      { ADDR(0x100, "10.0.0.1") } },
    { "port_gateway_set", "IPv6 at the top", 0, 0, OK, OK, { TOP - 110 }, { ADDR(TOP - 110, "2001:db8::1") } },
    { "port_gateway_set", "multicast", 0, 0, OK, EINVAL_, { 0x100 }, { ADDR(0x100, "224.0.0.1") } },
    { "port_gateway_set", "0.0.0.0 at 0", 0, 0, OK, EINVAL_, { 0 }, { ADDR(0, "0.0.0.0") } },
    { "port_gateway_set", "broadcast", 0, 0, OK, EINVAL_, { 0x100 }, { ADDR(0x100, "255.255.255.255") } },
    { "port_gateway_set", "passing the top", 0, 0, OK, EFAULT_, { TOP - 100 }, { ADDR(TOP - 100, "10.0.0.1") } },
    { "port_gateway_set", "a new IPv6 default over max_routes", 1, 0, OK, ENOMEM_, { 0x100 },
      { ADDR(0x100, "2001:db8::1") } },
    { "port_route_add", "IPv4 via a router", 0, 0, OK, OK, { 0x100, 0x500, 0x900, 0xD00 },
      { CIDR(0x100, "10.2.0.0/16"), ADDR(0x500, "192.168.1.1"), TS(0x900, 0, 0), TS(0xD00, 1, 50) } },
    { "port_route_add", "IPv6 on-link at the top, lifetimes at 0 and 16", 0, 0, OK, OK,
      { TOP - 28, TOP - 138, 0, 16 },
      { CIDR(TOP - 28, "2001:db8:9::/48"), ADDR(TOP - 138, ""), TS(0, 1, 10), TS(16, 1, 20) } },
    { "port_route_add", "a CIDR already routed", 0, 0, OK, EEXIST_, { 0x100, 0x500, 0x900, 0xD00 },
      { CIDR(0x100, "10.1.0.0/16"), ADDR(0x500, "192.168.1.1"), TS(0x900, 0, 0), TS(0xD00, 0, 0) } },
    { "port_route_add", "host bits", 0, 0, OK, EINVAL_, { 0x100, 0x500, 0x900, 0xD00 },
      { CIDR(0x100, "10.1.2.3/24"), ADDR(0x500, "192.168.1.1"), TS(0x900, 0, 0), TS(0xD00, 0, 0) } },
    { "port_route_add", "router of another family", 0, 0, OK, EINVAL_, { 0x100, 0x500, 0x900, 0xD00 },
      { CIDR(0x100, "10.2.0.0/16"), ADDR(0x500, "2001:db8::1"), TS(0x900, 0, 0), TS(0xD00, 0, 0) } },
    { "port_route_add", "option tag 2", 0, 0, OK, EINVAL_, { 0x100, 0x500, 0x900, 0xD00 },
      { CIDR(0x100, "10.2.0.0/16"), ADDR(0x500, "192.168.1.1"), TS(0x900, 2, 5), TS(0xD00, 0, 0) } },
    { "port_route_add", "preferred_until > expires_at", 0, 0, OK, EINVAL_, { 0x100, 0x500, 0x900, 0xD00 },
      { CIDR(0x100, "10.2.0.0/16"), ADDR(0x500, "192.168.1.1"), TS(0x900, 1, 30), TS(0xD00, 1, 20) } },
    { "port_route_add", "expires_at == now", 0, 0, OK, EINVAL_, { 0x100, 0x500, 0x900, 0xD00 },
      { CIDR(0x100, "10.2.0.0/16"), ADDR(0x500, "192.168.1.1"), TS(0x900, 0, 0), TS(0xD00, 1, 0) } },
    { "port_route_add", "expires_at passing the top", 0, 0, OK, EFAULT_, { 0x100, 0x500, 0x900, TOP - 15 },
      { CIDR(0x100, "10.2.0.0/16"), ADDR(0x500, "192.168.1.1"), TS(0x900, 0, 0), TS(TOP - 15, 1, 50) } },
    { "port_route_add", "over max_routes", 1, 0, OK, ENOMEM_, { 0x100, 0x500, 0x900, 0xD00 },
      { CIDR(0x100, "10.2.0.0/16"), ADDR(0x500, "192.168.1.1"), TS(0x900, 0, 0), TS(0xD00, 0, 0) } },
    { "port_route_add", "the CIDR of an expired route", 0, 500, OK, OK, { 0x100, 0x500, 0x900, 0xD00 },
      { CIDR(0x100, "2001:db8:1::/48"), ADDR(0x500, "2001:db8::1"), TS(0x900, 0, 0), TS(0xD00, 1, 600) } },
    { "port_route_remove", "IPv4", 0, 0, OK, OK, { 0x100 }, { ADDR(0x100, "10.1.0.0") } },
    { "port_route_remove", "the default route, at the top", 0, 0, OK, OK, { TOP - 110 },
      { ADDR(TOP - 110, "0.0.0.0") } },
    { "port_route_remove", "no such route, at 0", 0, 0, OK, ENOENT_, { 0 }, { ADDR(0, "10.99.0.0") } },
    { "port_route_remove", "unspec", 0, 0, OK, EINVAL_, { 0x100 }, { ADDR(0x100, "") } },
    { "port_route_remove", "passing the top", 0, 0, OK, EFAULT_, { TOP - 1 }, { ADDR(TOP - 1, "10.1.0.0") } },
    { "port_route_remove", "an expired route", 0, 500, OK, ENOENT_, { 0x100 }, { ADDR(0x100, "2001:db8:1::") } },
    { "port_route_clear", "three routes", 0, 0, OK, OK, { 0 }, NO_PUTS },
    { "port_route_list", "capacity 4", 0, 0, OK, OK, { 0x200, 0x100 }, { CELL(0x100, 4) } },
    { "port_route_list", "capacity 2", 0, 0, OK, EOVERFLOW_, { 0x200, 0x100 }, { CELL(0x100, 2) } },
    { "port_route_list", "capacity 0, buffer at 0, cell at the top", 0, 0, OK, EOVERFLOW_, { 0, TOP - 4 },
      { CELL(TOP - 4, 0) } },
    { "port_route_list", "buffer ending at the top, cell at 0", 0, 0, OK, OK, { TOP - 3 * 176, 0 }, { CELL(0, 3) } },
    { "port_route_list", "buffer passing the top", 0, 0, OK, EFAULT_, { TOP - 3 * 176, 0 }, { CELL(0, 4) } },
    { "port_route_list", "cell passing the top", 0, 0, OK, EFAULT_, { 0x200, TOP - 2 }, { CELL(TOP - 2, 4) } },
    { "port_route_list", "a deprecated route", 0, 150, OK, OK, { 0x200, 0x100 }, { CELL(0x100, 3) } },
    { "port_route_list", "an expired route, capacity 2", 0, 250, OK, OK, { 0x200, 0x100 }, { CELL(0x100, 2) } },
};
enum { NSCEN = sizeof scens / sizeof scens[0] };

static const uint32_t garbage[] = { 0xffffffffu, 0xdeadbeefu, 0x00000001u, 0x80000000u };
enum { NGARBAGE = sizeof garbage / sizeof garbage[0] };

static uint8_t gstart[GMEM + GGUARD];

/* gmem as the call must find it: filled, then the scenario's operands (count cells `cell` bytes,
 * as the entry's module reads them), kept in gstart for every call of the scenario. */
static void prepare_guest(const scen_t *s, uint8_t cell)
{
    guest_use(cell, LAYOUT_V1);
    for (size_t i = 0; i < 4 && s->puts[i].kind != P_END; i++) {
        const put_t *u = &s->puts[i];
        wasixnet_addr_cidr_t c;
        wasixnet_addr_t a;
        wasixnet_option_timestamp_t t;
        switch (u->kind) {
        case P_CIDR: c = net(u->s); gput_cidr(u->off, &c); break;
        case P_ADDR: a = ip(u->s); gput_addr(u->off, &a); break;
        case P_TS: t = ots((uint8_t)u->v, u->v ? T0 + (uint64_t)u->rel : 0); gput_ts(u->off, &t); break;
        case P_CELL: gput_cell(gmem, u->off, u->v, cell); break;
        case P_STR: gwrite(gmem, u->off, u->s, strlen(u->s)); break;
        default: die("bad put kind %u", u->kind);
        }
    }
    memcpy(gstart, gmem, sizeof gstart);
}

/* A fresh port: the hooks (cleared, answering s->hook), MAC1, the clock at T0 while it is built;
 * addresses 10.0.0.5/24 and 2001:db8::5/64; routes 10.1.0.0/16 via 192.168.1.1,
 * 2001:db8:1::/48 via 2001:db8::1 (preferred until T0+100, expires T0+200), and the default
 * route via 10.0.0.1. Then the clock is set to the scenario's time. */
static wasixnet_port_t *build_port(const scen_t *s)
{
    memset(&hk, 0, sizeof hk);
    hk.bridge_ret = hk.unbridge_ret = s->hook;
    memset(&clk, 0, sizeof clk);
    clk.now = T0;
    wasixnet_port_config_t c = cfg_hooks();
    if (s->full) {
        c.max_routes = 3;
        c.max_addrs = 2;
    }
    wasixnet_port_t *p = NULL;
    const wasixnet_addr_cidr_t a4 = net(SETUP_ADDR), a6 = net("2001:db8::5/64");
    const wasixnet_route_t r4 = setup_route(), r6 = R("2001:db8:1::/48", "2001:db8::1", AT(100), AT(200));
    const wasixnet_addr_t gw = ip("10.0.0.1");
    wasixnet_errno_t e = w_port_new(&c, &p);
    e = e ? e : w_addr_add(p, &a4);
    e = e ? e : w_addr_add(p, &a6);
    e = e ? e : w_route_add(p, &r4.cidr, &r4.via_router, &r4.preferred_until, &r4.expires_at);
    e = e ? e : w_route_add(p, &r6.cidr, &r6.via_router, &r6.preferred_until, &r6.expires_at);
    e = e ? e : w_gateway_set(p, &gw);
    if (e != OK)
        report(HERE, false, "building the starting port: errno %u", e);
    clk.calls = 0;
    clk.now = T0 + (uint64_t)s->now;
    return p;
}

/* ============================================================================================
 * One call, and its comparison with the clean one
 * ========================================================================================== */

typedef struct {
    wasixnet_errno_t err;
    char hooks[800]; /* what the hooks and the clock were given, as text */
    state_t st;      /* route_list, addr_list, mac after the call */
} obs_t;
static obs_t clean, got;
static uint8_t clean_mem[GMEM + GGUARD];
static unsigned n_calls_clean, n_calls_garbage, n_cmp, n_diff;

static void esc(char *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n && i < 63; i++) {
        const uint8_t c = (uint8_t)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\')
            *out++ = (char)c;
        else
            out += sprintf(out, "\\x%02x", c);
    }
    *out = '\0';
}

static void fmt_hooks(char *out, size_t n, const wasixnet_port_t *p)
{
    char nw[260], tk[260];
    esc(nw, hk.network, hk.network_len);
    esc(tk, hk.token, hk.token_len);
    snprintf(out, n,
             "bridge %u (network \"%s\" len %zu, token \"%s\" len %zu, security %u), unbridge %u, dhcp %u (%s), "
             "bad ctx %u; clock %u calls, bad ctx %u",
             hk.bridge_calls, nw, hk.network_len, tk, hk.token_len, hk.security, hk.unbridge_calls, hk.dhcp_calls,
             hk.dhcp_port == NULL ? "no port" : hk.dhcp_port == p ? "the port" : "another port", hk.bad_ctx,
             clk.calls, clk.bad_ctx);
}

/* The call with these slots, from the scenario's fresh start; guest memory is left in gmem. */
static void run(const wasixnet_import_t *e, const scen_t *s, const uint64_t *slots, obs_t *o)
{
    wasixnet_port_t *p = build_port(s);
    memcpy(gmem, gstart, sizeof gmem);
    uint64_t a[NSLOTS];
    memcpy(a, slots, sizeof a);
    o->err = hcall(e->call, p, &gst, a);
    fmt_hooks(o->hooks, sizeof o->hooks, p);
    get_state(p, &o->st);
    w_port_free(p);
}

/* The scenario's arguments in 64-bit slots (spare slots 0), with `g` in the high half of slot k,
 * or (k < 0) of every 'i' slot and every spare slot of the array; 'I' slots only when named. */
static void make_slots(const scen_t *s, const char *params, int k, uint32_t g, uint64_t *out)
{
    const size_t n = strlen(params);
    for (size_t j = 0; j < NSLOTS; j++) {
        out[j] = j < n ? s->args[j] : 0;
        if ((k < 0 && (j >= n || params[j] == 'i')) || (size_t)k == j)
            out[j] |= (uint64_t)g << 32;
    }
}

enum { D_ERRNO = 1, D_MEMORY = 2, D_ROUTES = 4, D_ADDRS = 8, D_MAC = 16, D_HOOKS = 32, NASPECTS = 6 };

static bool aspect(where_t w, bool rep, unsigned bit, unsigned *mask, bool ok, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static bool aspect(where_t w, bool rep, unsigned bit, unsigned *mask, bool ok, const char *fmt, ...)
{
    if (!ok)
        *mask |= bit;
    if (!rep)
        return ok;
    char msg[1800];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return report(w, ok, "%s", msg);
}

static const char *ename(unsigned e) { return e < WASIXNET_ERRNO_COUNT ? errno_names[e] : "not an errno"; }

/* `got` (and gmem) against `clean` (and clean_mem), aspect by aspect: the differing ones as a mask;
 * with rep, each aspect is a check. */
static unsigned compare(where_t w, bool rep)
{
    unsigned mask = 0;
    const state_t *a = &clean.st, *b = &got.st;
    aspect(w, rep, D_ERRNO, &mask, clean.err == got.err, "errno: clean call %u (%s), this call %u (%s)", clean.err,
           ename(clean.err), got.err, ename(got.err));
    size_t first = SIZE_MAX, last = 0, count = 0;
    for (size_t i = 0; i < sizeof gmem; i++)
        if (gmem[i] != clean_mem[i]) {
            first = first == SIZE_MAX ? i : first;
            last = i;
            count++;
        }
    aspect(w, rep, D_MEMORY, &mask, count == 0,
           "guest memory: %zu bytes differ from the clean call's, offsets %zu..%zu (first: clean %02x, this %02x)",
           count, first, last, count ? clean_mem[first] : 0, count ? gmem[first] : 0);
    aspect(w, rep, D_ROUTES, &mask,
           a->er == b->er && a->nr == b->nr && memcmp(a->r, b->r, sizeof a->r) == 0,
           "route_list after the call: clean %s, %u routes; this %s, %u routes%s", ename(a->er), a->nr,
           ename(b->er), b->nr, a->nr == b->nr ? " (entries differ)" : "");
    aspect(w, rep, D_ADDRS, &mask,
           a->ea == b->ea && a->na == b->na && memcmp(a->a, b->a, sizeof a->a) == 0,
           "addr_list after the call: clean %s, %u addresses; this %s, %u addresses%s", ename(a->ea), a->na,
           ename(b->ea), b->na, a->na == b->na ? " (entries differ)" : "");
    aspect(w, rep, D_MAC, &mask, a->em == b->em && memcmp(&a->mac, &b->mac, sizeof a->mac) == 0,
           "mac after the call differs from the clean call's");
    aspect(w, rep, D_HOOKS, &mask, strcmp(clean.hooks, got.hooks) == 0, "hooks: clean call %s; this call %s",
           clean.hooks, got.hooks);
    if (rep) {
        n_cmp += NASPECTS;
        for (unsigned m = mask; m != 0; m &= m - 1)
            n_diff++;
    }
    return mask;
}

static void aspects_text(unsigned mask, char *out, size_t n)
{
    static const char *const names[NASPECTS] = { "errno", "memory", "routes", "addresses", "mac", "hooks" };
    out[0] = '\0';
    for (int i = 0; i < NASPECTS; i++)
        if (mask & (1u << i))
            snprintf(out + strlen(out), n - strlen(out), "%s%s", out[0] ? ", " : "", names[i]);
}

/* ============================================================================================
 * Section: import_high_halves
 * ========================================================================================== */

static void run_scenario(const wasixnet_import_t *e, const scen_t *s)
{
    const size_t n = strlen(e->params);
    uint64_t slots[NSLOTS];
    prepare_guest(s, 4);
    make_slots(s, e->params, -1, 0, slots);
    set_context("wasix_32v1.%s, %s: clean slots", e->name, s->what);
    run(e, s, slots, &clean);
    memcpy(clean_mem, gmem, sizeof clean_mem);
    n_calls_clean++;
    check_err(HERE, "the clean call's errno (the scenario's path)", s->want, clean.err);
    for (size_t gi = 0; gi < NGARBAGE; gi++)
        for (size_t k = 0; k <= n; k++) { /* k == n: every slot at once */
            if (k < n && e->params[k] != 'i')
                continue;
            char slot[48] = "every slot";
            if (k < n)
                snprintf(slot, sizeof slot, "argument %zu of \"%s\"", k, e->params);
            set_context("wasix_32v1.%s, %s: high halves 0x%08" PRIx32 " in %s", e->name, s->what, garbage[gi], slot);
            make_slots(s, e->params, k < n ? (int)k : -1, garbage[gi], slots);
            run(e, s, slots, &got);
            n_calls_garbage++;
            compare(HERE, true);
        }
}

/* The comparison can fail: a wasix_64v1 entry reads its 'I' slots whole, so garbage in their high
 * halves must show up as a difference; its 'i' slot (port_bridge's security) must not. */
static unsigned st_i64_found, st_i64_total, st_i32_same, st_i32_total;
static void self_test(const wasixnet_import_t *imp, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        const wasixnet_import_t *e = &imp[i];
        if (!e->module || !e->name || !e->params || !e->call || strcmp(e->module, "wasix_64v1") != 0 ||
            strlen(e->params) == 0 || strlen(e->params) > MAXP)
            continue;
        const scen_t *s = NULL;
        for (size_t k = 0; k < NSCEN && s == NULL; k++)
            if (strcmp(scens[k].call, e->name) == 0 && scens[k].want == OK)
                s = &scens[k];
        if (!report(HERE, s != NULL, "self-test: no succeeding scenario for wasix_64v1.%s", e->name))
            continue;
        uint64_t slots[NSLOTS];
        prepare_guest(s, 8);
        make_slots(s, e->params, -1, 0, slots);
        set_context("self-test: wasix_64v1.%s, %s: clean slots", e->name, s->what);
        run(e, s, slots, &clean);
        memcpy(clean_mem, gmem, sizeof clean_mem);
        check_err(HERE, "the clean call's errno", OK, clean.err);
        for (size_t k = 0; e->params[k] != '\0'; k++)
            for (size_t gi = 0; gi < NGARBAGE; gi++) {
                set_context("self-test: wasix_64v1.%s, %s: high half 0x%08" PRIx32 " in argument %zu ('%c')",
                            e->name, s->what, garbage[gi], k, e->params[k]);
                make_slots(s, e->params, (int)k, garbage[gi], slots);
                run(e, s, slots, &got);
                char diff[120];
                const unsigned mask = compare(HERE, false);
                aspects_text(mask, diff, sizeof diff);
                if (e->params[k] == 'I') {
                    st_i64_total++;
                    st_i64_found += report(HERE, mask != 0, "no difference found: the comparison cannot see a "
                                                            "64-bit read of a slot");
                } else {
                    st_i32_total++;
                    st_i32_same += report(HERE, mask == 0, "an 'i' slot's high half changed: %s", diff);
                }
            }
    }
}

void import_high_halves(void)
{
    section = "import_high_halves";
    const fake_clock_t clk_saved = clk;
    const hooks_t hk_saved = hk;
    const wasixnet_guest_t gst_saved = gst;
    size_t count = 0;
    const wasixnet_import_t *imp = w_imports(&count);
    if (!CHECK(imp != NULL))
        return;
    unsigned used[NSCEN] = { 0 }, n_entries = 0;
    for (size_t i = 0; i < count; i++) {
        const wasixnet_import_t *e = &imp[i];
        if (!e->module || strcmp(e->module, "wasix_32v1") != 0)
            continue;
        n_entries++;
        set_context("entry %zu (wasix_32v1.%s)", i, e->name ? e->name : "NULL");
        if (!CHECK(e->name && e->params && e->call && strlen(e->params) <= MAXP))
            continue;
        bool any = false;
        for (size_t k = 0; k < NSCEN; k++)
            if (strcmp(scens[k].call, e->name) == 0) {
                any = true;
                used[k]++;
                run_scenario(e, &scens[k]);
            }
        set_context("entry %zu (wasix_32v1.%s)", i, e->name);
        report(HERE, any, "no scenario for this entry in import_high_halves.c");
    }
    for (size_t k = 0; k < NSCEN; k++) {
        set_context("scenario %s, %s", scens[k].call, scens[k].what);
        report(HERE, used[k] == 1, "ran %u times: the table must have one wasix_32v1 entry of that name", used[k]);
    }
    self_test(imp, count);
    clear_context();
    printf("import_high_halves: %u wasix_32v1 entries, %u scenarios, %u calls (%u clean, %u with garbage high "
           "halves), %u comparisons with the clean call, %u differences; self-test: %u of %u wasix_64v1 'I' "
           "garblings detected, %u of %u 'i' ones identical\n",
           n_entries, (unsigned)NSCEN, n_calls_clean + n_calls_garbage, n_calls_clean, n_calls_garbage, n_cmp, n_diff,
           st_i64_found, st_i64_total, st_i32_same, st_i32_total);
    clk = clk_saved;
    hk = hk_saved;
    gst = gst_saved;
}
