/*
 * guests/routes_c.c: a guest written in C that manages its own routing table through the WASIX
 * port calls, built for wasm32 with no libc:
 *
 *   clang --target=wasm32 -std=c11 -O2 -ffreestanding -mbulk-memory -nostdlib -Wl,--no-entry \
 *         routes_c.c -o routes_c.wasm
 *
 * It is what a program built with wasix-libc does, minus wasix-libc: the structs below are
 * wasix-libc's own (<wasi/api_wasix.h>, generated from the wasix_v1 witx), and the imports are the
 * ones its __wasi_port_* wrappers call. A wasix-libc program would include that header and call
 * __wasi_port_route_add(...) instead of declaring both here; the bytes that cross are the same.
 *
 * Its story, on a dual-stack LAN (the host starts the port's clock at t=1000s):
 *   - takes the address 192.0.2.10/24, adds an IPv4 and an IPv6 route with lifetimes and an
 *     IPv6 on-link route, and sees a route with host bits set refused;
 *   - lists its routes with room for 1 (OVERFLOW, the real count, the first route), then room for 8;
 *   - removes the IPv6 route (and sees a second removal answer NOENT);
 *   - sets an IPv6 link-local gateway, reads its MAC twice;
 *   - lets its IPv4 route expire, and adds it again, renewed.
 * Every answer is checked: each listed entry must be byte for byte the record it added (padding
 * included), and the list buffer past the written entries must be untouched. It reports through
 * the host's "demo" imports, as guests/routes.wat does: demo.say tells the story, demo.check
 * traps the guest on a failed check, demo.wait moves the port's clock.
 */
#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------------------------------------
 * wasix-libc's types (api_wasix.h), for wasm32. Only the layout matters to the host: sizes and
 * offsets are pinned below, as wasix-libc pins them ("witx calculated size").
 * ------------------------------------------------------------------------------------------- */

typedef uint16_t __wasi_errno_t;
#define __WASI_ERRNO_SUCCESS (UINT16_C(0))
#define __WASI_ERRNO_INVAL (UINT16_C(28))
#define __WASI_ERRNO_NOENT (UINT16_C(44))
#define __WASI_ERRNO_OVERFLOW (UINT16_C(61))

typedef uint32_t __wasi_size_t; /* wasix_32v1: a list's count cell is 4 bytes */
typedef uint64_t __wasi_timestamp_t; /* nanoseconds, absolute, on the port's clock */

#define __WASI_OPTION_NONE (UINT8_C(0))
#define __WASI_OPTION_SOME (UINT8_C(1))
typedef union __wasi_option_timestamp_u_t {
    uint8_t none;
    __wasi_timestamp_t some;
} __wasi_option_timestamp_u_t;
typedef struct __wasi_option_timestamp_t {
    uint8_t tag;
    __wasi_option_timestamp_u_t u;
} __wasi_option_timestamp_t;

typedef struct __wasi_hardware_address_t {
    uint8_t n0, n1, n2, h0, h1, h2;
} __wasi_hardware_address_t;

#define __WASI_ADDRESS_FAMILY_UNSPEC (UINT8_C(0))
#define __WASI_ADDRESS_FAMILY_INET4 (UINT8_C(1))
#define __WASI_ADDRESS_FAMILY_INET6 (UINT8_C(2))

typedef struct __wasi_addr_unspec_t { uint8_t n0; } __wasi_addr_unspec_t;
typedef struct __wasi_addr_unspec_cidr_t { __wasi_addr_unspec_t addr; uint8_t prefix; } __wasi_addr_unspec_cidr_t;

/* IPv4: the four octets in network order, n0 the first dotted one. */
typedef struct __wasi_addr_ip4_t { uint8_t n0, n1, h0, h1; } __wasi_addr_ip4_t;
typedef struct __wasi_addr_ip4_cidr_t { __wasi_addr_ip4_t addr; uint8_t prefix; } __wasi_addr_ip4_cidr_t;

/* IPv6: eight u16 fields that hold the 16 octets in NETWORK order (wasix-libc's sockaddr_to_wasi
 * memcpy's s6_addr into them), so they are written bytewise, never as numbers. Flow info and scope
 * id are split in u16 halves, the most significant half first. */
typedef struct __wasi_addr_ip6_t {
    uint16_t n0, n1, n2, n3, h0, h1, h2, h3;
    uint16_t flow_info1, flow_info0;
    uint16_t scope_id1, scope_id0;
} __wasi_addr_ip6_t;
typedef struct __wasi_addr_ip6_cidr_t { __wasi_addr_ip6_t addr; uint8_t prefix; } __wasi_addr_ip6_cidr_t;

typedef struct __wasi_addr_unix_t { uint8_t b[108]; } __wasi_addr_unix_t; /* wasix-libc: b0 ... b107 */
typedef struct __wasi_addr_unix_cidr_t { uint8_t unused; } __wasi_addr_unix_cidr_t;

typedef union __wasi_addr_u_t {
    __wasi_addr_unspec_t unspec;
    __wasi_addr_ip4_t inet4;
    __wasi_addr_ip6_t inet6;
    __wasi_addr_unix_t unix;
} __wasi_addr_u_t;
typedef struct __wasi_addr_t {
    uint8_t tag;
    __wasi_addr_u_t u;
} __wasi_addr_t;

typedef union __wasi_addr_cidr_u_t {
    __wasi_addr_unspec_cidr_t unspec;
    __wasi_addr_ip4_cidr_t inet4;
    __wasi_addr_ip6_cidr_t inet6;
    __wasi_addr_unix_cidr_t unix;
} __wasi_addr_cidr_u_t;
typedef struct __wasi_addr_cidr_t {
    uint8_t tag;
    __wasi_addr_cidr_u_t u;
} __wasi_addr_cidr_t;

typedef struct __wasi_route_t {
    __wasi_addr_cidr_t cidr;
    __wasi_addr_t via_router;
    __wasi_option_timestamp_t preferred_until;
    __wasi_option_timestamp_t expires_at;
} __wasi_route_t;

/* The layouts the host reads (wasixnet.h [types.layouts]). If one of these fails, the compiler is not
 * laying the structs out as wasm32 wasix-libc does, and every byte the host sees would be wrong. */
_Static_assert(sizeof(__wasi_option_timestamp_t) == 16 && _Alignof(__wasi_option_timestamp_t) == 8, "option_timestamp");
_Static_assert(offsetof(__wasi_option_timestamp_t, u.some) == 8, "option_timestamp value @8");
_Static_assert(sizeof(__wasi_hardware_address_t) == 6 && _Alignof(__wasi_hardware_address_t) == 1, "hardware_address");
_Static_assert(sizeof(__wasi_addr_t) == 110 && _Alignof(__wasi_addr_t) == 2, "addr");
_Static_assert(offsetof(__wasi_addr_t, u.inet4) == 2, "addr: IPv4 octets @2");
_Static_assert(offsetof(__wasi_addr_t, u.inet6.n0) == 2, "addr: IPv6 octets @2..18");
_Static_assert(offsetof(__wasi_addr_t, u.inet6.flow_info1) == 18, "addr: flow_info1 @18");
_Static_assert(offsetof(__wasi_addr_t, u.inet6.flow_info0) == 20, "addr: flow_info0 @20");
_Static_assert(offsetof(__wasi_addr_t, u.inet6.scope_id1) == 22, "addr: scope_id1 @22");
_Static_assert(offsetof(__wasi_addr_t, u.inet6.scope_id0) == 24, "addr: scope_id0 @24");
_Static_assert(sizeof(__wasi_addr_cidr_t) == 28 && _Alignof(__wasi_addr_cidr_t) == 2, "addr_cidr");
_Static_assert(offsetof(__wasi_addr_cidr_t, u.inet4.prefix) == 6, "addr_cidr: IPv4 prefix @6");
_Static_assert(offsetof(__wasi_addr_cidr_t, u.inet6.prefix) == 26, "addr_cidr: IPv6 prefix @26");
_Static_assert(sizeof(__wasi_route_t) == 176 && _Alignof(__wasi_route_t) == 8, "route");
_Static_assert(offsetof(__wasi_route_t, via_router) == 28, "route: via_router @28");
_Static_assert(offsetof(__wasi_route_t, preferred_until) == 144, "route: preferred_until @144");
_Static_assert(offsetof(__wasi_route_t, expires_at) == 160, "route: expires_at @160");
_Static_assert(sizeof(__wasi_size_t) == 4, "wasix_32v1 count cell");

/* ---------------------------------------------------------------------------------------------
 * Imports. A pointer is an i32 in wasm32, so these prototypes give exactly the wasm signatures
 * wasix_32v1 has, e.g. port_route_add: (i32 i32 i32 i32) -> i32, the i32 an errno.
 * ------------------------------------------------------------------------------------------- */

#define WASIX_IMPORT(name) __attribute__((import_module("wasix_32v1"), import_name(name)))
WASIX_IMPORT("port_addr_add") int32_t port_addr_add(const __wasi_addr_cidr_t *addr);
WASIX_IMPORT("port_route_add") int32_t port_route_add(const __wasi_addr_cidr_t *cidr, const __wasi_addr_t *via_router,
                                                      const __wasi_option_timestamp_t *preferred_until,
                                                      const __wasi_option_timestamp_t *expires_at);
WASIX_IMPORT("port_route_list") int32_t port_route_list(__wasi_route_t *routes, __wasi_size_t *nroutes);
WASIX_IMPORT("port_route_remove") int32_t port_route_remove(const __wasi_addr_t *cidr); /* an addr, not a cidr */
WASIX_IMPORT("port_gateway_set") int32_t port_gateway_set(const __wasi_addr_t *addr);
WASIX_IMPORT("port_mac") int32_t port_mac(__wasi_hardware_address_t *retptr0);

/* The example host's own imports: strings are NUL-terminated, in this guest's memory. */
#define DEMO_IMPORT(name) __attribute__((import_module("demo"), import_name(name)))
DEMO_IMPORT("say") void demo_say(const char *text);               /* a line of the story */
DEMO_IMPORT("check") void demo_check(int32_t ok, const char *what); /* ok == 0: the host traps us */
DEMO_IMPORT("wait") void demo_wait(int64_t seconds);              /* the port's clock moves on */

/* ---------------------------------------------------------------------------------------------
 * Helpers. With -mbulk-memory these builtins are the memory.fill / memory.copy instructions, so
 * no libc memset or memcpy is needed (or linked).
 * ------------------------------------------------------------------------------------------- */

static void fill_bytes(void *p, uint8_t byte, size_t n) { __builtin_memset(p, byte, n); }
static void copy_bytes(void *dst, const void *src, size_t n) { __builtin_memcpy(dst, src, n); }

static int same_bytes(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i])
            return 0;
    return 1;
}

static int all_bytes(const void *p, uint8_t byte, size_t n)
{
    const uint8_t *x = p;
    for (size_t i = 0; i < n; i++)
        if (x[i] != byte)
            return 0;
    return 1;
}

static void expect(int32_t got, __wasi_errno_t want, const char *what) { demo_check(got == want, what); }

#define SEC UINT64_C(1000000000)
#define NONE 0 /* as a lifetime: no timestamp (tag none) */

/* Every struct starts all zero: the host writes zeros in every byte that means nothing (padding,
 * an on-link route's router, a `none` timestamp's value), so a record built this way can be
 * compared with what the host lists, byte for byte. */

static void ip4(__wasi_addr_ip4_t *ip, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    ip->n0 = a, ip->n1 = b, ip->h0 = c, ip->h1 = d;
}

static void ip6(__wasi_addr_ip6_t *ip, const uint8_t octets[16], uint32_t scope_id)
{
    copy_bytes(&ip->n0, octets, 16); /* network order, byte by byte */
    ip->scope_id1 = (uint16_t)(scope_id >> 16);
    ip->scope_id0 = (uint16_t)scope_id;
}

static void addr4(__wasi_addr_t *a, uint8_t o0, uint8_t o1, uint8_t o2, uint8_t o3)
{
    fill_bytes(a, 0, sizeof *a);
    a->tag = __WASI_ADDRESS_FAMILY_INET4;
    ip4(&a->u.inet4, o0, o1, o2, o3);
}

static void addr6(__wasi_addr_t *a, const uint8_t octets[16], uint32_t scope_id)
{
    fill_bytes(a, 0, sizeof *a);
    a->tag = __WASI_ADDRESS_FAMILY_INET6;
    ip6(&a->u.inet6, octets, scope_id);
}

static void cidr4(__wasi_addr_cidr_t *c, uint8_t o0, uint8_t o1, uint8_t o2, uint8_t o3, uint8_t prefix)
{
    fill_bytes(c, 0, sizeof *c);
    c->tag = __WASI_ADDRESS_FAMILY_INET4;
    ip4(&c->u.inet4.addr, o0, o1, o2, o3);
    c->u.inet4.prefix = prefix;
}

static void cidr6(__wasi_addr_cidr_t *c, const uint8_t octets[16], uint8_t prefix)
{
    fill_bytes(c, 0, sizeof *c);
    c->tag = __WASI_ADDRESS_FAMILY_INET6;
    ip6(&c->u.inet6.addr, octets, 0);
    c->u.inet6.prefix = prefix;
}

/* An absolute time in seconds on the port's clock, or NONE. */
static void lifetime(__wasi_option_timestamp_t *t, uint64_t seconds)
{
    fill_bytes(t, 0, sizeof *t);
    if (seconds != NONE) {
        t->tag = __WASI_OPTION_SOME;
        t->u.some = seconds * SEC;
    }
}

/* A whole route record: what port_route_add gets (pointers to its four fields) and what
 * port_route_list must give back. via NULL: on-link (router tag unspec). */
static void route(__wasi_route_t *r, const __wasi_addr_cidr_t *cidr, const __wasi_addr_t *via, uint64_t preferred_s,
                  uint64_t expires_s)
{
    fill_bytes(r, 0, sizeof *r);
    copy_bytes(&r->cidr, cidr, sizeof r->cidr);
    if (via)
        copy_bytes(&r->via_router, via, sizeof r->via_router);
    lifetime(&r->preferred_until, preferred_s);
    lifetime(&r->expires_at, expires_s);
}

static int32_t add(const __wasi_route_t *r)
{
    return port_route_add(&r->cidr, &r->via_router, &r->preferred_until, &r->expires_at);
}

/* ---------------------------------------------------------------------------------------------
 * The list protocol, checked
 * ------------------------------------------------------------------------------------------- */

#define ROOM 8
static __wasi_route_t listed[ROOM];

/* Lists the routes into room for `room` entries and holds the answer to the contract: the count
 * cell says n, the number of routes; OVERFLOW exactly when n > room; the first min(n, room)
 * entries are `want` in order, byte for byte; every byte of the buffer past them is untouched. */
static void list_and_check(__wasi_size_t room, const __wasi_route_t *const *want, __wasi_size_t n)
{
    __wasi_size_t count = room; /* in: the capacity; out: how many routes there are */
    __wasi_size_t fit = n < room ? n : room;

    fill_bytes(listed, 0xaa, sizeof listed); /* so a stray write shows */
    int32_t err = port_route_list(listed, &count);
    expect(err, n > room ? __WASI_ERRNO_OVERFLOW : __WASI_ERRNO_SUCCESS,
           "port_route_list answers OVERFLOW exactly when the routes outnumber the room, else SUCCESS");
    demo_check(count == n, "port_route_list's count cell holds the number of routes");
    for (__wasi_size_t i = 0; i < fit; i++)
        demo_check(same_bytes(&listed[i], want[i], sizeof listed[i]),
                   "each listed entry is byte for byte the route the guest added, in order");
    demo_check(all_bytes(&listed[fit], 0xaa, (ROOM - fit) * sizeof listed[0]),
               "nothing is written past the entries that fit");
}

/* ---------------------------------------------------------------------------------------------
 * The guest's life
 * ------------------------------------------------------------------------------------------- */

static const uint8_t NET6_A[16] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x0a};  /* 2001:db8:a:: */
static const uint8_t NET6_LAN[16] = {0xfd, 0x00, 0x00, 0x01};            /* fd00:1:: */
static const uint8_t ANY6[16] = {0};                                     /* :: */
static const uint8_t ROUTER6[16] = {0xfe, 0x80, [15] = 0x01};            /* fe80::1 */
#define LAN_SCOPE 3 /* the interface index a link-local address needs, kept as its scope id */

static __wasi_route_t v4, v6, lan6, default6, v4_renewed;

__attribute__((export_name("run"))) void run(void)
{
    __wasi_addr_cidr_t cidr;
    __wasi_addr_t addr, router;

    demo_say("I take 192.0.2.10/24, then add 3 routes: IPv4 and IPv6 with lifetimes, and fd00:1::/64 on-link");
    cidr4(&cidr, 192, 0, 2, 10, 24);
    expect(port_addr_add(&cidr), __WASI_ERRNO_SUCCESS, "port_addr_add answers SUCCESS");

    /* Lifetimes are absolute times on the port's clock (now t=1000s). */
    cidr4(&cidr, 198, 51, 100, 0, 24);
    addr4(&router, 192, 0, 2, 1);
    route(&v4, &cidr, &router, 1200, 1500); /* 198.51.100.0/24 via 192.0.2.1 */
    cidr6(&cidr, NET6_A, 48);
    addr6(&router, ROUTER6, LAN_SCOPE);
    route(&v6, &cidr, &router, 1400, 2000); /* 2001:db8:a::/48 via fe80::1%3 */
    cidr6(&cidr, NET6_LAN, 64);
    route(&lan6, &cidr, NULL, NONE, NONE); /* fd00:1::/64, on-link, for ever */
    expect(add(&v4), __WASI_ERRNO_SUCCESS, "port_route_add answers SUCCESS");
    expect(add(&v6), __WASI_ERRNO_SUCCESS, "port_route_add answers SUCCESS");
    expect(add(&lan6), __WASI_ERRNO_SUCCESS, "port_route_add answers SUCCESS");

    /* A route's CIDR must be a network: 203.0.113.7/24 has host bits set. */
    demo_say("I try 203.0.113.7/24, which has host bits set");
    __wasi_route_t bad;
    cidr4(&cidr, 203, 0, 113, 7, 24);
    route(&bad, &cidr, NULL, NONE, NONE);
    expect(add(&bad), __WASI_ERRNO_INVAL, "a route with host bits set is refused with INVAL");

    /* The list protocol: room for 1 of the 3, then room for all. */
    const __wasi_route_t *three[] = {&v4, &v6, &lan6};
    demo_say("I list my routes into room for 1");
    list_and_check(1, three, 3);
    demo_say("I got OVERFLOW, the real count (3), and my first route exactly as I added it");
    demo_say("I list them again, with room for 8");
    list_and_check(ROOM, three, 3);
    demo_say("all 3 came back byte for byte as I added them, in order (the refused one is not there)");

    /* port_route_remove takes the CIDR's address: every route to it goes. */
    demo_say("I remove the route to 2001:db8:a::, then try again");
    addr6(&addr, NET6_A, 0);
    expect(port_route_remove(&addr), __WASI_ERRNO_SUCCESS, "port_route_remove answers SUCCESS");
    expect(port_route_remove(&addr), __WASI_ERRNO_NOENT, "removing it a second time answers NOENT");
    const __wasi_route_t *two[] = {&v4, &lan6};
    list_and_check(ROOM, two, 2);
    demo_say("2 routes left, unchanged and in order");

    /* The gateway is the default route ::/0 via it, with no lifetimes, listed last. */
    demo_say("I set my IPv6 gateway to fe80::1%3");
    addr6(&router, ROUTER6, LAN_SCOPE);
    expect(port_gateway_set(&router), __WASI_ERRNO_SUCCESS, "port_gateway_set answers SUCCESS");
    cidr6(&cidr, ANY6, 0);
    route(&default6, &cidr, &router, NONE, NONE);
    const __wasi_route_t *with_gateway[] = {&v4, &lan6, &default6};
    list_and_check(ROOM, with_gateway, 3);
    demo_say("its default route ::/0 via fe80::1%3 came last, scope id and all");

    /* The MAC is the port's own, the same on every call; locally administered unicast means the
     * first octet's two low bits are 1 (local) and 0 (unicast). */
    demo_say("I read my MAC, twice");
    __wasi_hardware_address_t mac, again;
    expect(port_mac(&mac), __WASI_ERRNO_SUCCESS, "port_mac answers SUCCESS");
    expect(port_mac(&again), __WASI_ERRNO_SUCCESS, "port_mac answers SUCCESS");
    demo_check(same_bytes(&mac, &again, sizeof mac), "port_mac gives the same MAC both times");
    demo_check((mac.n0 & 3) == 2, "the MAC is a locally administered unicast address");

    /* Lifetimes: at t=1600s the IPv4 route (expires t=1500s) is gone, and its CIDR is free. */
    demo_say("I wait until my IPv4 route has expired (t=1600s), and list again");
    demo_wait(600);
    const __wasi_route_t *after_expiry[] = {&lan6, &default6};
    list_and_check(ROOM, after_expiry, 2);
    demo_say("the expired route is gone, the others are as I added them");

    demo_say("I add 198.51.100.0/24 again, renewed until t=2500s");
    copy_bytes(&v4_renewed, &v4, sizeof v4);
    lifetime(&v4_renewed.preferred_until, 2200);
    lifetime(&v4_renewed.expires_at, 2500);
    expect(add(&v4_renewed), __WASI_ERRNO_SUCCESS, "port_route_add answers SUCCESS for an expired route's CIDR");
    const __wasi_route_t *renewed[] = {&lan6, &default6, &v4_renewed};
    list_and_check(ROOM, renewed, 3);
    demo_say("it is back, last, with its new lifetimes");
}
