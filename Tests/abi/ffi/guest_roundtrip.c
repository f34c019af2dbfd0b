/*
 * guest_roundtrip.c — section "guest round trip": every guest-memory call with good input.
 */
#include "guest_memory.h"
#include "sections.h"

/* A guest list call: capacity in the count cell, then errno, the entries and the count cell in
 * guest memory — and nothing else changed. */
static void guest_expect_list_(where_t w, int which, wasixnet_port_t *p, uint64_t buf, uint64_t cell, uint32_t cap,
                               const void *exp, uint32_t n)
{
    char what[160];
    gput_cell(gmem, cell, cap, gst.pointer_size);
    gexp_begin();
    const wasixnet_errno_t e = gcall(list_kinds[which].guest_fn, p, &gst, GARGS(buf, cell));
    snprintf(what, sizeof what, "guest %s with capacity %u: errno", list_kinds[which].name, cap);
    check_err(w, what, cap < n ? EOVERFLOW_ : OK, e);
    gexp_entries(which, buf, exp, cap < n ? cap : n);
    gput_cell(gexp, cell, n, gst.pointer_size);
    snprintf(what, sizeof what, "guest %s with capacity %u: memory (entries, count cell, nothing else)",
             list_kinds[which].name, cap);
    gexp_check_(w, what);
}

/* ============================================================================================
 * Section: guest round trip — every guest call with good input, read back at the right offsets
 * ========================================================================================== */

void guest_roundtrip(uint8_t ps, uint8_t layout)
{
    section = "guest round trip";
    static state_t before;
    guest_use(ps, layout);
    set_context("pointer_size %u, layout %s", ps, layout_name(layout));
    clk.now = T0;
    memset(&hk, 0, sizeof hk);
    const wasixnet_port_config_t c = cfg_hooks();
    wasixnet_port_t *p = NEW_PORT(&c);
    const bool v1 = layout == LAYOUT_V1; /* the Wasmer layout carries no flow info / scope id */
    const uint32_t flow = v1 ? 0xABCDE : 0, scope = v1 ? 0x10002 : 0;
    enum { O_CIDR = 0, O_VIA = 0x301, O_PU = 0x503, O_EA = 0x605, O_ADDR = 0x707, O_MAC = 0x909, O_NET = 0xA01,
           O_TOK = 0xB03, O_BAD = 0xC05, O_BUF = 0x1001, O_CELL = 0x3003 };

    wasixnet_route_t routes[4] = {
        R("10.1.0.0/16", "192.168.1.1", NONE, AT(1000)),
        RX(net_fs("2001:db8:1::/48", flow, scope), ip_fs("fe80::1", flow, scope), AT(10), AT(2000)),
        R("10.2.0.0/16", "", NONE, NONE),
    };
    for (int i = 0; i < 3; i++) {
        gput_cidr(O_CIDR, &routes[i].cidr); /* guest offset 0 is an ordinary offset */
        gput_addr(O_VIA, &routes[i].via_router);
        gput_ts(O_PU, &routes[i].preferred_until);
        gput_ts(O_EA, &routes[i].expires_at);
        gexp_begin();
        CHECK_ERR(OK, gcall(F_guest_port_route_add, p, &gst, GARGS(O_CIDR, O_VIA, O_PU, O_EA)));
        GEXP_CHECK("route_add writes nothing");
    }
    expect_list_(HERE, LIST_ROUTES, p, routes, 3, false);
    static const uint32_t caps3[] = { 8, 3, 2, 1, 0 };
    for (size_t i = 0; i < sizeof caps3 / sizeof caps3[0]; i++)
        guest_expect_list_(HERE, LIST_ROUTES, p, O_BUF, O_CELL, caps3[i], routes, 3);

    /* validation through guest memory: EINVAL, nothing changed */
    static const char *const bad_cidrs[] = { "10.1.0.0/33", "2001:db8::/129", "10.1.2.3/24", "2001:db8::1/64" };
    for (size_t i = 0; i < sizeof bad_cidrs / sizeof bad_cidrs[0]; i++) {
        const wasixnet_addr_cidr_t bc = net(bad_cidrs[i]);
        gput_cidr(O_BAD, &bc);
        gput_addr(O_VIA, (wasixnet_addr_t[]){ ip("") });
        gput_ts(O_PU, (wasixnet_option_timestamp_t[]){ NONE });
        gput_ts(O_EA, (wasixnet_option_timestamp_t[]){ NONE });
        get_state(p, &before);
        gexp_begin();
        set_context("pointer_size %u, layout %s: route_add %s", ps, layout_name(layout), bad_cidrs[i]);
        CHECK_ERR(EINVAL_, gcall(F_guest_port_route_add, p, &gst, GARGS(O_BAD, O_VIA, O_PU, O_EA)));
        SAME_STATE(p, &before);
        GEXP_CHECK("nothing written");
    }
    set_context("pointer_size %u, layout %s", ps, layout_name(layout));

    /* addresses */
    const wasixnet_addr_cidr_t addrs[3] = { net("10.0.0.5/24"), net_fs("2001:db8::5/64", flow, scope),
                                            net(DHCP_ADDR) };
    for (int i = 0; i < 2; i++) {
        gput_cidr(O_CIDR, &addrs[i]);
        CHECK_ERR(OK, gcall(F_guest_port_addr_add, p, &gst, GARGS(O_CIDR)));
    }
    CHECK_ERR(EEXIST_, gcall(F_guest_port_addr_add, p, &gst, GARGS(O_CIDR)));
    expect_list_(HERE, LIST_ADDRS, p, addrs, 2, false);
    static const uint32_t caps2[] = { 4, 2, 1, 0 };
    for (size_t i = 0; i < sizeof caps2 / sizeof caps2[0]; i++)
        guest_expect_list_(HERE, LIST_ADDRS, p, O_BUF, O_CELL, caps2[i], addrs, 2);

    /* mac */
    gexp_begin();
    gwrite(gexp, O_MAC, MAC1, 6);
    CHECK_ERR(OK, gcall(F_guest_port_mac, p, &gst, GARGS(O_MAC)));
    GEXP_CHECK("mac: the configured MAC at its offset, nothing else");

    /* gateway, route_remove, addr_remove */
    routes[3] = R("0.0.0.0/0", "192.168.1.254", NONE, NONE);
    gput_addr(O_ADDR, &routes[3].via_router);
    CHECK_ERR(OK, gcall(F_guest_port_gateway_set, p, &gst, GARGS(O_ADDR)));
    expect_list_(HERE, LIST_ROUTES, p, routes, 4, false);
    gput_addr(O_ADDR, (wasixnet_addr_t[]){ ip("224.0.0.1") });
    CHECK_ERR(EINVAL_, gcall(F_guest_port_gateway_set, p, &gst, GARGS(O_ADDR)));
    gput_addr(O_ADDR, (wasixnet_addr_t[]){ ip("10.1.0.0") });
    CHECK_ERR(OK, gcall(F_guest_port_route_remove, p, &gst, GARGS(O_ADDR)));
    CHECK_ERR(ENOENT_, gcall(F_guest_port_route_remove, p, &gst, GARGS(O_ADDR)));
    gput_addr(O_ADDR, (wasixnet_addr_t[]){ ip("2001:db8:1::") });
    CHECK_ERR(OK, gcall(F_guest_port_route_remove, p, &gst, GARGS(O_ADDR)));
    expect_list_(HERE, LIST_ROUTES, p, routes + 2, 2, false);
    gput_addr(O_ADDR, (wasixnet_addr_t[]){ ip("10.0.0.5") });
    CHECK_ERR(OK, gcall(F_guest_port_addr_remove, p, &gst, GARGS(O_ADDR)));
    CHECK_ERR(ENOENT_, gcall(F_guest_port_addr_remove, p, &gst, GARGS(O_ADDR)));
    expect_list_(HERE, LIST_ADDRS, p, addrs + 1, 1, false);

    /* bridge: strings read from guest memory */
    gwrite(gmem, O_NET, "net0", 4);
    gwrite(gmem, O_TOK, "tok", 3);
    gwrite(gmem, O_BAD, "\xff\xfe", 2);
    hk.bridge_ret = WASIXNET_ECONNREFUSED;
    CHECK_ERR(WASIXNET_ECONNREFUSED, gcall(F_guest_port_bridge, p, &gst, GARGS(O_NET, 4, O_TOK, 3, 1)));
    CHECK_EQ(1, hk.bridge_calls);
    CHECK_STR("net0", hk.network);
    CHECK_STR("tok", hk.token);
    CHECK_EQ(4, hk.network_len);
    CHECK_EQ(3, hk.token_len);
    CHECK_EQ(1, hk.security);
    hk.bridge_ret = OK;
    CHECK_ERR(OK, gcall(F_guest_port_bridge, p, &gst, GARGS(O_NET, 4, O_TOK, 0, 8)));
    CHECK_EQ(8, hk.security);
    static const struct {
        uint64_t net, net_len, tok, tok_len, security;
    } bad_bridge[] = {
        { O_NET, 4, O_TOK, 3, 0 },   { O_NET, 4, O_TOK, 3, 16 }, { O_NET, 4, O_TOK, 3, 257 },
        { O_NET, 4, O_TOK, 3, UINT64_C(0x100000001) }, { O_BAD, 2, O_TOK, 3, 1 }, { O_NET, 4, O_BAD, 1, 1 },
    };
    const unsigned calls = hk.bridge_calls;
    for (size_t i = 0; i < sizeof bad_bridge / sizeof bad_bridge[0]; i++) {
        set_context("pointer_size %u, layout %s: bad bridge case %zu (security %" PRIu64 ")", ps, layout_name(layout),
                    i, bad_bridge[i].security);
        CHECK_ERR(EINVAL_, gcall(F_guest_port_bridge, p, &gst,
                                 GARGS(bad_bridge[i].net, bad_bridge[i].net_len, bad_bridge[i].tok,
                                       bad_bridge[i].tok_len, bad_bridge[i].security)));
    }
    set_context("pointer_size %u, layout %s", ps, layout_name(layout));
    CHECK_EQ(calls, hk.bridge_calls);
    hk.unbridge_ret = WASIXNET_EIO;
    CHECK_ERR(WASIXNET_EIO, gcall(F_guest_port_unbridge, p, &gst, NULL));
    CHECK_ERR(OK, gcall(F_guest_port_dhcp_acquire, p, &gst, NULL));
    expect_list_(HERE, LIST_ADDRS, p, addrs + 1, 2, false);

    /* clear */
    CHECK_ERR(OK, gcall(F_guest_port_route_clear, p, &gst, NULL));
    CHECK_ERR(OK, gcall(F_guest_port_addr_clear, p, &gst, NULL));
    guest_expect_list_(HERE, LIST_ROUTES, p, O_BUF, O_CELL, 4, NULL, 0);
    guest_expect_list_(HERE, LIST_ADDRS, p, O_BUF, O_CELL, 4, NULL, 0);
    clear_context();
    w_port_free(p);
}
