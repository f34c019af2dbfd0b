/*
 * port_routes.c — sections "route_add", "limits", "lists", "route_remove" and "gateway": the
 * route table through the host calls.
 */
#include "port_fixtures.h"
#include "sections.h"

/* ============================================================================================
 * Section: route_add validation, in the contract's order. Good and bad cases are interleaved;
 * after each bad one the port must be unchanged, and at the end the list holds exactly the
 * good ones, in order, with every meaningless byte zero.
 * ========================================================================================== */

typedef struct {
    uint8_t tag;
    int64_t rel; /* tag 1: T0 + rel; otherwise the raw value */
} tsdef_t;

static wasixnet_option_timestamp_t ts_of(tsdef_t d)
{
    return ots(d.tag, d.tag == 1 ? T0 + (uint64_t)d.rel : (uint64_t)d.rel);
}

static void scribble(void *obj, size_t from, size_t to) { memset((uint8_t *)obj + from, 0x5A, to - from); }
/* Fills every byte without meaning (padding, the unused part of unions, a none's value). */
static void scribble_cidr(wasixnet_addr_cidr_t *c)
{
    scribble(c, 1, 2);
    scribble(c, c->tag == V4 ? 7 : 27, sizeof *c);
}
static void scribble_addr(wasixnet_addr_t *a)
{
    scribble(a, 1, 2);
    scribble(a, a->tag == V4 ? 6 : a->tag == V6 ? 26 : 2, sizeof *a);
}
static void scribble_ts(wasixnet_option_timestamp_t *t)
{
    scribble(t, 1, 8);
    if (t->tag == 0)
        t->value = UINT64_C(0x5A5A5A5A5A5A5A5A);
}

typedef struct {
    const char *what, *cidr, *via;
    tsdef_t pu, ea;
    wasixnet_errno_t want;
    uint32_t flow, scope; /* IPv6 flow info and scope id, for the CIDR and the router */
    bool garbage;         /* scribble on every byte without meaning */
} radd_case_t;
#define TSOME(rel) { 1, (rel) }

static const radd_case_t radd_cases[] = {
    /* 1. family tag */
    { .what = "cidr tag unspec", .cidr = "#0", .via = "192.168.1.1", .want = EINVAL_ },
    { .what = "cidr tag unix", .cidr = "#3", .via = "192.168.1.1", .want = EINVAL_ },
    { .what = "cidr tag 200", .cidr = "#200", .via = "192.168.1.1", .want = EINVAL_ },
    /* 2. prefix length */
    { .what = "IPv4 prefix 33", .cidr = "10.1.0.0/33", .via = "192.168.1.1", .want = EINVAL_ },
    { .what = "IPv4 prefix 255", .cidr = "10.1.0.0/255", .via = "192.168.1.1", .want = EINVAL_ },
    { .what = "IPv6 prefix 129", .cidr = "2001:db8::/129", .via = "fe80::1", .want = EINVAL_ },
    { .what = "IPv4 /32 (longest prefix)", .cidr = "10.9.9.9/32", .via = "192.168.1.1", .want = OK },
    { .what = "IPv6 /128 on-link", .cidr = "2001:db8::1/128", .via = "", .want = OK },
    /* 3. host bits */
    { .what = "host bits 10.1.2.3/24", .cidr = "10.1.2.3/24", .via = "192.168.1.1", .want = EINVAL_ },
    { .what = "host bits 0.0.0.1/0", .cidr = "0.0.0.1/0", .via = "192.168.1.1", .want = EINVAL_ },
    { .what = "host bits 2001:db8::1/64", .cidr = "2001:db8::1/64", .via = "fe80::1", .want = EINVAL_ },
    { .what = "host bits 2001:db8::1/127", .cidr = "2001:db8::1/127", .via = "fe80::1", .want = EINVAL_ },
    /* 4. router family */
    { .what = "IPv6 router for an IPv4 CIDR", .cidr = "10.1.0.0/16", .via = "2001:db8::1", .want = EINVAL_ },
    { .what = "IPv4-mapped IPv6 router for an IPv4 CIDR", .cidr = "10.1.0.0/16", .via = "::ffff:192.168.1.1",
      .want = EINVAL_ },
    { .what = "IPv4 router for an IPv6 CIDR", .cidr = "2001:db8::/32", .via = "192.168.1.1", .want = EINVAL_ },
    { .what = "router tag unix", .cidr = "10.1.0.0/16", .via = "#3", .want = EINVAL_ },
    { .what = "router tag 9", .cidr = "10.1.0.0/16", .via = "#9", .want = EINVAL_ },
    /* 5. router unspecified / multicast / broadcast */
    { .what = "router 0.0.0.0", .cidr = "10.1.0.0/16", .via = "0.0.0.0", .want = EINVAL_ },
    { .what = "router ::", .cidr = "2001:db8::/32", .via = "::", .want = EINVAL_ },
    { .what = "router 224.0.0.1", .cidr = "10.1.0.0/16", .via = "224.0.0.1", .want = EINVAL_ },
    { .what = "router 239.255.255.250", .cidr = "10.1.0.0/16", .via = "239.255.255.250", .want = EINVAL_ },
    { .what = "router ff02::1", .cidr = "2001:db8::/32", .via = "ff02::1", .want = EINVAL_ },
    { .what = "router 255.255.255.255", .cidr = "10.1.0.0/16", .via = "255.255.255.255", .want = EINVAL_ },
    /* 6. option tags */
    { .what = "preferred_until tag 2", .cidr = "10.1.0.0/16", .via = "192.168.1.1", .pu = { 2, 100 },
      .want = EINVAL_ },
    { .what = "preferred_until tag 255", .cidr = "10.1.0.0/16", .via = "192.168.1.1", .pu = { 255, 0 },
      .want = EINVAL_ },
    { .what = "expires_at tag 2", .cidr = "10.1.0.0/16", .via = "192.168.1.1", .ea = { 2, 100 }, .want = EINVAL_ },
    /* 7. preferred_until > expires_at */
    { .what = "preferred_until > expires_at", .cidr = "10.1.0.0/16", .via = "192.168.1.1", .pu = TSOME(200),
      .ea = TSOME(100), .want = EINVAL_ },
    { .what = "preferred_until == expires_at", .cidr = "10.3.0.0/16", .via = "192.168.1.1", .pu = TSOME(50),
      .ea = TSOME(50), .want = OK },
    /* 8. expires_at <= now */
    { .what = "expires_at == now", .cidr = "10.1.0.0/16", .via = "192.168.1.1", .ea = TSOME(0), .want = EINVAL_ },
    { .what = "expires_at == now - 1", .cidr = "10.1.0.0/16", .via = "192.168.1.1", .ea = TSOME(-1),
      .want = EINVAL_ },
    { .what = "expires_at == 0", .cidr = "10.1.0.0/16", .via = "192.168.1.1", .ea = { 1, -(int64_t)T0 },
      .want = EINVAL_ },
    { .what = "expires_at == now + 1, preferred_until in the past", .cidr = "10.2.0.0/16", .via = "",
      .pu = TSOME(-5), .ea = TSOME(1), .want = OK },
    /* 9. duplicates, after every validation rule */
    { .what = "same CIDR as a live route", .cidr = "10.0.0.0/8", .via = "192.168.0.9", .want = EEXIST_ },
    { .what = "same CIDR, on-link", .cidr = "10.0.0.0/8", .via = "", .want = EEXIST_ },
    { .what = "same CIDR with a multicast router (EINVAL first)", .cidr = "10.0.0.0/8", .via = "224.0.0.1",
      .want = EINVAL_ },
    { .what = "same CIDR, expired expires_at (EINVAL first)", .cidr = "10.0.0.0/8", .via = "192.168.0.9",
      .ea = TSOME(0), .want = EINVAL_ },
    { .what = "same CIDR, host bits (EINVAL first)", .cidr = "10.0.0.1/8", .via = "192.168.0.9", .want = EINVAL_ },
    { .what = "10.0.0.0/9 is another CIDR", .cidr = "10.0.0.0/9", .via = "192.168.0.9", .want = OK },
    /* precision of what is listed */
    { .what = "default route via route_add", .cidr = "0.0.0.0/0", .via = "10.0.0.1", .want = OK },
    { .what = "IPv6 flow info and scope id echoed", .cidr = "2001:db8:1::/48", .via = "fe80::1",
      .ea = TSOME(1000), .flow = 0xABCDE, .scope = 0x10002, .want = OK },
    { .what = "none timestamps with non-zero values", .cidr = "10.4.0.0/16", .via = "192.168.1.1",
      .pu = { 0, 12345 }, .ea = { 0, 777 }, .want = OK },
    { .what = "garbage in every meaningless byte (v4, on-link)", .cidr = "10.5.0.0/16", .via = "", .pu = TSOME(10),
      .garbage = true, .want = OK },
    { .what = "garbage in every meaningless byte (v6, via)", .cidr = "2001:db8:5::/48", .via = "fe80::5",
      .ea = TSOME(10), .flow = 7, .scope = 9, .garbage = true, .want = OK },
};
enum { N_RADD = sizeof radd_cases / sizeof radd_cases[0] };

void test_route_add_validation(void)
{
    section = "route_add";
    clk.now = T0;
    const wasixnet_port_config_t c = cfg_basic();
    wasixnet_port_t *p = NEW_PORT(&c);
    static wasixnet_route_t expected[N_RADD + 1];
    static state_t before;
    uint32_t n = 0;
    expected[n] = R("10.0.0.0/8", "192.168.0.1", NONE, NONE);
    add_route_(HERE, p, &expected[n++]);
    for (size_t i = 0; i < N_RADD; i++) {
        const radd_case_t *k = &radd_cases[i];
        set_context("case %zu: %s", i, k->what);
        wasixnet_addr_cidr_t cidr = net_fs(k->cidr, k->flow, k->scope);
        wasixnet_addr_t v = ip_fs(k->via, k->flow, k->scope);
        wasixnet_option_timestamp_t pu = ts_of(k->pu), ea = ts_of(k->ea);
        if (k->garbage) {
            scribble_cidr(&cidr);
            scribble_addr(&v);
            scribble_ts(&pu);
            scribble_ts(&ea);
        }
        get_state(p, &before);
        CHECK_ERR(k->want, w_route_add(p, &cidr, &v, &pu, &ea));
        if (k->want == OK)
            expected[n++] = RX(cidr, v, pu, ea);
        else
            SAME_STATE(p, &before);
    }
    clear_context();
    expect_list_(HERE, LIST_ROUTES, p, expected, n, true);
    w_port_free(p);
}

/* ============================================================================================
 * Section: limits (max_routes, max_addrs and their defaults; expired routes do not count)
 * ========================================================================================== */

void test_limits(void)
{
    section = "limits";
    static state_t before;
    clk.now = T0;
    wasixnet_port_config_t c = cfg_basic();
    c.max_routes = 2;
    wasixnet_port_t *p = NEW_PORT(&c);
    const wasixnet_route_t A = R("10.1.0.0/16", "192.168.1.1", NONE, AT(100)), B = R("10.2.0.0/16", "", NONE, NONE),
                           C = R("10.3.0.0/16", "192.168.1.1", NONE, NONE);
    ADD_ROUTE(p, A);
    ADD_ROUTE(p, B);
    get_state(p, &before);
    CHECK_ERR(ENOMEM_, w_route_add(p, &C.cidr, &C.via_router, &C.preferred_until, &C.expires_at));
    SAME_STATE(p, &before);
    /* EEXIST and EINVAL come before ENOMEM */
    CHECK_ERR(EEXIST_, w_route_add(p, &B.cidr, &B.via_router, &B.preferred_until, &B.expires_at));
    const wasixnet_addr_cidr_t bad = net("10.3.0.1/16");
    CHECK_ERR(EINVAL_, w_route_add(p, &bad, &C.via_router, &C.preferred_until, &C.expires_at));
    /* the gateway's default route counts */
    const wasixnet_addr_t gw1 = ip("192.168.1.254"), gw2 = ip("192.168.1.253");
    CHECK_ERR(ENOMEM_, w_gateway_set(p, &gw1));
    SAME_STATE(p, &before);
    /* expired routes do not count */
    clk.now = T0 + 100;
    EXPECT_ROUTES(p, B);
    ADD_ROUTE(p, C);
    EXPECT_ROUTES(p, B, C);
    CHECK_ERR(ENOMEM_, w_route_add(p, &A.cidr, &A.via_router, &A.preferred_until, &C.expires_at)); /* full again */
    CHECK_ERR(OK, w_route_remove(p, (wasixnet_addr_t[]){ ip("10.2.0.0") }));
    CHECK_ERR(OK, w_gateway_set(p, &gw1));
    const wasixnet_route_t D1 = R("0.0.0.0/0", "192.168.1.254", NONE, NONE),
                           D2 = R("0.0.0.0/0", "192.168.1.253", NONE, NONE);
    EXPECT_ROUTES(p, C, D1);
    CHECK_ERR(ENOMEM_, w_route_add(p, &B.cidr, &B.via_router, &B.preferred_until, &B.expires_at));
    CHECK_ERR(OK, w_gateway_set(p, &gw2)); /* replacing needs no room */
    EXPECT_ROUTES(p, C, D2);
    w_port_free(p);

    /* max_addrs = 1 */
    c = cfg_basic();
    c.max_addrs = 1;
    p = NEW_PORT(&c);
    ADD_ADDR(p, "10.0.0.5/24");
    get_state(p, &before);
    const wasixnet_addr_cidr_t a2 = net("10.0.0.6/24"), a1b = net("10.0.0.5/16"), a0 = net("0.0.0.0/8");
    CHECK_ERR(ENOMEM_, w_addr_add(p, &a2));
    SAME_STATE(p, &before);
    CHECK_ERR(EEXIST_, w_addr_add(p, &a1b));
    CHECK_ERR(EINVAL_, w_addr_add(p, &a0));
    CHECK_ERR(OK, w_addr_remove(p, (wasixnet_addr_t[]){ ip("10.0.0.5") }));
    CHECK_ERR(OK, w_addr_add(p, &a2));
    EXPECT_ADDRS(p, net("10.0.0.6/24"));
    w_port_free(p);

    /* defaults (0): 4096 routes and 256 addresses */
    c = cfg_basic();
    p = NEW_PORT(&c);
    enum { NR = WASIXNET_PORT_DEFAULT_MAX_ROUTES, NA = WASIXNET_PORT_DEFAULT_MAX_ADDRS };
    CHECK_EQ(4096, NR);
    CHECK_EQ(256, NA);
    wasixnet_route_t *all = calloc(NR, sizeof *all);
    if (all == NULL)
        die("out of memory");
    const wasixnet_addr_t gw = ip("192.168.0.1");
    const wasixnet_option_timestamp_t none = NONE;
    unsigned bad_adds = 0;
    for (unsigned i = 0; i < NR; i++) {
        all[i] = RX(net("10.0.0.0/24"), gw, none, none);
        all[i].cidr.u.inet4.addr[1] = (uint8_t)(i >> 8);
        all[i].cidr.u.inet4.addr[2] = (uint8_t)i;
        bad_adds += w_route_add(p, &all[i].cidr, &gw, &none, &none) != OK;
    }
    CHECK_EQ(0, bad_adds);
    const wasixnet_addr_cidr_t extra = net("11.0.0.0/8");
    CHECK_ERR(ENOMEM_, w_route_add(p, &extra, &gw, &none, &none));
    expect_list_(HERE, LIST_ROUTES, p, all, NR, true);
    EXPECT_LOOKUP(p, "10.0.0.7", all[0], 0);
    EXPECT_LOOKUP(p, "10.4.210.7", all[1234], 0);
    EXPECT_LOOKUP(p, "10.15.255.7", all[4095], 0);
    EXPECT_NO_LOOKUP(p, "10.16.0.1", ENETUNREACH_);
    free(all);
    bad_adds = 0;
    for (unsigned i = 0; i < NA; i++) {
        wasixnet_addr_cidr_t a = net("10.100.0.1/24");
        a.u.inet4.addr[2] = (uint8_t)i;
        bad_adds += w_addr_add(p, &a) != OK;
    }
    CHECK_EQ(0, bad_adds);
    CHECK_ERR(ENOMEM_, w_addr_add(p, (wasixnet_addr_cidr_t[]){ net("10.101.0.1/24") }));
    uint32_t count = 0;
    wasixnet_addr_cidr_t one;
    CHECK_ERR(EOVERFLOW_, w_addr_list(p, &one, &count));
    CHECK_EQ(NA, count);
    w_port_free(p);
}

/* ============================================================================================
 * Section: list protocol on a mixed table
 * ========================================================================================== */

void test_lists(void)
{
    section = "lists";
    clk.now = T0;
    const wasixnet_port_config_t c = cfg_basic();
    wasixnet_port_t *p = NEW_PORT(&c);
    expect_list_(HERE, LIST_ROUTES, p, NULL, 0, true);
    expect_list_(HERE, LIST_ADDRS, p, NULL, 0, true);
    const wasixnet_route_t routes[] = {
        R("10.1.0.0/16", "192.168.1.1", NONE, NONE),
        RX(net_fs("2001:db8:1::/48", 0x000ABCDE, 0x00010002), ip_fs("fe80::1", 0xFFFFF, 0xFFFFFFFF), AT(5), AT(500)),
        R("10.2.0.0/16", "", AT(10), AT(20)),
    };
    const wasixnet_addr_cidr_t addrs[] = { net("10.0.0.5/24"), net_fs("2001:db8::5/64", 0x12345, 0x7),
                                           net("192.168.1.10/32") };
    for (size_t i = 0; i < 3; i++) {
        add_route_(HERE, p, &routes[i]);
        add_addr_(HERE, p, &addrs[i]);
    }
    expect_list_(HERE, LIST_ROUTES, p, routes, 3, true);
    expect_list_(HERE, LIST_ADDRS, p, addrs, 3, true);
    w_port_free(p);
}

/* ============================================================================================
 * Section: route_remove and route_clear
 * ========================================================================================== */

void test_route_remove(void)
{
    section = "route_remove";
    static state_t before;
    clk.now = T0;
    const wasixnet_port_config_t c = cfg_basic();
    wasixnet_port_t *p = NEW_PORT(&c);
    const wasixnet_route_t r8 = R("10.0.0.0/8", "192.168.0.1", NONE, NONE),
                           r16 = R("10.0.0.0/16", "192.168.0.1", NONE, NONE),
                           o16 = R("10.1.0.0/16", "192.168.0.1", NONE, NONE), r24 = R("10.0.0.0/24", "", NONE, NONE),
                           v32 = R("2001:db8::/32", "fe80::1", NONE, NONE),
                           v48 = R("2001:db8::/48", "fe80::1", NONE, NONE),
                           gw = R("0.0.0.0/0", "192.168.0.254", NONE, NONE);
    ADD_ROUTE(p, r8);
    ADD_ROUTE(p, r16);
    ADD_ROUTE(p, o16);
    ADD_ROUTE(p, r24);
    ADD_ROUTE(p, v32);
    ADD_ROUTE(p, v48);
    CHECK_ERR(OK, w_gateway_set(p, &gw.via_router));
    EXPECT_ROUTES(p, r8, r16, o16, r24, v32, v48, gw);

    static const struct {
        const char *addr;
        wasixnet_errno_t want;
    } bad[] = { { "10.0.0.1", ENOENT_ }, { "10.1.0.5", ENOENT_ }, { "11.0.0.0", ENOENT_ }, { "2001:db8::1", ENOENT_ },
                { "#0", EINVAL_ },       { "#3", EINVAL_ },       { "#7", EINVAL_ } };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        set_context("route_remove(%s)", bad[i].addr);
        const wasixnet_addr_t a = ip(bad[i].addr);
        get_state(p, &before);
        CHECK_ERR(bad[i].want, w_route_remove(p, &a));
        SAME_STATE(p, &before);
    }
    clear_context();
    /* every prefix length of the address goes */
    CHECK_ERR(OK, w_route_remove(p, (wasixnet_addr_t[]){ ip("10.0.0.0") }));
    EXPECT_ROUTES(p, o16, v32, v48, gw);
    CHECK_ERR(ENOENT_, w_route_remove(p, (wasixnet_addr_t[]){ ip("10.0.0.0") }));
    CHECK_ERR(OK, w_route_remove(p, (wasixnet_addr_t[]){ ip("2001:db8::") }));
    EXPECT_ROUTES(p, o16, gw);
    /* the gateway's default route included */
    CHECK_ERR(OK, w_route_remove(p, (wasixnet_addr_t[]){ ip("0.0.0.0") }));
    EXPECT_ROUTES(p, o16);
    EXPECT_NO_LOOKUP(p, "8.8.8.8", ENETUNREACH_);

    /* route_clear: everything, the gateway's routes included; CIDRs free again */
    ADD_ROUTE(p, r8);
    CHECK_ERR(OK, w_gateway_set(p, &gw.via_router));
    CHECK_ERR(OK, w_gateway_set(p, (wasixnet_addr_t[]){ ip("fe80::1") }));
    CHECK_ERR(OK, w_port_only(F_port_route_clear, p));
    EXPECT_NO_ROUTES(p);
    EXPECT_NO_LOOKUP(p, "10.1.2.3", ENETUNREACH_);
    EXPECT_NO_LOOKUP(p, "2001:4860::8888", ENETUNREACH_);
    CHECK_ERR(OK, w_port_only(F_port_route_clear, p));
    ADD_ROUTE(p, o16);
    ADD_ROUTE(p, r8);
    EXPECT_ROUTES(p, o16, r8);
    w_port_free(p);
}

/* ============================================================================================
 * Section: gateway_set
 * ========================================================================================== */

void test_gateway(void)
{
    section = "gateway";
    static state_t before;
    clk.now = T0;
    const wasixnet_port_config_t c = cfg_basic();
    wasixnet_port_t *p = NEW_PORT(&c);
    const wasixnet_route_t R1 = R("10.1.0.0/16", "192.168.0.1", NONE, NONE), R3 = R("10.3.0.0/16", "", NONE, NONE),
                           D4a = R("0.0.0.0/0", "192.168.0.254", NONE, NONE),
                           D4b = R("0.0.0.0/0", "192.168.0.253", NONE, NONE),
                           D6a = RX(net("::/0"), ip_fs("fe80::1", 0, 3), NONE, NONE),
                           D6b = RX(net("::/0"), ip_fs("fe80::2", 0x1234, 4), NONE, NONE);
    ADD_ROUTE(p, R1);
    CHECK_ERR(OK, w_gateway_set(p, &D4a.via_router));
    EXPECT_ROUTES(p, R1, D4a);
    ADD_ROUTE(p, R3);
    CHECK_ERR(OK, w_gateway_set(p, &D4b.via_router)); /* replaced in place */
    EXPECT_ROUTES(p, R1, D4b, R3);
    CHECK_ERR(OK, w_gateway_set(p, &D6a.via_router));
    EXPECT_ROUTES(p, R1, D4b, R3, D6a);
    CHECK_ERR(OK, w_gateway_set(p, &D6b.via_router));
    EXPECT_ROUTES(p, R1, D4b, R3, D6b);
    EXPECT_LOOKUP(p, "8.8.8.8", D4b, 0);
    EXPECT_LOOKUP(p, "10.1.2.3", R1, 0);
    EXPECT_LOOKUP(p, "2001:4860::8888", D6b, 0);
    /* a route_add of the default CIDR now collides */
    CHECK_ERR(EEXIST_, w_route_add(p, &D4a.cidr, &D4a.via_router, &D4a.preferred_until, &D4a.expires_at));

    static const char *const bad[] = { "0.0.0.0", "::", "224.0.0.1", "239.1.2.3", "ff02::1", "ff0e::1",
                                       "255.255.255.255", "", "#3", "#4" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        set_context("gateway_set(\"%s\")", bad[i]);
        const wasixnet_addr_t a = ip(bad[i]);
        get_state(p, &before);
        CHECK_ERR(EINVAL_, w_gateway_set(p, &a));
        SAME_STATE(p, &before);
    }
    clear_context();
    w_port_free(p);

    /* gateway_set replaces a default route added with route_add, in place, without lifetimes */
    p = NEW_PORT(&c);
    const wasixnet_route_t Dadd = R("0.0.0.0/0", "192.168.0.1", AT(10), AT(100)),
                           Dgw = R("0.0.0.0/0", "192.168.0.2", NONE, NONE);
    ADD_ROUTE(p, R1);
    ADD_ROUTE(p, Dadd);
    ADD_ROUTE(p, R3);
    CHECK_ERR(OK, w_gateway_set(p, &Dgw.via_router));
    EXPECT_ROUTES(p, R1, Dgw, R3);
    clk.now = T0 + 100; /* the replaced route's lifetime no longer applies */
    EXPECT_ROUTES(p, R1, Dgw, R3);
    EXPECT_LOOKUP(p, "8.8.8.8", Dgw, 0);
    w_port_free(p);
}
