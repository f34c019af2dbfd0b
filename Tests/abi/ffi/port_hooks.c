/*
 * port_hooks.c — section "hooks": the embedder's bridge, unbridge and dhcp_acquire hooks.
 */
#include "port_fixtures.h"
#include "sections.h"

/* ============================================================================================
 * Section: hooks (bridge, unbridge, dhcp_acquire) and re-entrancy
 * ========================================================================================== */

typedef struct {
    const char *what, *network;
    size_t network_len; /* SIZE_MAX: strlen */
    const char *token;
    size_t token_len;
    uint8_t security;
    bool valid;
} bridge_case_t;
#define SL SIZE_MAX
static const bridge_case_t bridge_cases[] = {
    { "plain ASCII, UNENCRYPTED", "net0", SL, "tok", SL, 1, true },
    { "multi-byte UTF-8, every flag", "r\xc3\xa9seau-\xe2\x82\xac", SL, "jeton-\xf0\x9f\x94\x91", SL, 15, true },
    { "empty strings", "", 0, "", 0, 2, true },
    { "embedded NUL in the token", "net0", SL, "a\0b", 3, 4, true },
    { "security DOUBLE_ENCRYPTION", "net0", SL, "tok", SL, 8, true },
    { "security 0", "net0", SL, "tok", SL, 0, false },
    { "security 16", "net0", SL, "tok", SL, 16, false },
    { "security 0x11", "net0", SL, "tok", SL, 0x11, false },
    { "security 0xF0", "net0", SL, "tok", SL, 0xF0, false },
    { "security 255", "net0", SL, "tok", SL, 255, false },
    { "network 0xFF", "\xff", SL, "tok", SL, 1, false },
    { "network overlong '/'", "\xc0\xaf", SL, "tok", SL, 1, false },
    { "network surrogate U+D800", "\xed\xa0\x80", SL, "tok", SL, 1, false },
    { "network truncated sequence", "ab\xe2\x82", SL, "tok", SL, 1, false },
    { "network above U+10FFFF", "\xf4\x90\x80\x80", SL, "tok", SL, 1, false },
    { "token lone continuation byte", "net0", SL, "\x80", SL, 1, false },
    { "token 0xFE", "net0", SL, "x\xfe", SL, 1, false },
};

static wasixnet_errno_t bridge_case_call(wasixnet_port_t *p, const bridge_case_t *k)
{
    return w_bridge(p, k->network, k->network_len == SL ? strlen(k->network) : k->network_len, k->token,
                    k->token_len == SL ? strlen(k->token) : k->token_len, k->security);
}

void test_hooks(void)
{
    section = "hooks";
    clk.now = T0;
    memset(&hk, 0, sizeof hk);
    const wasixnet_port_config_t cb = cfg_basic(), ch = cfg_hooks();
    wasixnet_port_t *bare = NEW_PORT(&cb), *p = NEW_PORT(&ch);
    CHECK_ERR(ENOTSUP_, w_port_only(F_port_unbridge, bare));
    CHECK_ERR(ENOTSUP_, w_port_only(F_port_dhcp_acquire, bare));
    hk.bridge_ret = WASIXNET_EPROTO;
    for (size_t i = 0; i < sizeof bridge_cases / sizeof bridge_cases[0]; i++) {
        const bridge_case_t *k = &bridge_cases[i];
        set_context("bridge case %zu: %s", i, k->what);
        CHECK_ERR(k->valid ? ENOTSUP_ : EINVAL_, bridge_case_call(bare, k));
        const unsigned calls = hk.bridge_calls;
        memset(hk.network, 0, sizeof hk.network);
        CHECK_ERR(k->valid ? WASIXNET_EPROTO : EINVAL_, bridge_case_call(p, k));
        CHECK_EQ(calls + (k->valid ? 1 : 0), hk.bridge_calls);
        if (k->valid) {
            const size_t nl = k->network_len == SL ? strlen(k->network) : k->network_len;
            const size_t tl = k->token_len == SL ? strlen(k->token) : k->token_len;
            CHECK_EQ(nl, hk.network_len);
            CHECK_MEM(k->network, hk.network, nl);
            CHECK_EQ(tl, hk.token_len);
            CHECK_MEM(k->token, hk.token, tl);
            CHECK_EQ(k->security, hk.security);
        }
    }
    clear_context();
    static const wasixnet_errno_t rets[] = { OK, WASIXNET_ECONNREFUSED, WASIXNET_EPENDING };
    for (size_t i = 0; i < sizeof rets / sizeof rets[0]; i++) {
        set_context("hooks returning %u", rets[i]);
        hk.bridge_ret = hk.unbridge_ret = rets[i];
        CHECK_ERR(rets[i], w_bridge(p, "n", 1, "t", 1, 1));
        const unsigned calls = hk.unbridge_calls;
        CHECK_ERR(rets[i], w_port_only(F_port_unbridge, p));
        CHECK_EQ(calls + 1, hk.unbridge_calls);
    }
    clear_context();
    /* dhcp_acquire: the hook re-enters the port it is given */
    CHECK_ERR(OK, w_port_only(F_port_dhcp_acquire, p));
    CHECK_EQ(1, hk.dhcp_calls);
    CHECK(hk.dhcp_port == p);
    EXPECT_ADDRS(p, net(DHCP_ADDR));
    EXPECT_LOOKUP(p, "10.77.1.1", R("10.77.0.0/16", "", NONE, NONE), 0);
    CHECK_ERR(EEXIST_, w_port_only(F_port_dhcp_acquire, p)); /* the hook's errno, passed through */
    CHECK_EQ(0, hk.bad_ctx);

    /* a clock that re-enters the port it serves */
    clk.reenter = p;
    const unsigned calls = clk.calls;
    ADD_ROUTE(p, R("10.9.0.0/16", "", NONE, AT(50)));
    EXPECT_LOOKUP(p, "10.9.0.1", R("10.9.0.0/16", "", NONE, AT(50)), 0);
    clk.reenter = NULL;
    CHECK(clk.calls > calls);
    CHECK_EQ(0, clk.bad_ctx);
    w_port_free(bare);
    w_port_free(p);
}
