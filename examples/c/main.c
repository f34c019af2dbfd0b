/*
 * examples/c/main.c: wasixnet seen from a WebAssembly runtime.
 *
 * A runtime gives its guests the WASIX port_* imports by forwarding each call, with the guest's
 * own arguments (offsets into linear memory), to wasixnet_guest_port_<name>. This program plays
 * both sides without a wasm engine:
 *   - the "guest" is a 64 KiB byte array of linear memory in which the structs are laid out byte
 *     by byte exactly as wasix-libc lays them out (little-endian, wasix_32v1);
 *   - the "runtime" makes the calls a host-import callback would make, then reads the results back
 *     out of guest memory. (A real runtime registers the whole wasixnet_imports() table in one
 *     loop instead of calling each function by name.)
 * The port's clock is a variable of this program, so route lifetimes play out deterministically.
 *
 * It is a test as well: every step compares what it got with what it expects, and the first
 * difference ends the program with "example FAILED: ..." and exit status 1.
 *
 *   cc -std=c11 -Wall -Wextra -O2 main.c $(pkg-config --cflags --libs wasixnet) -o example_c
 */
#define _POSIX_C_SOURCE 200112L /* inet_pton / inet_ntop under -std=c11 */

#include <wasixnet.h>

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------------
 * Self-check
 * ------------------------------------------------------------------------------------------- */

static void fail(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout); /* keep the failure after the output that led to it */
    fputs("example FAILED: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static void expect_errno(const char *what, wasixnet_errno_t got, wasixnet_errno_t want)
{
    if (got != want)
        fail("%s: expected %s, got %s (%u)", what, wasixnet_errno_name(want), wasixnet_errno_name(got),
             (unsigned)got);
}

static void expect_u64(const char *what, uint64_t got, uint64_t want)
{
    if (got != want)
        fail("%s: expected %" PRIu64 ", got %" PRIu64, what, want, got);
}

/* Checks that [off, off + len) of guest memory still holds the fill byte: the library wrote
 * nothing there. */
static void expect_untouched(const char *what, const uint8_t *mem, uint64_t off, uint64_t len, uint8_t fill)
{
    for (uint64_t i = 0; i < len; i++)
        if (mem[off + i] != fill)
            fail("%s: guest byte at offset %" PRIu64 " was overwritten", what, off + i);
}

/* ---------------------------------------------------------------------------------------------
 * The guest's side: wasix-libc's structs written into linear memory at byte offsets
 * (api_wasix.h; wasixnet.h [types.layouts]). Wasm memory is little-endian whatever the host is, so
 * every multi-byte number goes through put_u16/put_u64 rather than a host struct.
 * ------------------------------------------------------------------------------------------- */

enum {
    ADDR_SIZE = 110,     /* __wasi_addr_t:      tag @0, address @2 */
    CIDR_SIZE = 28,      /* __wasi_addr_cidr_t: tag @0, address @2, prefix @6 (v4) / @26 (v6) */
    CIDR4_PREFIX = 6,
    CIDR6_PREFIX = 26,
    OPTION_TS_SIZE = 16, /* __wasi_option_timestamp_t: tag @0, value @8 */
    ROUTE_SIZE = 176,    /* __wasi_route_t: the stride of port_route_list's buffer */
    ROUTE_CIDR = 0,
    ROUTE_VIA = 28,
    ROUTE_PREFERRED = 144,
    ROUTE_EXPIRES = 160,
};

static void put_u16(uint8_t *mem, uint64_t off, uint16_t v)
{
    mem[off] = (uint8_t)v;
    mem[off + 1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *mem, uint64_t off, uint32_t v)
{
    put_u16(mem, off, (uint16_t)v);
    put_u16(mem, off + 2, (uint16_t)(v >> 16));
}

static void put_u64(uint8_t *mem, uint64_t off, uint64_t v)
{
    put_u32(mem, off, (uint32_t)v);
    put_u32(mem, off + 4, (uint32_t)(v >> 32));
}

static uint16_t get_u16(const uint8_t *mem, uint64_t off)
{
    return (uint16_t)(mem[off] | mem[off + 1] << 8);
}

static uint32_t get_u32(const uint8_t *mem, uint64_t off)
{
    return get_u16(mem, off) | (uint32_t)get_u16(mem, off + 2) << 16;
}

static uint64_t get_u64(const uint8_t *mem, uint64_t off)
{
    return get_u32(mem, off) | (uint64_t)get_u32(mem, off + 4) << 32;
}

static void put_ip4(uint8_t *mem, uint64_t off, const char *ip)
{
    if (inet_pton(AF_INET, ip, mem + off) != 1)
        fail("not an IPv4 address: %s", ip);
}

/* The 24 bytes of __wasi_addr_ip6_t: the 16 octets in network order, then flow info and scope id
 * as two u16 halves each, the most significant half first. */
static void put_ip6(uint8_t *mem, uint64_t off, const char *ip, uint32_t flow, uint32_t scope)
{
    if (inet_pton(AF_INET6, ip, mem + off) != 1)
        fail("not an IPv6 address: %s", ip);
    put_u16(mem, off + 16, (uint16_t)(flow >> 16));
    put_u16(mem, off + 18, (uint16_t)flow);
    put_u16(mem, off + 20, (uint16_t)(scope >> 16));
    put_u16(mem, off + 22, (uint16_t)scope);
}

/* Every writer zeroes the whole struct first, padding and the unused union tail included, as a
 * careful guest does: stale bytes must never look like data. */
static void put_addr_unspec(uint8_t *mem, uint64_t off)
{
    memset(mem + off, 0, ADDR_SIZE); /* tag 0: for via_router, "on-link, no router" */
}

static void put_addr4(uint8_t *mem, uint64_t off, const char *ip)
{
    memset(mem + off, 0, ADDR_SIZE);
    mem[off] = WASIXNET_ADDRESS_FAMILY_INET4;
    put_ip4(mem, off + 2, ip);
}

static void put_addr6(uint8_t *mem, uint64_t off, const char *ip, uint32_t flow, uint32_t scope)
{
    memset(mem + off, 0, ADDR_SIZE);
    mem[off] = WASIXNET_ADDRESS_FAMILY_INET6;
    put_ip6(mem, off + 2, ip, flow, scope);
}

static void put_cidr4(uint8_t *mem, uint64_t off, const char *ip, uint8_t prefix)
{
    memset(mem + off, 0, CIDR_SIZE);
    mem[off] = WASIXNET_ADDRESS_FAMILY_INET4;
    put_ip4(mem, off + 2, ip);
    mem[off + CIDR4_PREFIX] = prefix;
}

static void put_cidr6(uint8_t *mem, uint64_t off, const char *ip, uint8_t prefix, uint32_t flow, uint32_t scope)
{
    memset(mem + off, 0, CIDR_SIZE);
    mem[off] = WASIXNET_ADDRESS_FAMILY_INET6;
    put_ip6(mem, off + 2, ip, flow, scope);
    mem[off + CIDR6_PREFIX] = prefix;
}

static void put_option_ts(uint8_t *mem, uint64_t off, uint8_t tag, uint64_t value)
{
    memset(mem + off, 0, OPTION_TS_SIZE);
    mem[off] = tag;
    put_u64(mem, off + 8, value);
}

/* Splits "fe80::1%2" into the address text and its scope id (0 when there is none). */
static uint32_t split_scope(const char *text, char *ip, size_t size)
{
    size_t len = strcspn(text, "%");
    if (len >= size)
        fail("address text too long: %s", text);
    memcpy(ip, text, len);
    ip[len] = '\0';
    return text[len] == '%' ? (uint32_t)strtoul(text + len + 1, NULL, 10) : 0;
}

/* The text forms the tables below use: "10.0.0.1", "2001:db8::1", "fe80::1%2". */
static void put_addr(uint8_t *mem, uint64_t off, const char *text)
{
    char ip[64];
    uint32_t scope = split_scope(text, ip, sizeof ip);
    if (strchr(ip, ':'))
        put_addr6(mem, off, ip, 0, scope);
    else
        put_addr4(mem, off, ip);
}

static void put_cidr(uint8_t *mem, uint64_t off, const char *text, uint8_t prefix)
{
    char ip[64];
    uint32_t scope = split_scope(text, ip, sizeof ip);
    if (strchr(ip, ':'))
        put_cidr6(mem, off, ip, prefix, 0, scope);
    else
        put_cidr4(mem, off, ip, prefix);
}

/* ---------------------------------------------------------------------------------------------
 * The runtime's side: guest bytes back into the header's host types, and host types into text
 * ------------------------------------------------------------------------------------------- */

static void get_ip6(const uint8_t *mem, uint64_t off, wasixnet_addr_ip6_t *ip)
{
    memcpy(ip->octets, mem + off, 16);
    ip->flow_info1 = get_u16(mem, off + 16);
    ip->flow_info0 = get_u16(mem, off + 18);
    ip->scope_id1 = get_u16(mem, off + 20);
    ip->scope_id0 = get_u16(mem, off + 22);
}

static wasixnet_addr_t get_addr(const uint8_t *mem, uint64_t off)
{
    wasixnet_addr_t a;
    memset(&a, 0, sizeof a);
    a.tag = mem[off];
    if (a.tag == WASIXNET_ADDRESS_FAMILY_INET4)
        memcpy(a.u.inet4, mem + off + 2, 4);
    else if (a.tag == WASIXNET_ADDRESS_FAMILY_INET6)
        get_ip6(mem, off + 2, &a.u.inet6);
    return a;
}

static wasixnet_addr_cidr_t get_cidr(const uint8_t *mem, uint64_t off)
{
    wasixnet_addr_cidr_t c;
    memset(&c, 0, sizeof c);
    c.tag = mem[off];
    if (c.tag == WASIXNET_ADDRESS_FAMILY_INET4) {
        memcpy(c.u.inet4.addr, mem + off + 2, 4);
        c.u.inet4.prefix = mem[off + CIDR4_PREFIX];
    } else if (c.tag == WASIXNET_ADDRESS_FAMILY_INET6) {
        get_ip6(mem, off + 2, &c.u.inet6.addr);
        c.u.inet6.prefix = mem[off + CIDR6_PREFIX];
    }
    return c;
}

static wasixnet_option_timestamp_t get_option_ts(const uint8_t *mem, uint64_t off)
{
    wasixnet_option_timestamp_t t;
    memset(&t, 0, sizeof t);
    t.tag = mem[off];
    t.value = get_u64(mem, off + 8);
    return t;
}

/* One entry of port_route_list's output buffer. */
static wasixnet_route_t get_route(const uint8_t *mem, uint64_t off)
{
    wasixnet_route_t r;
    memset(&r, 0, sizeof r);
    r.cidr = get_cidr(mem, off + ROUTE_CIDR);
    r.via_router = get_addr(mem, off + ROUTE_VIA);
    r.preferred_until = get_option_ts(mem, off + ROUTE_PREFERRED);
    r.expires_at = get_option_ts(mem, off + ROUTE_EXPIRES);
    return r;
}

/* The host-typed form of an address, for wasixnet_port_route_lookup. */
static wasixnet_addr_t host_addr(const char *text)
{
    char ip[64];
    uint32_t scope = split_scope(text, ip, sizeof ip);
    wasixnet_addr_t a;
    memset(&a, 0, sizeof a);
    if (inet_pton(AF_INET, ip, a.u.inet4) == 1) {
        a.tag = WASIXNET_ADDRESS_FAMILY_INET4;
    } else if (inet_pton(AF_INET6, ip, a.u.inet6.octets) == 1) {
        a.tag = WASIXNET_ADDRESS_FAMILY_INET6;
        a.u.inet6.scope_id1 = (uint16_t)(scope >> 16);
        a.u.inet6.scope_id0 = (uint16_t)scope;
    } else {
        fail("not an IP address: %s", text);
    }
    return a;
}

#define SEC UINT64_C(1000000000) /* the port's clock counts nanoseconds */

/* "10.0.0.1", "fe80::1%2" (with the scope id when there is one); "on-link" for no router. */
static void fmt_addr(char *buf, size_t size, const wasixnet_addr_t *a)
{
    char ip[INET6_ADDRSTRLEN];
    uint32_t scope;
    switch (a->tag) {
    case WASIXNET_ADDRESS_FAMILY_UNSPEC:
        snprintf(buf, size, "on-link");
        break;
    case WASIXNET_ADDRESS_FAMILY_INET4:
        snprintf(buf, size, "%s", inet_ntop(AF_INET, a->u.inet4, ip, sizeof ip));
        break;
    case WASIXNET_ADDRESS_FAMILY_INET6:
        scope = (uint32_t)a->u.inet6.scope_id1 << 16 | a->u.inet6.scope_id0;
        inet_ntop(AF_INET6, a->u.inet6.octets, ip, sizeof ip);
        if (scope)
            snprintf(buf, size, "%s%%%" PRIu32, ip, scope);
        else
            snprintf(buf, size, "%s", ip);
        break;
    default:
        snprintf(buf, size, "<family %u>", (unsigned)a->tag);
    }
}

static void fmt_cidr(char *buf, size_t size, const wasixnet_addr_cidr_t *c)
{
    wasixnet_addr_t a;
    unsigned prefix = 0;
    char ip[64];
    memset(&a, 0, sizeof a);
    a.tag = c->tag;
    if (c->tag == WASIXNET_ADDRESS_FAMILY_INET4) {
        memcpy(a.u.inet4, c->u.inet4.addr, 4);
        prefix = c->u.inet4.prefix;
    } else if (c->tag == WASIXNET_ADDRESS_FAMILY_INET6) {
        a.u.inet6 = c->u.inet6.addr;
        prefix = c->u.inet6.prefix;
    }
    fmt_addr(ip, sizeof ip, &a);
    snprintf(buf, size, "%s/%u", ip, prefix);
}

static void fmt_time(char *buf, size_t size, const wasixnet_option_timestamp_t *t)
{
    if (t->tag == WASIXNET_OPTION_NONE)
        snprintf(buf, size, "-");
    else
        snprintf(buf, size, "t=%" PRIu64 "s", t->value / SEC);
}

/* A route as the four columns of the table. */
typedef struct {
    char dst[72], via[64], preferred[24], expires[24]; /* sized for the longest IPv6 text */
} route_text_t;

/* What a route is expected to look like, in the same four columns. */
typedef struct {
    const char *dst, *via, *preferred, *expires;
} row_t;

static route_text_t describe_route(const wasixnet_route_t *r)
{
    route_text_t t;
    fmt_cidr(t.dst, sizeof t.dst, &r->cidr);
    fmt_addr(t.via, sizeof t.via, &r->via_router);
    fmt_time(t.preferred, sizeof t.preferred, &r->preferred_until);
    fmt_time(t.expires, sizeof t.expires, &r->expires_at);
    return t;
}

static void expect_row(const char *what, unsigned index, const route_text_t *got, const row_t *want)
{
    if (strcmp(got->dst, want->dst) || strcmp(got->via, want->via) || strcmp(got->preferred, want->preferred) ||
        strcmp(got->expires, want->expires))
        fail("%s, route %u: expected %s via %s (preferred %s, expires %s), got %s via %s (preferred %s, expires %s)",
             what, index, want->dst, want->via, want->preferred, want->expires, got->dst, got->via, got->preferred,
             got->expires);
}

/* ---------------------------------------------------------------------------------------------
 * The runtime's state: one guest, one port, one clock
 * ------------------------------------------------------------------------------------------- */

#define GUEST_MEMORY_SIZE (64u * 1024u)
#define ROUTES_CAPACITY 16u

/* Where the guest keeps the arguments of its calls. A real guest has them on its stack; any offset
 * works (the library needs no alignment). */
enum {
    G_CIDR = 0x1000,
    G_ADDR = 0x1100, /* an addr: via_router, a gateway */
    G_PREFERRED = 0x1200,
    G_EXPIRES = 0x1210,
    G_MAC = 0x1300,
    G_NROUTES = 0x1400, /* the list's count cell: 4 bytes in wasix_32v1 */
    G_ROUTES = 0x2000,  /* room for ROUTES_CAPACITY routes */
};

static uint8_t guest_memory[GUEST_MEMORY_SIZE];
static wasixnet_guest_t guest;
static wasixnet_port_t *port;
static wasixnet_timestamp_t clock_now; /* the port's clock reads this: the program moves time */

static wasixnet_timestamp_t read_clock(void *ctx)
{
    return *(const wasixnet_timestamp_t *)ctx;
}

static void set_clock(uint64_t seconds)
{
    clock_now = seconds * SEC;
    printf("-- clock at t=%" PRIu64 "s\n", seconds);
}

/* Prints one call and its answer, and checks the answer. */
static void report(const char *call, const char *note, wasixnet_errno_t got, wasixnet_errno_t want)
{
    printf("%-46s -> %s%s%s\n", call, wasixnet_errno_name(got), *note ? "  " : "", note);
    expect_errno(call, got, want);
}

/* ---------------------------------------------------------------------------------------------
 * The guest's calls, each as wasix-libc makes it: structs written, then the import called with
 * their offsets
 * ------------------------------------------------------------------------------------------- */

typedef struct {
    const char *dst;
    uint8_t prefix;
    const char *via;    /* NULL: on-link */
    uint64_t preferred; /* absolute, in clock seconds; 0: none */
    uint64_t expires;   /* absolute, in clock seconds; 0: none */
} route_spec_t;

static void guest_addr_add(const char *ip, uint8_t prefix, wasixnet_errno_t want)
{
    char call[96];
    put_cidr(guest.memory, G_CIDR, ip, prefix);
    snprintf(call, sizeof call, "port_addr_add %s/%u", ip, (unsigned)prefix);
    report(call, "", wasixnet_guest_port_addr_add(port, &guest, G_CIDR), want);
}

static void guest_gateway_set(const char *ip, const char *note, wasixnet_errno_t want)
{
    char call[96];
    put_addr(guest.memory, G_ADDR, ip);
    snprintf(call, sizeof call, "port_gateway_set %s", ip);
    report(call, note, wasixnet_guest_port_gateway_set(port, &guest, G_ADDR), want);
}

/* Writes port_route_add's four arguments at G_CIDR, G_ADDR, G_PREFERRED and G_EXPIRES. */
static void put_route_args(const route_spec_t *r)
{
    put_cidr(guest.memory, G_CIDR, r->dst, r->prefix);
    if (r->via)
        put_addr(guest.memory, G_ADDR, r->via);
    else
        put_addr_unspec(guest.memory, G_ADDR);
    put_option_ts(guest.memory, G_PREFERRED, r->preferred ? WASIXNET_OPTION_SOME : WASIXNET_OPTION_NONE,
                  r->preferred * SEC);
    put_option_ts(guest.memory, G_EXPIRES, r->expires ? WASIXNET_OPTION_SOME : WASIXNET_OPTION_NONE,
                  r->expires * SEC);
}

/* "port_route_add 192.168.7.0/24 via 10.0.0.2 preferred t=1300s expires t=1600s" */
static void describe_spec(char *buf, size_t size, const route_spec_t *r)
{
    char preferred[40] = "", expires[40] = "";
    if (r->preferred)
        snprintf(preferred, sizeof preferred, " preferred t=%" PRIu64 "s", r->preferred);
    if (r->expires)
        snprintf(expires, sizeof expires, " expires t=%" PRIu64 "s", r->expires);
    snprintf(buf, size, "port_route_add %s/%u %s%s%s%s", r->dst, (unsigned)r->prefix, r->via ? "via " : "",
             r->via ? r->via : "on-link", preferred, expires);
}

static void guest_route_add(const route_spec_t *r, const char *note, wasixnet_errno_t want)
{
    char call[256];
    put_route_args(r);
    describe_spec(call, sizeof call, r);
    report(call, note, wasixnet_guest_port_route_add(port, &guest, G_CIDR, G_ADDR, G_PREFERRED, G_EXPIRES), want);
}

/* port_route_list as the guest calls it: the count cell holds the buffer's capacity going in and
 * the number of routes coming out. The buffer is filled with 0xAA first, so that what the library
 * did not write can be told apart. */
static wasixnet_errno_t guest_route_list(uint32_t capacity, uint32_t *count)
{
    memset(guest.memory + G_ROUTES, 0xAA, GUEST_MEMORY_SIZE - G_ROUTES);
    put_u32(guest.memory, G_NROUTES, capacity);
    wasixnet_errno_t err = wasixnet_guest_port_route_list(port, &guest, G_ROUTES, G_NROUTES);
    *count = get_u32(guest.memory, G_NROUTES);
    return err;
}

/* Decodes the first n entries of the guest's route buffer and checks them; with `print`, shows
 * them as a table. */
static void check_routes(const char *what, uint32_t n, const row_t *want, int print)
{
    if (print)
        printf("   #  %-18s %-12s %-10s %s\n", "destination", "via", "preferred", "expires");
    for (uint32_t i = 0; i < n; i++) {
        wasixnet_route_t r = get_route(guest.memory, G_ROUTES + (uint64_t)i * ROUTE_SIZE);
        route_text_t t = describe_route(&r);
        if (print)
            printf("  %2u  %-18s %-12s %-10s %s\n", (unsigned)(i + 1), t.dst, t.via, t.preferred, t.expires);
        expect_row(what, i + 1, &t, &want[i]);
    }
}

/* Lists every route with a buffer big enough for all and checks the whole table. */
static void list_all_routes(const char *what, const row_t *want, uint32_t nwant, int print)
{
    uint32_t n = 0;
    wasixnet_errno_t err = guest_route_list(ROUTES_CAPACITY, &n);
    if (print)
        printf("port_route_list, room for %u -> %s, *nroutes = %u\n", (unsigned)ROUTES_CAPACITY,
               wasixnet_errno_name(err), (unsigned)n);
    expect_errno(what, err, WASIXNET_ESUCCESS);
    expect_u64(what, n, nwant);
    check_routes(what, n, want, print);
    expect_untouched(what, guest.memory, G_ROUTES + (uint64_t)n * ROUTE_SIZE, (ROUTES_CAPACITY - n) * ROUTE_SIZE, 0xAA);
}

/* ---------------------------------------------------------------------------------------------
 * Lookups: the host-typed call a runtime's socket layer would use to pick a route
 * ------------------------------------------------------------------------------------------- */

typedef struct {
    const char *dst;
    wasixnet_errno_t err;
    const char *route, *via; /* expected on success */
    uint8_t deprecated;
    const char *why;
} lookup_t;

static void lookup(const lookup_t *c)
{
    wasixnet_addr_t dst = host_addr(c->dst);
    wasixnet_route_t r;
    uint8_t deprecated = 0xFF; /* the library must set it on success */
    char taken[160];
    memset(&r, 0, sizeof r);
    wasixnet_errno_t err = wasixnet_port_route_lookup(port, &dst, &r, &deprecated);
    route_text_t t = describe_route(&r);
    if (err != WASIXNET_ESUCCESS)
        snprintf(taken, sizeof taken, "%s", wasixnet_errno_name(err));
    else if (r.via_router.tag == WASIXNET_ADDRESS_FAMILY_UNSPEC)
        snprintf(taken, sizeof taken, "%s on-link%s", t.dst, deprecated ? " [deprecated]" : "");
    else
        snprintf(taken, sizeof taken, "%s via %s%s", t.dst, t.via, deprecated ? " [deprecated]" : "");
    if (*c->why)
        printf("  %-15s -> %-40s %s\n", c->dst, taken, c->why);
    else
        printf("  %-15s -> %s\n", c->dst, taken);

    expect_errno(c->dst, err, c->err);
    if (err != WASIXNET_ESUCCESS)
        return;
    if (strcmp(t.dst, c->route) || strcmp(t.via, c->via))
        fail("lookup %s: expected %s via %s, got %s via %s", c->dst, c->route, c->via, t.dst, t.via);
    expect_u64("lookup's deprecated flag", deprecated, c->deprecated);
}

/* ---------------------------------------------------------------------------------------------
 * The demo
 * ------------------------------------------------------------------------------------------- */

static const route_spec_t ROUTES[] = {
    {"192.168.0.0", 16, "10.0.0.1", 0, 0},
    {"192.168.7.0", 24, "10.0.0.2", 1300, 1600}, /* deprecated from t=1300s, gone from t=1600s */
    {"172.16.0.0", 12, NULL, 0, 0},
    {"2001:db8:2::", 48, "fe80::1%2", 0, 0}, /* IPv6 routers are usually link-local: scope id 2 */
};

/* What port_route_list must return after ROUTES and the gateway: insertion order, the gateway's
 * default route last, lifetimes echoed. */
static const row_t TABLE[] = {
    {"192.168.0.0/16", "10.0.0.1", "-", "-"},
    {"192.168.7.0/24", "10.0.0.2", "t=1300s", "t=1600s"},
    {"172.16.0.0/12", "on-link", "-", "-"},
    {"2001:db8:2::/48", "fe80::1%2", "-", "-"},
    {"0.0.0.0/0", "10.0.0.1", "-", "-"},
};
#define TABLE_LEN ((uint32_t)(sizeof TABLE / sizeof TABLE[0]))

static const lookup_t LOOKUPS[] = {
    {"192.168.7.9", WASIXNET_ESUCCESS, "192.168.7.0/24", "10.0.0.2", 0, "/24 beats /16"},
    {"192.168.1.1", WASIXNET_ESUCCESS, "192.168.0.0/16", "10.0.0.1", 0, ""},
    {"172.20.1.1", WASIXNET_ESUCCESS, "172.16.0.0/12", "on-link", 0, ""},
    {"10.0.0.77", WASIXNET_ESUCCESS, "10.0.0.0/24", "on-link", 0, "own prefix 10.0.0.5/24"},
    {"8.8.8.8", WASIXNET_ESUCCESS, "0.0.0.0/0", "10.0.0.1", 0, "default route (gateway)"},
    {"2001:db8:1::9", WASIXNET_ESUCCESS, "2001:db8:1::/64", "on-link", 0, "own prefix"},
    {"2001:db8:2::1", WASIXNET_ESUCCESS, "2001:db8:2::/48", "fe80::1%2", 0, ""},
    {"2001:4860::8888", WASIXNET_ENETUNREACH, NULL, NULL, 0, "no IPv6 default route"},
};

static void heading(const char *title)
{
    printf("\n== %s ==\n", title);
}

int main(void)
{
    if (wasixnet_abi_version() != WASIXNET_ABI_VERSION)
        fail("library ABI %u, this program was built for %u", (unsigned)wasixnet_abi_version(),
             (unsigned)WASIXNET_ABI_VERSION);
    printf("wasixnet %s (ABI %u): a runtime serving a guest's WASIX port_* calls\n", wasixnet_version(),
           (unsigned)wasixnet_abi_version());

    /* The port: a fixed MAC and our clock, everything else default. */
    heading("Port and guest memory");
    static const uint8_t mac[6] = {0x02, 0x00, 0x00, 0xc0, 0xff, 0xee}; /* locally administered */
    wasixnet_port_config_t config;
    memset(&config, 0, sizeof config);
    config.struct_size = sizeof config;
    memcpy(config.mac, mac, sizeof mac);
    config.has_mac = 1;
    config.clock = read_clock;
    config.clock_ctx = &clock_now;
    set_clock(1000);
    expect_errno("wasixnet_port_new", wasixnet_port_new(&config, &port), WASIXNET_ESUCCESS);

    guest.memory = guest_memory;
    guest.memory_size = GUEST_MEMORY_SIZE;
    guest.pointer_size = 4; /* wasix_32v1 */
    guest.layout = WASIXNET_LAYOUT_WASIX_V1;
    printf("guest: %u KiB of linear memory, wasix_32v1, wasix-libc layouts\n", GUEST_MEMORY_SIZE / 1024u);

    expect_errno("port_mac", wasixnet_guest_port_mac(port, &guest, G_MAC), WASIXNET_ESUCCESS);
    const uint8_t *m = guest.memory + G_MAC;
    printf("port_mac -> %02x:%02x:%02x:%02x:%02x:%02x (the configured MAC)\n", m[0], m[1], m[2], m[3], m[4], m[5]);
    if (memcmp(m, mac, sizeof mac))
        fail("port_mac: the guest did not get the configured MAC");

    heading("The guest sets up its interface");
    guest_addr_add("10.0.0.5", 24, WASIXNET_ESUCCESS);
    guest_addr_add("2001:db8:1::5", 64, WASIXNET_ESUCCESS);
    for (size_t i = 0; i < sizeof ROUTES / sizeof ROUTES[0]; i++)
        guest_route_add(&ROUTES[i], "", WASIXNET_ESUCCESS);
    guest_gateway_set("10.0.0.1", "", WASIXNET_ESUCCESS);

    /* The list protocol: the real count comes back even when the buffer is too small, and the
     * entries that fit are written. */
    heading("Routes, listed into a buffer with room for 2");
    uint32_t n = 0;
    wasixnet_errno_t err = guest_route_list(2, &n);
    printf("port_route_list, room for 2 -> %s, *nroutes = %u (the real count), first 2 written:\n",
           wasixnet_errno_name(err), (unsigned)n);
    expect_errno("port_route_list (room for 2)", err, WASIXNET_EOVERFLOW);
    expect_u64("port_route_list (room for 2): *nroutes", n, TABLE_LEN);
    check_routes("port_route_list (room for 2)", 2, TABLE, 1);
    expect_untouched("port_route_list (room for 2)", guest.memory, G_ROUTES + 2 * ROUTE_SIZE,
                     (ROUTES_CAPACITY - 2) * ROUTE_SIZE, 0xAA);

    heading("Routes, listed again with room for all");
    list_all_routes("port_route_list", TABLE, TABLE_LEN, 1);

    heading("Lookups: longest prefix match (wasixnet_port_route_lookup)");
    for (size_t i = 0; i < sizeof LOOKUPS / sizeof LOOKUPS[0]; i++)
        lookup(&LOOKUPS[i]);

    heading("Bad input is rejected and changes nothing");
    const route_spec_t host_bits = {"10.1.2.3", 24, "10.0.0.1", 0, 0};
    const route_spec_t duplicate = {"192.168.7.0", 24, "10.0.0.9", 0, 0};
    const route_spec_t expired = {"10.9.0.0", 16, "10.0.0.1", 0, 900};
    const route_spec_t good = {"10.8.0.0", 16, "10.0.0.1", 0, 0};
    guest_route_add(&host_bits, "(host bits set)", WASIXNET_EINVAL);
    guest_route_add(&duplicate, "(CIDR already routed)", WASIXNET_EEXIST);
    guest_route_add(&expired, "(already expired)", WASIXNET_EINVAL);
    guest_gateway_set("224.0.0.1", "(multicast)", WASIXNET_EINVAL);

    /* A struct that does not lie whole inside guest memory: the 16-byte expires_at at 8 bytes
     * before the end. The other three arguments are valid. */
    put_route_args(&good);
    report("port_route_add 10.8.0.0/16, expires_at @65528", "(straddles the end)",
           wasixnet_guest_port_route_add(port, &guest, G_CIDR, G_ADDR, G_PREFERRED, GUEST_MEMORY_SIZE - 8),
           WASIXNET_EFAULT);

    /* A list buffer whose declared capacity runs past the end: 400 x 176 bytes from 0x2000. */
    err = guest_route_list(400, &n);
    printf("%-46s -> %s  (*nroutes still %u)\n", "port_route_list, room for 400 @0x2000", wasixnet_errno_name(err),
           (unsigned)n);
    expect_errno("port_route_list (room for 400)", err, WASIXNET_EFAULT);
    expect_u64("port_route_list (room for 400): the count cell", n, 400);
    expect_untouched("port_route_list (room for 400)", guest.memory, G_ROUTES, GUEST_MEMORY_SIZE - G_ROUTES, 0xAA);

    list_all_routes("route table after the rejected calls", TABLE, TABLE_LEN, 0);
    printf("route table: the same %u routes as before\n", (unsigned)TABLE_LEN);

    /* Lifetimes are absolute times on the port's clock: moving our clock is all it takes. */
    heading("Time passes");
    const lookup_t deprecated = {"192.168.7.9", WASIXNET_ESUCCESS, "192.168.7.0/24", "10.0.0.2", 1,
                                 "past preferred_until, still used"};
    set_clock(1300);
    lookup(&deprecated);
    list_all_routes("route table at t=1300s", TABLE, TABLE_LEN, 0);
    printf("route table: still %u routes\n", (unsigned)TABLE_LEN);

    set_clock(1600);
    const row_t after_expiry[] = {TABLE[0], TABLE[2], TABLE[3], TABLE[4]};
    list_all_routes("route table at t=1600s", after_expiry, 4, 1);
    const lookup_t fallback = {"192.168.7.9", WASIXNET_ESUCCESS, "192.168.0.0/16", "10.0.0.1", 0, "the /24 is gone"};
    lookup(&fallback);
    const route_spec_t again = {"192.168.7.0", 24, "10.0.0.3", 0, 0};
    guest_route_add(&again, "(its CIDR is free again)", WASIXNET_ESUCCESS);
    const lookup_t readded = {"192.168.7.9", WASIXNET_ESUCCESS, "192.168.7.0/24", "10.0.0.3", 0, ""};
    lookup(&readded);

    wasixnet_port_free(port);
    printf("\nexample OK\n");
    return 0;
}
