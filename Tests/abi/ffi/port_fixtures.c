/*
 * port_fixtures.c — the fake clock, the embedder hooks, ports and what is checked about them
 * (declared in port_fixtures.h).
 */
#include "port_fixtures.h"

/* ============================================================================================
 * Fake clock, embedder hooks, ports, state snapshots, list checks
 * ========================================================================================== */

fake_clock_t clk;

static wasixnet_timestamp_t clock_hook(void *ctx)
{
    if (ctx != &clk) {
        clk.bad_ctx++;
        return clk.now;
    }
    clk.calls++;
    if (clk.reenter != NULL && clk.depth == 0) {
        wasixnet_route_t r;
        uint32_t n = 1;
        clk.depth++;
        (void)w_route_list(clk.reenter, &r, &n);
        clk.depth--;
    }
    return clk.now;
}

hooks_t hk;

static void copy_str(char *dst, size_t cap, const char *src, size_t len)
{
    memset(dst, 0, cap);
    if (src != NULL)
        memcpy(dst, src, len < cap - 1 ? len : cap - 1);
}
static wasixnet_errno_t bridge_hook(void *ctx, const char *network, size_t network_len, const char *token,
                                    size_t token_len, uint8_t security)
{
    if (ctx != &hk) {
        hk.bad_ctx++;
        return WASIXNET_EIO;
    }
    hk.bridge_calls++;
    copy_str(hk.network, sizeof hk.network, network, network_len);
    copy_str(hk.token, sizeof hk.token, token, token_len);
    hk.network_len = network_len;
    hk.token_len = token_len;
    hk.security = security;
    return hk.bridge_ret;
}
static wasixnet_errno_t unbridge_hook(void *ctx)
{
    if (ctx != &hk) {
        hk.bad_ctx++;
        return WASIXNET_EIO;
    }
    hk.unbridge_calls++;
    return hk.unbridge_ret;
}
/* Re-enters the library: adds DHCP_ADDR to the port it is given and returns that call's errno. */
static wasixnet_errno_t dhcp_hook(void *ctx, wasixnet_port_t *port)
{
    if (ctx != &hk) {
        hk.bad_ctx++;
        return WASIXNET_EIO;
    }
    hk.dhcp_calls++;
    hk.dhcp_port = port;
    const wasixnet_addr_cidr_t c = net(DHCP_ADDR);
    return w_addr_add(port, &c);
}
unsigned hook_calls(void) { return hk.bridge_calls + hk.unbridge_calls + hk.dhcp_calls; }

const uint8_t MAC1[6] = { 0x00, 0x1b, 0x21, 0x0a, 0x0b, 0x0c };

wasixnet_port_config_t cfg_basic(void)
{
    wasixnet_port_config_t c;
    memset(&c, 0, sizeof c);
    c.struct_size = sizeof c;
    c.clock = clock_hook;
    c.clock_ctx = &clk;
    return c;
}
wasixnet_port_config_t cfg_hooks(void)
{
    wasixnet_port_config_t c = cfg_basic();
    c.has_mac = 1;
    memcpy(c.mac, MAC1, 6);
    c.bridge = bridge_hook;
    c.unbridge = unbridge_hook;
    c.dhcp_acquire = dhcp_hook;
    c.hooks_ctx = &hk;
    return c;
}

wasixnet_port_t *new_port_(where_t w, const wasixnet_port_config_t *c)
{
    wasixnet_port_t *p = NULL;
    check_err(w, "port_new", OK, w_port_new(c, &p));
    check_true(w, "port_new stored a port", p != NULL);
    return p;
}

/* Adds a route / an address that a test needs as a precondition. */
void add_route_(where_t w, wasixnet_port_t *p, const wasixnet_route_t *r)
{
    char what[420], t[400];
    uint8_t img[MAX_IMG];
    img_route(LAYOUT_V1, r, img);
    fmt_route_img(img, t, sizeof t);
    snprintf(what, sizeof what, "route_add %s", t);
    check_err(w, what, OK, w_route_add(p, &r->cidr, &r->via_router, &r->preferred_until, &r->expires_at));
}
void add_addr_(where_t w, wasixnet_port_t *p, const wasixnet_addr_cidr_t *c)
{
    char what[160], t[120];
    uint8_t img[MAX_IMG];
    img_cidr(LAYOUT_V1, false, c, img);
    fmt_cidr_img(img, t, sizeof t);
    snprintf(what, sizeof what, "addr_add %s", t);
    check_err(w, what, OK, w_addr_add(p, c));
}

void get_state(wasixnet_port_t *p, state_t *s)
{
    memset(s, 0, sizeof *s);
    s->nr = s->na = SNAP_MAX;
    s->er = w_route_list(p, s->r, &s->nr);
    s->ea = w_addr_list(p, s->a, &s->na);
    s->em = w_mac(p, &s->mac);
}
bool same_state_(where_t w, wasixnet_port_t *p, const state_t *before)
{
    static state_t now;
    get_state(p, &now);
    if (now.nr != before->nr || now.na != before->na)
        return report(w, false, "port changed by a failed call: %u routes / %u addresses before, %u / %u after",
                      before->nr, before->na, now.nr, now.na);
    return check_true(w, "port unchanged by a failed call (route_list, addr_list, mac byte-identical)",
                      memcmp(&now, before, sizeof now) == 0);
}

const list_kind_t list_kinds[2] = {
    [LIST_ROUTES] = { F_port_route_list, F_guest_port_route_list, "route_list" },
    [LIST_ADDRS] = { F_port_addr_list, F_guest_port_addr_list, "addr_list" },
};
size_t stride_of(int which, int layout)
{
    return which == LIST_ROUTES ? shapes[layout].route : shapes[layout].cidr;
}
size_t img_entry(int which, int layout, const void *entries, size_t i, uint8_t *out)
{
    if (which == LIST_ROUTES)
        return img_route(layout, &((const wasixnet_route_t *)entries)[i], out);
    return img_cidr(layout, false, &((const wasixnet_addr_cidr_t *)entries)[i], out);
}
static void fmt_entry(int which, const uint8_t *img, char *out, size_t n)
{
    if (which == LIST_ROUTES)
        fmt_route_img(img, out, n);
    else
        fmt_cidr_img(img, out, n);
}

/* Entries in host memory (wasix_v1 layout) against the expected ones, byte for byte. */
static bool check_entries(where_t w, const char *what, int which, const void *exp, const uint8_t *got, uint32_t n)
{
    const size_t s = stride_of(which, LAYOUT_V1);
    uint8_t img[MAX_IMG];
    for (uint32_t i = 0; i < n; i++) {
        img_entry(which, LAYOUT_V1, exp, i, img);
        if (memcmp(img, got + i * s, s) != 0) {
            size_t j = 0;
            while (img[j] == got[i * s + j])
                j++;
            char te[400], tg[400];
            fmt_entry(which, img, te, sizeof te);
            fmt_entry(which, got + i * s, tg, sizeof tg);
            return report(w, false, "%s: entry %u: expected %s, got %s (first difference at byte %zu: %02x vs %02x)",
                          what, i, te, tg, j, img[j], got[i * s + j]);
        }
    }
    return report(w, true, "");
}

/* A host list call against the expected entries: with capacity n only, or with every capacity
 * around n (0 .. n+1). The buffer is pre-filled with 0xAA, one entry larger than the capacity. */
void expect_list_(where_t w, int which, wasixnet_port_t *p, const void *exp, uint32_t n, bool all_caps)
{
    const size_t stride = stride_of(which, LAYOUT_V1);
    uint32_t caps[8];
    size_t ncaps = 0;
    if (!all_caps)
        caps[ncaps++] = n;
    else if (n <= 5)
        for (uint32_t c = 0; c <= n + 1; c++)
            caps[ncaps++] = c;
    else {
        const uint32_t c5[5] = { 0, 1, n - 1, n, n + 1 };
        memcpy(caps, c5, sizeof c5);
        ncaps = 5;
    }
    for (size_t ci = 0; ci < ncaps; ci++) {
        const uint32_t cap = caps[ci], written = cap < n ? cap : n;
        uint8_t *buf = malloc((cap + 1) * stride);
        char what[160];
        if (buf == NULL)
            die("out of memory");
        memset(buf, 0xAA, (cap + 1) * stride);
        uint32_t count = cap;
        void *vbuf = buf;
        const wasixnet_errno_t e = E(call_id(list_kinds[which].fn, AV(&p, &vbuf, &(uint32_t *){ &count })));
        snprintf(what, sizeof what, "%s with capacity %u: errno", list_kinds[which].name, cap);
        check_err(w, what, cap < n ? EOVERFLOW_ : OK, e);
        snprintf(what, sizeof what, "%s with capacity %u: count written back", list_kinds[which].name, cap);
        check_u64(w, what, n, count);
        snprintf(what, sizeof what, "%s with capacity %u: entries", list_kinds[which].name, cap);
        check_entries(w, what, which, exp, buf, written);
        snprintf(what, sizeof what, "%s with capacity %u: the entry past the capacity untouched",
                 list_kinds[which].name, cap);
        check_filled(w, what, buf + cap * stride, 0xAA, stride);
        free(buf);
    }
}

/* route_lookup(dst): errno, and on success the whole route (byte image) and the deprecated flag.
 * The same lookup is repeated with deprecated = NULL (nullable). */
void expect_lookup_(where_t w, wasixnet_port_t *p, const char *dst, wasixnet_errno_t want,
                    const wasixnet_route_t *want_route, uint8_t want_dep)
{
    const wasixnet_addr_t d = ip(dst);
    wasixnet_route_t out;
    uint8_t dep = 0xAA, img[MAX_IMG];
    char what[200], te[400], tg[400];
    memset(&out, 0xAA, sizeof out);
    snprintf(what, sizeof what, "route_lookup(%s): errno", dst);
    const bool ok = check_err(w, what, want, w_route_lookup(p, &d, &out, &dep));
    if (ok && want == OK) {
        img_route(LAYOUT_V1, want_route, img);
        fmt_route_img(img, te, sizeof te);
        fmt_route_img((const uint8_t *)&out, tg, sizeof tg);
        report(w, memcmp(img, &out, sizeof out) == 0, "route_lookup(%s): expected %s, got %s (byte image differs)",
               dst, te, tg);
        snprintf(what, sizeof what, "route_lookup(%s): deprecated", dst);
        check_u64(w, what, want_dep, dep);
    }
    snprintf(what, sizeof what, "route_lookup(%s) with deprecated = NULL: errno", dst);
    check_err(w, what, want, w_route_lookup(p, &d, &out, NULL));
}

/* ============================================================================================
 * The port a guest case starts from: it holds SETUP_ADDR and setup_route()
 * ========================================================================================== */

wasixnet_route_t setup_route(void) { return R("10.1.0.0/16", "192.168.1.1", NONE, NONE); }

wasixnet_port_t *fresh_port(void)
{
    memset(&hk, 0, sizeof hk);
    const wasixnet_port_config_t c = cfg_hooks();
    wasixnet_port_t *p = NEW_PORT(&c);
    ADD_ADDR(p, SETUP_ADDR);
    ADD_ROUTE(p, setup_route());
    return p;
}
