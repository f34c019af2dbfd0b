/*
 * values.c — addresses, CIDRs, timestamps and routes from literals, their byte images, and their
 * text for failure messages (declared in values.h).
 */
#include "values.h"

#include <arpa/inet.h>
#include <sys/socket.h>

/* ============================================================================================
 * Values: addresses, CIDRs, timestamps, routes, and their byte images
 * ========================================================================================== */

static void set_fs(wasixnet_addr_ip6_t *a, uint32_t flow, uint32_t scope)
{
    a->flow_info1 = (uint16_t)(flow >> 16);
    a->flow_info0 = (uint16_t)flow;
    a->scope_id1 = (uint16_t)(scope >> 16);
    a->scope_id0 = (uint16_t)scope;
}

/* "10.0.0.1", "2001:db8::1", "" (unspec: all zero) or "#N" (tag N, all other bytes zero). */
wasixnet_addr_t ip(const char *s)
{
    wasixnet_addr_t a;
    memset(&a, 0, sizeof a);
    if (s[0] == '\0')
        return a;
    if (s[0] == '#') {
        a.tag = (uint8_t)strtoul(s + 1, NULL, 0);
        return a;
    }
    int ok;
    if (strchr(s, ':')) {
        a.tag = V6;
        ok = inet_pton(AF_INET6, s, a.u.inet6.octets);
    } else {
        a.tag = V4;
        ok = inet_pton(AF_INET, s, a.u.inet4);
    }
    if (ok != 1)
        die("bad address literal \"%s\"", s);
    return a;
}

wasixnet_addr_t ip_fs(const char *s, uint32_t flow, uint32_t scope)
{
    wasixnet_addr_t a = ip(s);
    if (a.tag == V6)
        set_fs(&a.u.inet6, flow, scope);
    return a;
}

/* "10.0.0.0/8", "2001:db8::/32" or "#N". */
wasixnet_addr_cidr_t net(const char *s)
{
    wasixnet_addr_cidr_t c;
    memset(&c, 0, sizeof c);
    if (s[0] == '#') {
        c.tag = (uint8_t)strtoul(s + 1, NULL, 0);
        return c;
    }
    char buf[64];
    snprintf(buf, sizeof buf, "%s", s);
    char *slash = strchr(buf, '/');
    if (slash == NULL)
        die("bad CIDR literal \"%s\"", s);
    *slash = '\0';
    const uint8_t prefix = (uint8_t)strtoul(slash + 1, NULL, 10);
    const wasixnet_addr_t a = ip(buf);
    c.tag = a.tag;
    if (a.tag == V6) {
        memcpy(&c.u.inet6.addr, &a.u.inet6, sizeof c.u.inet6.addr);
        c.u.inet6.prefix = prefix;
    } else {
        memcpy(c.u.inet4.addr, a.u.inet4, 4);
        c.u.inet4.prefix = prefix;
    }
    return c;
}

wasixnet_addr_cidr_t net_fs(const char *s, uint32_t flow, uint32_t scope)
{
    wasixnet_addr_cidr_t c = net(s);
    if (c.tag == V6)
        set_fs(&c.u.inet6.addr, flow, scope);
    return c;
}

wasixnet_option_timestamp_t ots(uint8_t tag, uint64_t value)
{
    wasixnet_option_timestamp_t t;
    memset(&t, 0, sizeof t);
    t.tag = tag;
    t.value = value;
    return t;
}

wasixnet_route_t RX(wasixnet_addr_cidr_t c, wasixnet_addr_t v, wasixnet_option_timestamp_t pu,
                    wasixnet_option_timestamp_t ea)
{
    wasixnet_route_t r;
    memset(&r, 0, sizeof r);
    r.cidr = c;
    r.via_router = v;
    r.preferred_until = pu;
    r.expires_at = ea;
    return r;
}
wasixnet_route_t R(const char *cidr, const char *via_router, wasixnet_option_timestamp_t pu,
                   wasixnet_option_timestamp_t ea)
{
    return RX(net(cidr), ip(via_router), pu, ea);
}

/* --- Byte images -----------------------------------------------------------------------------
 * What a struct must look like in memory, built from its meaningful fields only: every other byte
 * is zero (wasixnet.h [port.lists]: "bytes with no meaning ... are zero"). `input` images are what a guest
 * writes (Wasmer layout: IPv6 groups as little-endian u16s); output images are what the library
 * writes (network-order IPv6 bytes). */

const shape_t shapes[2] = {
    [LAYOUT_V1] = { 110, 28, 176, 28, 144, 160, 26 },  /* wasixnet.h [types.layouts] */
    [LAYOUT_WASMER] = { 18, 19, 72, 19, 40, 56, 18 },  /* wasixnet.h [guest.layouts] */
};

void put_le(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static uint64_t get_le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = n; i-- > 0;)
        v = v << 8 | p[i];
    return v;
}

static void img_ip6(int layout, bool input, const wasixnet_addr_ip6_t *a, uint8_t *out)
{
    for (unsigned k = 0; k < 16; k++)
        out[k] = layout == LAYOUT_WASMER && input ? a->octets[k ^ 1] : a->octets[k];
    if (layout == LAYOUT_V1) {
        put_le(out + 16, a->flow_info1, 2);
        put_le(out + 18, a->flow_info0, 2);
        put_le(out + 20, a->scope_id1, 2);
        put_le(out + 22, a->scope_id0, 2);
    }
}
size_t img_addr(int layout, bool input, const wasixnet_addr_t *a, uint8_t *out)
{
    memset(out, 0, shapes[layout].addr);
    out[0] = a->tag;
    if (a->tag == V4)
        memcpy(out + 2, a->u.inet4, 4);
    else if (a->tag == V6)
        img_ip6(layout, input, &a->u.inet6, out + 2);
    return shapes[layout].addr;
}
size_t img_cidr(int layout, bool input, const wasixnet_addr_cidr_t *c, uint8_t *out)
{
    memset(out, 0, shapes[layout].cidr);
    out[0] = c->tag;
    if (c->tag == V4) {
        memcpy(out + 2, c->u.inet4.addr, 4);
        out[6] = c->u.inet4.prefix;
    } else if (c->tag == V6) {
        img_ip6(layout, input, &c->u.inet6.addr, out + 2);
        out[shapes[layout].v6_prefix] = c->u.inet6.prefix;
    }
    return shapes[layout].cidr;
}
size_t img_ts(bool input, const wasixnet_option_timestamp_t *t, uint8_t *out)
{
    memset(out, 0, TS_SIZE);
    out[0] = t->tag;
    if (input || t->tag == WASIXNET_OPTION_SOME)
        put_le(out + 8, t->value, 8);
    return TS_SIZE;
}
size_t img_route(int layout, const wasixnet_route_t *r, uint8_t *out)
{
    memset(out, 0, shapes[layout].route);
    img_cidr(layout, false, &r->cidr, out);
    img_addr(layout, false, &r->via_router, out + shapes[layout].via);
    img_ts(false, &r->preferred_until, out + shapes[layout].pu);
    img_ts(false, &r->expires_at, out + shapes[layout].ea);
    return shapes[layout].route;
}

/* Text of a wasix_v1 image, for failure messages. */
static void fmt_addr_img(const uint8_t *b, char *out, size_t n)
{
    char s[INET6_ADDRSTRLEN] = "?";
    if (b[0] == V4) {
        inet_ntop(AF_INET, b + 2, s, sizeof s);
        snprintf(out, n, "%s", s);
    } else if (b[0] == V6) {
        inet_ntop(AF_INET6, b + 2, s, sizeof s);
        const uint64_t flow = get_le(b + 18, 2) << 16 | get_le(b + 20, 2);
        const uint64_t scope = get_le(b + 22, 2) << 16 | get_le(b + 24, 2);
        if (flow || scope)
            snprintf(out, n, "%s(flow 0x%" PRIx64 ", scope 0x%" PRIx64 ")", s, flow, scope);
        else
            snprintf(out, n, "%s", s);
    } else {
        snprintf(out, n, b[0] == 0 ? "unspec" : "tag %u", b[0]);
    }
}
void fmt_cidr_img(const uint8_t *b, char *out, size_t n)
{
    char a[96];
    fmt_addr_img(b, a, sizeof a);
    snprintf(out, n, "%s/%u", a, b[0] == V4 ? b[6] : b[0] == V6 ? b[26] : 0);
}
static void fmt_ts_img(const uint8_t *b, char *out, size_t n)
{
    const uint64_t v = get_le(b + 8, 8);
    if (b[0] == 0 && v == 0)
        snprintf(out, n, "none");
    else if (b[0] == 1)
        snprintf(out, n, "T0%+" PRId64, (int64_t)(v - T0));
    else
        snprintf(out, n, "tag %u value %" PRIu64, b[0], v);
}
void fmt_route_img(const uint8_t *b, char *out, size_t n)
{
    char c[112], v[112], p[48], e[48];
    fmt_cidr_img(b, c, sizeof c);
    fmt_addr_img(b + 28, v, sizeof v);
    fmt_ts_img(b + 144, p, sizeof p);
    fmt_ts_img(b + 160, e, sizeof e);
    snprintf(out, n, "{%s via %s, preferred %s, expires %s}", c, v, p, e);
}
