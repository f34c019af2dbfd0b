/*
 * port_addresses.c — sections "addresses", "lookup" and "default clock": the port's own
 * addresses, and which route a destination takes as the clock moves.
 */
#include "port_fixtures.h"
#include "sections.h"

#include <time.h>

/* ============================================================================================
 * Section: own addresses
 * ========================================================================================== */

void test_addresses(void)
{
    section = "addresses";
    static state_t before;
    clk.now = T0;
    const wasixnet_port_config_t c = cfg_basic();
    wasixnet_port_t *p = NEW_PORT(&c);
    const wasixnet_addr_cidr_t a1 = net("10.0.0.5/24"), a2 = net_fs("2001:db8::5/64", 0xABCDE, 0x10002),
                               a3 = net("10.0.0.6/24"), a4 = net("192.168.1.1/32");
    add_addr_(HERE, p, &a1); /* host bits allowed */
    add_addr_(HERE, p, &a2);
    add_addr_(HERE, p, &a3);
    add_addr_(HERE, p, &a4);
    expect_list_(HERE, LIST_ADDRS, p, (const wasixnet_addr_cidr_t[]){ a1, a2, a3, a4 }, 4, true);

    static const struct {
        const char *cidr;
        wasixnet_errno_t want;
    } bad[] = {
        { "10.0.0.5/16", EEXIST_ },  { "10.0.0.5/24", EEXIST_ },   { "10.0.0.5/32", EEXIST_ },
        { "2001:db8::5/48", EEXIST_ }, { "#0", EINVAL_ },          { "#3", EINVAL_ },
        { "#5", EINVAL_ },           { "10.0.0.7/33", EINVAL_ },   { "2001:db8::7/129", EINVAL_ },
        { "0.0.0.0/8", EINVAL_ },    { "0.0.0.0/0", EINVAL_ },     { "::/64", EINVAL_ },
        { "::/128", EINVAL_ },       { "224.0.0.1/4", EINVAL_ },   { "239.1.2.3/32", EINVAL_ },
        { "ff02::1/16", EINVAL_ },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        set_context("addr_add(%s)", bad[i].cidr);
        const wasixnet_addr_cidr_t a = net(bad[i].cidr);
        get_state(p, &before);
        CHECK_ERR(bad[i].want, w_addr_add(p, &a));
        SAME_STATE(p, &before);
    }
    static const struct {
        const char *addr;
        wasixnet_errno_t want;
    } bad_remove[] = { { "10.0.0.9", ENOENT_ }, { "10.0.0.0", ENOENT_ }, { "2001:db8::6", ENOENT_ },
                       { "#0", EINVAL_ },       { "#3", EINVAL_ } };
    for (size_t i = 0; i < sizeof bad_remove / sizeof bad_remove[0]; i++) {
        set_context("addr_remove(%s)", bad_remove[i].addr);
        const wasixnet_addr_t a = ip(bad_remove[i].addr);
        get_state(p, &before);
        CHECK_ERR(bad_remove[i].want, w_addr_remove(p, &a));
        SAME_STATE(p, &before);
    }
    clear_context();
    CHECK_ERR(OK, w_addr_remove(p, (wasixnet_addr_t[]){ ip("10.0.0.5") }));
    CHECK_ERR(ENOENT_, w_addr_remove(p, (wasixnet_addr_t[]){ ip("10.0.0.5") }));
    EXPECT_ADDRS(p, a2, a3, a4);
    CHECK_ERR(OK, w_addr_remove(p, (wasixnet_addr_t[]){ ip_fs("2001:db8::5", 0xABCDE, 0x10002) }));
    EXPECT_ADDRS(p, a3, a4);
    add_addr_(HERE, p, &a1); /* re-added at the end */
    EXPECT_ADDRS(p, a3, a4, a1);
    CHECK_ERR(OK, w_port_only(F_port_addr_clear, p));
    EXPECT_NO_ADDRS(p);
    CHECK_ERR(OK, w_port_only(F_port_addr_clear, p));
    EXPECT_NO_LOOKUP(p, "10.0.0.1", ENETUNREACH_);
    w_port_free(p);
}

/* ============================================================================================
 * Section: route_lookup and lifetimes (the fake clock moves)
 * ========================================================================================== */

void test_lookup(void)
{
    section = "lookup";
    clk.now = T0;
    const wasixnet_port_config_t c = cfg_basic();
    wasixnet_port_t *p = NEW_PORT(&c);
    ADD_ADDR(p, "10.0.0.5/24");
    ADD_ADDR(p, "172.16.5.5/16");
    ADD_ADDR(p, "2001:db8:aa::5/64");
    const wasixnet_route_t A = R("10.0.0.0/8", "192.168.0.1", NONE, NONE),
                           B = R("172.16.0.0/16", "192.168.0.2", NONE, NONE),
                           C = R("10.0.0.128/25", "192.168.0.3", NONE, NONE),
                           V = RX(net("2001:db8::/32"), ip_fs("fe80::1", 0x12345, 2), NONE, NONE),
                           W = RX(net_fs("2001:db8:1::/48", 0xBEEF, 0x30003), ip_fs("fe80::2", 0, 3), NONE, AT(1000)),
                           D = R("10.50.0.0/16", "192.168.0.4", AT(100), AT(200)),
                           own4 = R("10.0.0.0/24", "", NONE, NONE), own6 = R("2001:db8:aa::/64", "", NONE, NONE),
                           G = R("0.0.0.0/0", "192.168.0.254", NONE, NONE);
    ADD_ROUTE(p, A);
    ADD_ROUTE(p, B);
    ADD_ROUTE(p, C);
    ADD_ROUTE(p, V);
    ADD_ROUTE(p, W);
    ADD_ROUTE(p, D);

    EXPECT_LOOKUP(p, "10.0.0.5", own4, 0);   /* own prefix, reported as the masked network */
    EXPECT_LOOKUP(p, "10.0.0.77", own4, 0);  /* own /24 beats the /8 route */
    EXPECT_LOOKUP(p, "10.0.0.200", C, 0);    /* a longer route beats the own prefix */
    EXPECT_LOOKUP(p, "10.9.9.9", A, 0);
    EXPECT_LOOKUP(p, "172.16.1.1", B, 0);    /* an explicit route beats an own prefix of the same length */
    EXPECT_NO_LOOKUP(p, "172.17.0.1", ENETUNREACH_);
    EXPECT_LOOKUP(p, "2001:db8:aa::9", own6, 0);
    EXPECT_LOOKUP(p, "2001:db8:1::1", W, 0); /* flow info and scope id echoed */
    EXPECT_LOOKUP(p, "2001:db8:2::1", V, 0);
    EXPECT_NO_LOOKUP(p, "2001:db9::1", ENETUNREACH_);
    EXPECT_NO_LOOKUP(p, "::ffff:10.0.0.5", ENETUNREACH_); /* IPv4-mapped is IPv6 here */
    EXPECT_NO_LOOKUP(p, "#0", EINVAL_);
    EXPECT_NO_LOOKUP(p, "#3", EINVAL_);
    EXPECT_LOOKUP(p, "10.50.1.1", D, 0);

    CHECK_ERR(OK, w_gateway_set(p, &G.via_router));
    EXPECT_LOOKUP(p, "172.17.0.1", G, 0);
    EXPECT_LOOKUP(p, "10.9.9.9", A, 0);
    const wasixnet_route_t own6r = RX(net("2001:db8:aa::/64"), ip("fe80::3"), NONE, NONE);
    ADD_ROUTE(p, own6r);
    EXPECT_LOOKUP(p, "2001:db8:aa::9", own6r, 0);

    /* lifetimes */
    clk.now = T0 + 99;
    EXPECT_LOOKUP(p, "10.50.1.1", D, 0);
    clk.now = T0 + 100; /* deprecated from now >= preferred_until: still used and listed */
    EXPECT_LOOKUP(p, "10.50.1.1", D, 1);
    EXPECT_ROUTES(p, A, B, C, V, W, D, G, own6r);
    clk.now = T0 + 199;
    EXPECT_LOOKUP(p, "10.50.1.1", D, 1);
    clk.now = T0 + 200; /* gone from now >= expires_at */
    EXPECT_LOOKUP(p, "10.50.1.1", A, 0);
    EXPECT_ROUTES(p, A, B, C, V, W, G, own6r);
    const wasixnet_route_t D2 = R("10.50.0.0/16", "192.168.0.5", NONE, AT(300));
    ADD_ROUTE(p, D2); /* its CIDR is free again */
    EXPECT_LOOKUP(p, "10.50.1.1", D2, 0);
    EXPECT_ROUTES(p, A, B, C, V, W, G, own6r, D2);
    clk.now = T0 + 1000;
    EXPECT_LOOKUP(p, "2001:db8:1::1", V, 0);
    EXPECT_ROUTES(p, A, B, C, V, G, own6r);

    /* an own address removed: its prefix goes with it */
    CHECK_ERR(OK, w_addr_remove(p, (wasixnet_addr_t[]){ ip("10.0.0.5") }));
    EXPECT_LOOKUP(p, "10.0.0.77", A, 0);
    w_port_free(p);
}

/* ============================================================================================
 * Section: the default clock (CLOCK_REALTIME in ns)
 * ========================================================================================== */

static uint64_t realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void test_default_clock(void)
{
    section = "default clock";
    wasixnet_port_t *p = NEW_PORT(NULL);
    const uint64_t now = realtime_ns(), hour = UINT64_C(3600000000000);
    const wasixnet_addr_t onlink = ip("");
    const wasixnet_option_timestamp_t none = NONE, past = ots(1, now - hour), future = ots(1, now + hour),
                                      recent = ots(1, now - 1000000000u);
    const wasixnet_addr_cidr_t c1 = net("10.1.0.0/16"), c2 = net("10.2.0.0/16"), c3 = net("10.3.0.0/16");
    CHECK_ERR(OK, w_route_add(p, &c1, &onlink, &none, &future));
    CHECK_ERR(EINVAL_, w_route_add(p, &c2, &onlink, &none, &past));
    CHECK_ERR(OK, w_route_add(p, &c3, &onlink, &recent, &future));
    EXPECT_LOOKUP(p, "10.3.0.1", RX(c3, onlink, recent, future), 1);
    EXPECT_LOOKUP(p, "10.1.0.1", RX(c1, onlink, none, future), 0);
    w_port_free(p);
}
