/*
 * port_fixtures.h — what the port sections build on: a fake clock and embedder hooks that record
 * their calls, ports configured with them, snapshots of a port's state, and checks of its lists
 * and lookups (each failure reported at the caller's line).
 */
#ifndef WASIXNET_FFI_PORT_FIXTURES_H
#define WASIXNET_FFI_PORT_FIXTURES_H

#include "values.h"

typedef struct {
    uint64_t now;
    unsigned calls, bad_ctx;
    wasixnet_port_t *reenter; /* when set, every clock call first lists this port's routes */
    unsigned depth;
} fake_clock_t;
extern fake_clock_t clk;

typedef struct {
    unsigned bridge_calls, unbridge_calls, dhcp_calls, bad_ctx;
    char network[64], token[64];
    size_t network_len, token_len;
    uint8_t security;
    wasixnet_errno_t bridge_ret, unbridge_ret;
    wasixnet_port_t *dhcp_port;
} hooks_t;
extern hooks_t hk;
#define DHCP_ADDR "10.77.0.9/16" /* what the dhcp_acquire hook adds to the port it is given */
unsigned hook_calls(void);

extern const uint8_t MAC1[6];

/* A config with the fake clock; with the fake clock, MAC1 and every hook. */
wasixnet_port_config_t cfg_basic(void);
wasixnet_port_config_t cfg_hooks(void);

wasixnet_port_t *new_port_(where_t w, const wasixnet_port_config_t *c);
#define NEW_PORT(cfg) new_port_(HERE, (cfg))

/* Adds a route / an address that a test needs as a precondition. */
void add_route_(where_t w, wasixnet_port_t *p, const wasixnet_route_t *r);
void add_addr_(where_t w, wasixnet_port_t *p, const wasixnet_addr_cidr_t *c);
#define ADD_ROUTE(p, r) add_route_(HERE, (p), (const wasixnet_route_t[]){ r })
#define ADD_ADDR(p, s) add_addr_(HERE, (p), (const wasixnet_addr_cidr_t[]){ net(s) })

/* Everything observable about a port, to check that a failed call changed nothing. */
enum { SNAP_MAX = 64 };
typedef struct {
    wasixnet_errno_t er, ea, em;
    uint32_t nr, na;
    wasixnet_route_t r[SNAP_MAX];
    wasixnet_addr_cidr_t a[SNAP_MAX];
    wasixnet_hardware_address_t mac;
} state_t;

void get_state(wasixnet_port_t *p, state_t *s);
bool same_state_(where_t w, wasixnet_port_t *p, const state_t *before);
#define SAME_STATE(p, before) same_state_(HERE, (p), (before))

/* The two list calls, host and guest. */
enum { LIST_ROUTES, LIST_ADDRS };
typedef struct {
    int fn, guest_fn;
    const char *name;
} list_kind_t;
extern const list_kind_t list_kinds[2];
size_t stride_of(int which, int layout);
size_t img_entry(int which, int layout, const void *entries, size_t i, uint8_t *out);

/* A host list call against the expected entries: with capacity n only, or with every capacity
 * around n (0 .. n+1). */
void expect_list_(where_t w, int which, wasixnet_port_t *p, const void *exp, uint32_t n, bool all_caps);
#define EXPECT_ROUTES(p, ...)                                                                                \
    expect_list_(HERE, LIST_ROUTES, (p), (const wasixnet_route_t[]){ __VA_ARGS__ },                          \
                 (uint32_t)(sizeof((const wasixnet_route_t[]){ __VA_ARGS__ }) / sizeof(wasixnet_route_t)), false)
#define EXPECT_ADDRS(p, ...)                                                                                 \
    expect_list_(HERE, LIST_ADDRS, (p), (const wasixnet_addr_cidr_t[]){ __VA_ARGS__ },                       \
                 (uint32_t)(sizeof((const wasixnet_addr_cidr_t[]){ __VA_ARGS__ }) / sizeof(wasixnet_addr_cidr_t)), \
                 false)
#define EXPECT_NO_ROUTES(p) expect_list_(HERE, LIST_ROUTES, (p), NULL, 0, false)
#define EXPECT_NO_ADDRS(p) expect_list_(HERE, LIST_ADDRS, (p), NULL, 0, false)

/* route_lookup(dst): errno, and on success the whole route (byte image) and the deprecated flag. */
void expect_lookup_(where_t w, wasixnet_port_t *p, const char *dst, wasixnet_errno_t want,
                    const wasixnet_route_t *want_route, uint8_t want_dep);
#define EXPECT_LOOKUP(p, dst, route, dep) \
    expect_lookup_(HERE, (p), (dst), OK, (const wasixnet_route_t[]){ route }, (dep))
#define EXPECT_NO_LOOKUP(p, dst, err) expect_lookup_(HERE, (p), (dst), (err), NULL, 0)

/* The port a guest case starts from (guest bounds, guest misc, imports): the hooks, cleared, and
 * SETUP_ADDR and setup_route() added. */
#define SETUP_ADDR "10.0.0.5/24"
wasixnet_route_t setup_route(void);
wasixnet_port_t *fresh_port(void);

#endif
