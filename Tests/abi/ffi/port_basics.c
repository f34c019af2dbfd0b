/*
 * port_basics.c — sections "versions", "port_new" and "null pointers": what every port call
 * rests on.
 */
#include "port_fixtures.h"
#include "sections.h"

/* ============================================================================================
 * Section: versions and error names
 * ========================================================================================== */

void test_versions(void)
{
    section = "versions";
    CHECK_EQ(1, w_abi_version());
    CHECK_EQ(WASIXNET_ABI_VERSION, w_abi_version());
    CHECK_STR("0.1.0", w_version());
    CHECK_STR(WASIXNET_VERSION_STRING, w_version());
    for (unsigned e = 0; e < WASIXNET_ERRNO_COUNT; e++) {
        set_context("errno %u", e);
        CHECK_STR(errno_names[e], w_errno_name((wasixnet_errno_t)e));
    }
    static const struct {
        wasixnet_errno_t e;
        const char *name;
    } named[] = {
        { 0, "SUCCESS" },        { 1, "2BIG" },           { 20, "EXIST" },         { 21, "FAULT" },
        { 28, "INVAL" },         { 40, "NETUNREACH" },    { 44, "NOENT" },         { 48, "NOMEM" },
        { 58, "NOTSUP" },        { 61, "OVERFLOW" },      { 80, "PENDING" },       { 81, "UNKNOWN_ERRNO" },
        { 82, "UNKNOWN_ERRNO" }, { 255, "UNKNOWN_ERRNO" }, { 256, "UNKNOWN_ERRNO" }, { 65535, "UNKNOWN_ERRNO" },
    };
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++) {
        set_context("errno_name(%u)", named[i].e);
        CHECK_STR(named[i].name, w_errno_name(named[i].e));
    }
    clear_context();
}

/* ============================================================================================
 * Section: port_new and the MAC
 * ========================================================================================== */

static bool local_unicast(const wasixnet_hardware_address_t *m) { return (m->octets[0] & 3) == 2; }

void test_port_new(void)
{
    section = "port_new";
    wasixnet_hardware_address_t m1, m2, m3;
    wasixnet_port_t *p = NULL;

    /* NULL config: every default; a random locally administered unicast MAC, stable */
    CHECK_ERR(OK, w_port_new(NULL, &p));
    CHECK(p != NULL);
    CHECK_ERR(OK, w_mac(p, &m1));
    CHECK(local_unicast(&m1));
    CHECK_ERR(OK, w_mac(p, &m2));
    CHECK_MEM(&m1, &m2, 6);
    wasixnet_port_t *q = NEW_PORT(NULL);
    CHECK_ERR(OK, w_mac(q, &m3));
    CHECK(local_unicast(&m3));
    report(HERE, memcmp(&m1, &m3, 6) != 0, "two ports got the same random MAC");
    w_port_free(p);
    w_port_free(q);
    w_port_free(NULL); /* a no-op */

    wasixnet_port_config_t c = cfg_basic();
    CHECK_ERR(EFAULT_, w_port_new(NULL, NULL));
    CHECK_ERR(EFAULT_, w_port_new(&c, NULL));

    /* configured MAC; has_mac == 0 ignores the mac bytes */
    c.has_mac = 1;
    memcpy(c.mac, MAC1, 6);
    p = NEW_PORT(&c);
    CHECK_ERR(OK, w_mac(p, &m1));
    CHECK_MEM(MAC1, &m1, 6);
    CHECK_ERR(OK, w_mac(p, &m2));
    CHECK_MEM(MAC1, &m2, 6);
    w_port_free(p);
    c.has_mac = 0;
    p = NEW_PORT(&c);
    CHECK_ERR(OK, w_mac(p, &m1));
    CHECK(local_unicast(&m1));
    CHECK_ERR(OK, w_mac(p, &m2));
    CHECK_MEM(&m1, &m2, 6);
    w_port_free(p);

    /* struct_size and flags */
    const long S = (long)sizeof(wasixnet_port_config_t);
    static const struct {
        const char *what;
        long size_delta; /* struct_size = sizeof(wasixnet_port_config_t) + size_delta */
        uint32_t flags;
        wasixnet_errno_t want;
    } cases[] = {
        { "struct_size 0", -72, 0, EINVAL_ },
        { "struct_size 4", -68, 0, EINVAL_ },
        { "struct_size sizeof - 8 (no hooks_ctx)", -8, 0, EINVAL_ },
        { "struct_size sizeof - 1", -1, 0, EINVAL_ },
        { "struct_size sizeof", 0, 0, OK },
        { "struct_size sizeof + 64 (a newer header's zeroed fields)", 64, 0, OK },
        { "flags WASIXNET_PORT_ENFORCE_ROUTES", 0, WASIXNET_PORT_ENFORCE_ROUTES, OK },
        { "flags 2 (unknown bit)", 0, 2, EINVAL_ },
        { "flags 3 (known + unknown bit)", 0, 3, EINVAL_ },
        { "flags 0x80000000", 0, 0x80000000u, EINVAL_ },
        { "flags 0xffffffff", 0, 0xffffffffu, EINVAL_ },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        union {
            wasixnet_port_config_t c;
            uint8_t bytes[sizeof(wasixnet_port_config_t) + 64];
        } big;
        memset(&big, 0, sizeof big);
        big.c = cfg_basic();
        big.c.struct_size = (uint32_t)(S + cases[i].size_delta);
        big.c.flags = cases[i].flags;
        set_context("%s", cases[i].what);
        p = NULL;
        CHECK_ERR(cases[i].want, w_port_new(&big.c, &p));
        if (cases[i].want == OK)
            CHECK(p != NULL);
        else
            report(HERE, p == NULL, "a failed port_new wrote %p to *out", (void *)p);
        w_port_free(p);
    }
    clear_context();
}

/* ============================================================================================
 * Section: NULL pointers. Every call, every required pointer argument set to NULL in turn
 * (the others valid): EFAULT, and the port and the hooks see nothing.
 * ========================================================================================== */

typedef struct {
    int fn;
    unsigned nullable; /* bit i: argument i may be NULL */
    arg_t a[8];        /* a[0], the port, is filled in at run time */
} nullcase_t;

static wasixnet_addr_cidr_t nc_cidr, nc_cidrs[4];
static wasixnet_addr_t nc_addr;
static wasixnet_option_timestamp_t nc_ts;
static wasixnet_route_t nc_route, nc_routes[4];
static wasixnet_hardware_address_t nc_mac;
static uint32_t nc_count;
static uint8_t nc_dep;
static wasixnet_guest_t nc_guest;

static const nullcase_t null_cases[] = {
    { F_port_bridge, 0, { AP(0), AP("net0"), { .z = 4 }, AP("tok"), { .z = 3 }, { .b = 1 } } },
    { F_port_unbridge, 0, { AP(0) } },
    { F_port_dhcp_acquire, 0, { AP(0) } },
    { F_port_addr_add, 0, { AP(0), AP(&nc_cidr) } },
    { F_port_addr_remove, 0, { AP(0), AP(&nc_addr) } },
    { F_port_addr_clear, 0, { AP(0) } },
    { F_port_addr_list, 0, { AP(0), AP(nc_cidrs), AP(&nc_count) } },
    { F_port_mac, 0, { AP(0), AP(&nc_mac) } },
    { F_port_gateway_set, 0, { AP(0), AP(&nc_addr) } },
    { F_port_route_add, 0, { AP(0), AP(&nc_cidr), AP(&nc_addr), AP(&nc_ts), AP(&nc_ts) } },
    { F_port_route_remove, 0, { AP(0), AP(&nc_addr) } },
    { F_port_route_clear, 0, { AP(0) } },
    { F_port_route_list, 0, { AP(0), AP(nc_routes), AP(&nc_count) } },
    { F_port_route_lookup, 1u << 3, { AP(0), AP(&nc_addr), AP(&nc_route), AP(&nc_dep) } },
    { F_guest_port_bridge, 0, { AP(0), AP(&nc_guest), AQ(0x100), AQ(4), AQ(0x200), AQ(3), AQ(1) } },
    { F_guest_port_unbridge, 0, { AP(0), AP(&nc_guest) } },
    { F_guest_port_dhcp_acquire, 0, { AP(0), AP(&nc_guest) } },
    { F_guest_port_addr_add, 0, { AP(0), AP(&nc_guest), AQ(0x100) } },
    { F_guest_port_addr_remove, 0, { AP(0), AP(&nc_guest), AQ(0x100) } },
    { F_guest_port_addr_clear, 0, { AP(0), AP(&nc_guest) } },
    { F_guest_port_addr_list, 0, { AP(0), AP(&nc_guest), AQ(0x100), AQ(0x2000) } },
    { F_guest_port_mac, 0, { AP(0), AP(&nc_guest), AQ(0x100) } },
    { F_guest_port_gateway_set, 0, { AP(0), AP(&nc_guest), AQ(0x100) } },
    { F_guest_port_route_add, 0, { AP(0), AP(&nc_guest), AQ(0x100), AQ(0x200), AQ(0x300), AQ(0x400) } },
    { F_guest_port_route_remove, 0, { AP(0), AP(&nc_guest), AQ(0x100) } },
    { F_guest_port_route_clear, 0, { AP(0), AP(&nc_guest) } },
    { F_guest_port_route_list, 0, { AP(0), AP(&nc_guest), AQ(0x100), AQ(0x2000) } },
};

static uint8_t nc_memory[0x4000];

void test_null_pointers(void)
{
    section = "null pointers";
    memset(&hk, 0, sizeof hk);
    clk.now = T0;
    const wasixnet_port_config_t c = cfg_hooks();
    wasixnet_port_t *port = NEW_PORT(&c);
    ADD_ADDR(port, "10.0.0.5/24");
    ADD_ROUTE(port, R("10.1.0.0/16", "10.0.0.1", NONE, NONE));
    nc_cidr = net("10.200.0.0/16");
    nc_addr = ip("192.168.9.9");
    nc_ts = NONE;
    nc_guest = (wasixnet_guest_t){ nc_memory, sizeof nc_memory, 4, LAYOUT_V1 };
    memset(nc_memory, 0, sizeof nc_memory);
    const unsigned hooks_before = hook_calls();
    static state_t before;
    for (size_t ci = 0; ci < sizeof null_cases / sizeof null_cases[0]; ci++) {
        const nullcase_t *nc = &null_cases[ci];
        const fn_t *f = &fns[nc->fn];
        for (unsigned i = 0; i < f->nargs; i++) {
            if (f->sig[1 + i] != 'p' || (nc->nullable >> i & 1u))
                continue;
            arg_t a[8];
            void *av[8];
            memcpy(a, nc->a, sizeof a);
            a[0].p = port;
            a[i].p = NULL;
            for (unsigned k = 0; k < f->nargs; k++)
                av[k] = &a[k];
            nc_count = 4;
            set_context("%s with argument %u (%s) NULL", f->symbol, i, i == 0 ? "port" : "pointer");
            get_state(port, &before);
            const uint8_t mem_before = nc_memory[0x100];
            CHECK_ERR(EFAULT_, E(call_id(nc->fn, av)));
            SAME_STATE(port, &before);
            CHECK_EQ(mem_before, nc_memory[0x100]);
        }
    }
    clear_context();
    CHECK_EQ(hooks_before, hook_calls());
    /* "Both pointers are required, even with a capacity of 0." */
    uint32_t zero = 0;
    CHECK_ERR(EFAULT_, w_route_list(port, NULL, &zero));
    zero = 0;
    CHECK_ERR(EFAULT_, w_addr_list(port, NULL, &zero));
    w_port_free(port);
}
