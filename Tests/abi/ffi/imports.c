/*
 * imports.c — section "imports": the wasixnet_imports table, its entries called through ffi.
 */
#include "guest_memory.h"
#include "sections.h"

/* ============================================================================================
 * Section: the imports table
 * ========================================================================================== */

static const char *const port_calls[N_GUEST] = { "port_bridge",      "port_unbridge",   "port_dhcp_acquire",
                                                  "port_addr_add",    "port_addr_remove", "port_addr_clear",
                                                  "port_addr_list",   "port_mac",        "port_gateway_set",
                                                  "port_route_add",   "port_route_remove", "port_route_clear",
                                                  "port_route_list" };
static const char *const params32[N_GUEST] = { "iiiii", "", "", "i", "i", "", "ii", "i", "i", "iiii", "i", "", "ii" };
static const char *const params64[N_GUEST] = { "IIIIi", "", "", "I", "I", "", "II", "I", "I", "IIII", "I", "", "II" };

static const wasixnet_import_t *imp;
static size_t imp_count;

static wasixnet_host_fn find_import(const char *module, const char *name)
{
    for (size_t i = 0; imp != NULL && i < imp_count; i++)
        if (imp[i].module && imp[i].name && strcmp(imp[i].module, module) == 0 && strcmp(imp[i].name, name) == 0)
            return imp[i].call;
    report(HERE, false, "no import %s.%s", module, name);
    return NULL;
}

static wasixnet_errno_t icall(const char *module, const char *name, wasixnet_port_t *p, const wasixnet_guest_t *g,
                              uint64_t *args)
{
    const wasixnet_host_fn fn = find_import(module, name);
    return fn ? hcall(fn, p, g, args) : 0xFFFF;
}

void test_imports(void)
{
    section = "imports";
    imp_count = 12345;
    imp = w_imports(&imp_count);
    if (!CHECK(imp != NULL))
        return;
    CHECK_EQ(26, imp_count);
    CHECK(w_imports(NULL) == imp);
    /* entries 0..12 are wasix_32v1, 13..25 wasix_64v1; each module has each of the 13 names once
     * (the order inside a module is not fixed by the contract) with that call's params */
    unsigned seen[2][N_GUEST] = { { 0 } };
    for (size_t i = 0; i < 26 && i < imp_count; i++) {
        const bool is64 = i >= N_GUEST;
        set_context("entry %zu", i);
        CHECK_STR(is64 ? "wasix_64v1" : "wasix_32v1", imp[i].module);
        int k = -1;
        for (int j = 0; j < N_GUEST && imp[i].name != NULL; j++)
            if (strcmp(imp[i].name, port_calls[j]) == 0)
                k = j;
        if (report(HERE, k >= 0, "name \"%s\" is not one of the 13 port calls", imp[i].name ? imp[i].name : "NULL")) {
            seen[is64][k]++;
            CHECK_STR(is64 ? params64[k] : params32[k], imp[i].params);
            CHECK_EQ(fns[F_GUEST0 + k].nargs - 2, strlen(is64 ? params64[k] : params32[k])); /* the test's tables */
        }
        CHECK_STR("i", imp[i].results);
        CHECK(imp[i].call != NULL);
    }
    for (int m = 0; m < 2; m++)
        for (int k = 0; k < N_GUEST; k++) {
            set_context("module %s, %s", m ? "wasix_64v1" : "wasix_32v1", port_calls[k]);
            CHECK_EQ(1, seen[m][k]);
        }
    /* every entry: NULL port or NULL guest -> EFAULT */
    guest_use(4, LAYOUT_V1);
    clk.now = T0;
    wasixnet_port_t *p = fresh_port();
    for (size_t i = 0; i < imp_count && imp[i].call != NULL; i++) {
        set_context("entry %zu (%s.%s)", i, imp[i].module ? imp[i].module : "?", imp[i].name ? imp[i].name : "?");
        uint64_t args[8] = { 0x100, 4, 0x200, 3, 1, 0, 0, 0 };
        CHECK_ERR(EFAULT_, hcall(imp[i].call, NULL, &gst, args));
        CHECK_ERR(EFAULT_, hcall(imp[i].call, p, NULL, args));
    }
    clear_context();
    w_port_free(p);

    /* wasix_32v1 entries: 4-byte count cell whatever guest->pointer_size says; only the low 32 bits
     * of each argument count */
    guest_use(8, LAYOUT_V1);
    p = fresh_port();
    const wasixnet_route_t r = R("10.2.0.0/16", "192.168.1.1", NONE, AT(50));
    gput_cidr(0x100, &r.cidr);
    gput_addr(0x500, &r.via_router);
    gput_ts(0x900, &r.preferred_until);
    gput_ts(0xD00, &r.expires_at);
    const uint64_t hi = UINT64_C(0xFFFFFFFF00000000);
    CHECK_ERR(OK, icall("wasix_32v1", "port_route_add", p, &gst,
                        GARGS(hi | 0x100, hi | 0x500, UINT64_C(0x100000000) | 0x900, 0xD00)));
    EXPECT_ROUTES(p, setup_route(), r);
    gput_cell(gmem, 0x3003, 4, 4);
    gwrite(gmem, 0x3007, "\xff\xff\xff\xff", 4); /* an 8-byte read would see a huge capacity */
    gexp_begin();
    gexp_entries(LIST_ROUTES, 0x2001, (const wasixnet_route_t[]){ setup_route(), r }, 2);
    gput_cell(gexp, 0x3003, 2, 4);
    CHECK_ERR(OK, icall("wasix_32v1", "port_route_list", p, &gst, GARGS(hi | 0x2001, hi | 0x3003)));
    GEXP_CHECK("wasix_32v1 port_route_list: entries and a 4-byte count cell");
    gexp_begin();
    gwrite(gexp, 0x909, MAC1, 6);
    CHECK_ERR(OK, icall("wasix_32v1", "port_mac", p, &gst, GARGS(hi | 0x909)));
    GEXP_CHECK("wasix_32v1 port_mac");
    gwrite(gmem, 0xA01, "net0", 4);
    gwrite(gmem, 0xB03, "tok", 3);
    hk.bridge_ret = WASIXNET_EADDRINUSE;
    CHECK_ERR(WASIXNET_EADDRINUSE,
              icall("wasix_32v1", "port_bridge", p, &gst, GARGS(hi | 0xA01, hi | 4, 0xB03, 3, hi | 1)));
    CHECK_STR("net0", hk.network);
    CHECK_EQ(1, hk.security);
    w_port_free(p);

    /* wasix_64v1 entries: 8-byte count cell whatever guest->pointer_size says */
    guest_use(4, LAYOUT_V1);
    p = fresh_port();
    gput_cell(gmem, 0x3003, (UINT64_C(1) << 32) | 4, 8); /* a 4-byte read would see 4 */
    gexp_begin();
    CHECK_ERR(EFAULT_, icall("wasix_64v1", "port_route_list", p, &gst, GARGS(0x2001, 0x3003)));
    GEXP_CHECK("wasix_64v1 port_route_list with 2^32 + 4 in the 8-byte cell: nothing written");
    gput_cell(gmem, 0x3003, 4, 8);
    gexp_begin();
    gexp_entries(LIST_ROUTES, 0x2001, (const wasixnet_route_t[]){ setup_route() }, 1);
    gput_cell(gexp, 0x3003, 1, 8);
    CHECK_ERR(OK, icall("wasix_64v1", "port_route_list", p, &gst, GARGS(0x2001, 0x3003)));
    GEXP_CHECK("wasix_64v1 port_route_list: entries and an 8-byte count cell");
    gwrite(gmem, 0xA01, "net1", 4);
    gwrite(gmem, 0xB03, "tok", 3);
    hk.bridge_ret = OK;
    CHECK_ERR(OK, icall("wasix_64v1", "port_bridge", p, &gst, GARGS(0xA01, 4, 0xB03, 3, 2)));
    CHECK_STR("net1", hk.network);
    CHECK_EQ(2, hk.security);
    uint64_t none[1] = { 0 };
    CHECK_ERR(OK, icall("wasix_64v1", "port_route_clear", p, &gst, none));
    EXPECT_NO_ROUTES(p);
    CHECK_ERR(OK, icall("wasix_32v1", "port_dhcp_acquire", p, &gst, none));
    EXPECT_ADDRS(p, net(SETUP_ADDR), net(DHCP_ADDR));
    w_port_free(p);
}
