/*
 * udp_io.c — sections "udp io" and "udp guest": datagrams sent and received on loopback, from
 * host memory and from a guest's canonical-ABI list.
 */
#include "sections.h"
#include "udp_support.h"
#include "values.h"

#include <poll.h>

/* ============================================================================================
 * Section: udp io, for each family. A and B on loopback, streaming to each other; C unconnected.
 * ========================================================================================== */

/* Addresses a test derives from the peer's: the peer itself and invalid ones. */
enum { K_PEER, K_UNSPEC, K_PORT0, K_OTHER_FAMILY, K_TAG2, K_MAPPED, K_OTHER_PORT, K_OTHER_FLOW, K_OTHER_SCOPE,
       K_NONE };
static const char *const kind_names[] = { "the peer",    "the unspecified address", "port 0",
                                          "the other family", "tag 2",           "an IPv4-mapped address",
                                          "the peer's address with another port", "the peer with flow_info 1",
                                          "the peer with scope_id 1", "no address" };
static bool kind_applies(int kind, uint8_t f)
{
    return f == SA6 || (kind != K_MAPPED && kind != K_OTHER_FLOW && kind != K_OTHER_SCOPE);
}
static sa_t addr_kind(int kind, uint8_t f, const sa_t *peer)
{
    const uint16_t port = sa_port(peer);
    sa_t a = *peer;
    switch (kind) {
    case K_UNSPEC: return sa(f == SA4 ? "0.0.0.0" : "::", port);
    case K_PORT0: return loopback(f, 0);
    case K_OTHER_FAMILY: return loopback(f == SA4 ? SA6 : SA4, port);
    case K_TAG2: a.tag = 2; return a;
    case K_MAPPED: return sa("::ffff:127.0.0.1", port);
    case K_OTHER_PORT: return loopback(f, (uint16_t)(port == 65535 ? 1 : port + 1));
    case K_OTHER_FLOW: a.u.ipv6.flow_info = 1; return a;
    case K_OTHER_SCOPE: a.u.ipv6.scope_id = 1; return a;
    default: return a;
    }
}

#define BIG_DG 70000u
static uint8_t big[BIG_DG];
static wasixnet_outgoing_datagram_t many[1025];

static void udp_io(uint8_t f)
{
    sock_t *a = SOCK_IN(f, ST_BOUND, NULL), *b = SOCK_IN(f, ST_BOUND, NULL), *c = SOCK_IN(f, ST_BOUND, NULL);
    if (a == NULL || b == NULL || c == NULL)
        goto out;
    const sa_t la = LOCAL_OF(a), lb = LOCAL_OF(b);
    const sa_t exp_la = loopback(f, sa_port(&la));
    CHECK_MEM(&exp_la, &la, sizeof la);
    CHECK_ST(SOK, w_sock(F_udp_stream, a, &lb));
    CHECK_ST(SOK, w_sock(F_udp_stream, b, &la));
    sa_t r;
    memset(&r, 0xA5, sizeof r);
    CHECK_ST(SOK, w_sock(F_udp_remote_address, a, &r));
    CHECK_MEM(&lb, &r, sizeof r);

    /* stream with a bad remote changes nothing */
    static const int bad_streams[] = { K_UNSPEC, K_PORT0, K_OTHER_FAMILY, K_TAG2, K_MAPPED };
    for (size_t i = 0; i < sizeof bad_streams / sizeof bad_streams[0]; i++) {
        if (!kind_applies(bad_streams[i], f))
            continue;
        set_context("stream(%s)", kind_names[bad_streams[i]]);
        const sa_t bad = addr_kind(bad_streams[i], f, &lb);
        CHECK_ST(S_INVAL, w_sock(F_udp_stream, a, &bad));
        memset(&r, 0xA5, sizeof r);
        CHECK_ST(SOK, w_sock(F_udp_remote_address, a, &r));
        CHECK_MEM(&lb, &r, sizeof r);
    }
    clear_context();

    /* a batch with a zero-length datagram; the peer's own address as remote_address is fine */
    static uint8_t kilo[1000];
    for (size_t i = 0; i < sizeof kilo; i++)
        kilo[i] = (uint8_t)(i * 7u + 1u);
    GRANT(a);
    const wasixnet_outgoing_datagram_t batch[] = { DG("hello", NULL), DG("", NULL), { kilo, sizeof kilo, &lb },
                                                   DG("hello", &lb) };
    SEND_EXPECT(a, batch, 4, SOK, 4);
    EXPECT_RECEIVED(b, &la, BYTES("hello"), BYTES(""), ((bytes_t){ kilo, sizeof kilo }), BYTES("hello"));

    /* the grant: more than granted, no check_send since the last send, an empty send uses it up,
     * stream resets it; none of these sends anything */
    for (size_t i = 0; i < 1025; i++)
        many[i] = DG("m", NULL);
    GRANT(a);
    SEND_EXPECT(a, many, 1025, STRAP, 0);
    GRANT(a);
    SEND_EXPECT(a, many, 1, SOK, 1);
    SEND_EXPECT(a, many, 1, STRAP, 0);
    GRANT(a);
    SEND_EXPECT(a, many, 0, SOK, 0);
    SEND_EXPECT(a, many, 1, STRAP, 0);
    SEND_EXPECT(a, many, 0, SOK, 0); /* no grant needed */
    GRANT(a);
    CHECK_ST(SOK, w_sock(F_udp_stream, a, &lb));
    SEND_EXPECT(a, many, 1, STRAP, 0);
    GRANT(a);
    SEND_EXPECT(a, many, 3, SOK, 3);
    EXPECT_RECEIVED(b, &la, BYTES("m"), BYTES("m"), BYTES("m"), BYTES("m"));

    /* bad datagrams: at index 0 their error (nothing sent), at index 1 OK with the first sent */
    static const struct {
        int kind;      /* remote_address */
        size_t len;    /* 0: "bad" */
        bool null_data;
        status_t want;
    } bad_dgs[] = {
        { K_UNSPEC, 0, false, S_INVAL },       { K_PORT0, 0, false, S_INVAL },
        { K_OTHER_FAMILY, 0, false, S_INVAL }, { K_TAG2, 0, false, S_INVAL },
        { K_MAPPED, 0, false, S_INVAL },       { K_OTHER_PORT, 0, false, S_INVAL },
        { K_OTHER_FLOW, 0, false, S_INVAL },   { K_OTHER_SCOPE, 0, false, S_INVAL },
        { K_NONE, 3, true, S_INVAL },          { K_NONE, 65536, false, S_TOOLARGE },
        { K_NONE, 65535, false, S_TOOLARGE }, /* passes the check; the kernel's EMSGSIZE (IP payload limit) */
        { K_PEER, BIG_DG, false, S_TOOLARGE },
    };
    bytes_t exp_second[sizeof bad_dgs / sizeof bad_dgs[0]];
    size_t n_second = 0;
    static char labels[sizeof bad_dgs / sizeof bad_dgs[0]][8];
    for (size_t i = 0; i < sizeof bad_dgs / sizeof bad_dgs[0]; i++) {
        if (!kind_applies(bad_dgs[i].kind, f))
            continue;
        const sa_t bad_addr = addr_kind(bad_dgs[i].kind, f, &lb);
        const wasixnet_outgoing_datagram_t bad = {
            bad_dgs[i].null_data ? NULL : bad_dgs[i].len ? big : (const uint8_t *)"bad",
            bad_dgs[i].len ? bad_dgs[i].len : 3,
            bad_dgs[i].kind == K_NONE ? NULL : &bad_addr,
        };
        snprintf(labels[i], sizeof labels[i], "ok%zu", i);
        const wasixnet_outgoing_datagram_t two[2] = { { (const uint8_t *)labels[i], strlen(labels[i]), NULL }, bad };
        set_context("datagram of %zu bytes%s to %s", bad.len, bad.data ? "" : " (data NULL)",
                    kind_names[bad_dgs[i].kind]);
        GRANT(a);
        SEND_EXPECT(a, &bad, 1, bad_dgs[i].want, 0);
        GRANT(a);
        SEND_EXPECT(a, two, 2, SOK, 1);
        exp_second[n_second++] = (bytes_t){ (const uint8_t *)labels[i], strlen(labels[i]) };
    }
    clear_context();
    expect_received_(HERE, b, &la, exp_second, n_second);

    /* truncation: capacity 4, and capacity 0 with data NULL */
    GRANT(a);
    const wasixnet_outgoing_datagram_t tens[] = { DG("0123456789", NULL), DG("abcdefghij", NULL) };
    SEND_EXPECT(a, tens, 2, SOK, 2);
    {
        struct pollfd pfd = { w_udp_fd(b), POLLIN, 0 };
        CHECK_EQ(1, poll(&pfd, 1, 1000));
        uint8_t small[8];
        memset(small, 0xA5, sizeof small);
        wasixnet_incoming_datagram_t in[2];
        memset(in, 0xA5, sizeof in);
        in[0].data = small;
        in[0].capacity = 4;
        in[1].data = NULL;
        in[1].capacity = 0;
        size_t got = 0;
        CHECK_ST(SOK, w_udp_receive(b, in, 2, &got));
        CHECK_EQ(2, got);
        CHECK_EQ(4, in[0].len);
        CHECK_EQ(1, in[0].truncated);
        CHECK_MEM("0123\xA5", small, 5);
        CHECK_MEM(&la, &in[0].remote_address, sizeof la);
        CHECK_EQ(0, in[1].len);
        CHECK_EQ(1, in[1].truncated);
        CHECK_MEM(&la, &in[1].remote_address, sizeof la);
    }

    /* C, unconnected: no address is INVALID_ARGUMENT; to B it is sent, but B (streaming to A)
     * drops it: the next datagram B receives is A's */
    CHECK_ST(SOK, w_sock(F_udp_stream, c, NULL));
    memset(&r, 0xA5, sizeof r);
    CHECK_ST(S_STATE, w_sock(F_udp_remote_address, c, &r));
    GRANT(c);
    SEND_EXPECT(c, (const wasixnet_outgoing_datagram_t[]){ DG("from c", NULL) }, 1, S_INVAL, 0);
    GRANT(c);
    SEND_EXPECT(c, (const wasixnet_outgoing_datagram_t[]){ DG("from c", &lb) }, 1, SOK, 1);
    GRANT(a);
    SEND_EXPECT(a, (const wasixnet_outgoing_datagram_t[]){ DG("from a", NULL) }, 1, SOK, 1);
    EXPECT_RECEIVED(b, &la, BYTES("from a"));

    /* B open to every peer: receives from C with C's address */
    const sa_t lc = LOCAL_OF(c);
    CHECK_ST(SOK, w_sock(F_udp_stream, b, NULL));
    GRANT(c);
    SEND_EXPECT(c, (const wasixnet_outgoing_datagram_t[]){ DG("c again", &lb) }, 1, SOK, 1);
    EXPECT_RECEIVED(b, &lc, BYTES("c again"));

    /* streaming to a port nobody listens on: the ICMP port unreachable comes back as
     * CONNECTION_REFUSED, once, from receive and then from send (nothing sent) */
    const sa_t dead = LOCAL_OF(c);
    w_udp_free(c);
    c = NULL;
    CHECK_ST(SOK, w_sock(F_udp_stream, a, &dead));
    for (int round = 0; round < 2; round++) {
        set_context("streaming to a closed port, %s", round == 0 ? "receive" : "send");
        GRANT(a);
        SEND_EXPECT(a, (const wasixnet_outgoing_datagram_t[]){ DG("anyone?", NULL) }, 1, SOK, 1);
        struct pollfd pfd = { w_udp_fd(a), POLLIN, 0 };
        CHECK_EQ(1, poll(&pfd, 1, 1000));
        report(HERE, (pfd.revents & POLLERR) != 0, "no POLLERR after the ICMP error (revents %#x)", pfd.revents);
        wasixnet_incoming_datagram_t in[1] = { { .data = NULL, .capacity = 0 } };
        size_t got = 12345;
        if (round == 0) {
            CHECK_ST(WASIXNET_SOCK_E_CONNECTION_REFUSED, w_udp_receive(a, in, 1, &got));
        } else {
            GRANT(a);
            SEND_EXPECT(a, (const wasixnet_outgoing_datagram_t[]){ DG("again?", NULL) }, 1,
                        WASIXNET_SOCK_E_CONNECTION_REFUSED, 0);
        }
        got = 12345;
        CHECK_ST(SOK, w_udp_receive(a, in, 1, &got)); /* reported once */
        CHECK_EQ(0, got);
    }
    clear_context();
out:
    w_udp_free(a);
    w_udp_free(b);
    w_udp_free(c);
}

void test_udp_io(void)
{
    for (uint8_t f = SA4; f <= SA6; f++) {
        section = f == SA4 ? "udp io (IPv4)" : "udp io (IPv6)";
        udp_io(f);
    }
}

/* ============================================================================================
 * Section: udp guest. wasixnet_guest_udp_send with canonical-ABI lists in a fake guest memory.
 * ========================================================================================== */

enum { UG_MEM = 0x20000, UG_LIST = 0x200, UG_EL = 44 }; /* room for a 65536-byte datagram */
static uint8_t ugmem[UG_MEM];

/* the good list: "abc" with no address, then "de" with option some(B's address) */
static void ug_setup(const sa_t *peer)
{
    memset(ugmem, 0xC3, sizeof ugmem);
    memcpy(ugmem + 0x100, "abcde", 5);
    uint8_t *e = ugmem + UG_LIST;
    memset(e, 0, 2 * UG_EL);
    put_le(e + 0, 0x100, 4);
    put_le(e + 4, 3, 4);
    e[8] = 0;
    put_le(e + UG_EL + 0, 0x103, 4);
    put_le(e + UG_EL + 4, 2, 4);
    e[UG_EL + 8] = 1;
    memcpy(e + UG_EL + 12, peer, sizeof *peer);
}

void test_udp_guest(void)
{
    section = "udp guest";
    sock_t *a = SOCK_IN(SA4, ST_BOUND, NULL), *b = SOCK_IN(SA4, ST_BOUND, NULL);
    if (a == NULL || b == NULL)
        goto out;
    const sa_t la = LOCAL_OF(a), lb = LOCAL_OF(b);
    CHECK_ST(SOK, w_sock(F_udp_stream, a, &lb));
    CHECK_ST(SOK, w_sock(F_udp_stream, b, &la));
    static const struct {
        const char *what;
        uint8_t ps;
        bool null_memory, no_grant, null_guest;
        uint64_t list, len;
        long poke;        /* offset of a little-endian poke, -1: none */
        unsigned width;   /* its width */
        uint64_t value;
        status_t want;
        uint64_t sent;
    } cases[] = {
        { "the good list", 4, false, false, false, UG_LIST, 2, -1, 0, 0, SOK, 2 },
        { "an empty list", 4, false, false, false, UG_LIST, 0, -1, 0, 0, SOK, 0 },
        { "an empty list at the end of memory", 4, false, false, false, UG_MEM, 0, -1, 0, 0, SOK, 0 },
        { "the good list with no check_send", 4, false, true, false, UG_LIST, 2, -1, 0, 0, STRAP, 0 },
        { "option tag 2 in element 1", 4, false, false, false, UG_LIST, 2, UG_LIST + UG_EL + 8, 1, 2, STRAP, 0 },
        { "address tag 2 in element 1", 4, false, false, false, UG_LIST, 2, UG_LIST + UG_EL + 12, 1, 2, STRAP, 0 },
        { "element 0's data past memory_size", 4, false, false, false, UG_LIST, 2, UG_LIST, 4, UG_MEM - 2, STRAP, 0 },
        { "element 1's length 2^32 - 1", 4, false, false, false, UG_LIST, 2, UG_LIST + UG_EL + 4, 4, 0xFFFFFFFF,
          STRAP, 0 },
        { "a list ending 4 bytes past memory_size", 4, false, false, false, UG_MEM - UG_EL + 4, 1, -1, 0, 0, STRAP, 0 },
        { "a list pointer past memory_size", 4, false, false, false, UG_MEM + 4, 1, -1, 0, 0, STRAP, 0 },
        { "a list length of 2^64 - 1", 4, false, false, false, UG_LIST, UINT64_MAX, -1, 0, 0, STRAP, 0 },
        { "port 0 in element 1 (index 1: the first is sent)", 4, false, false, false, UG_LIST, 2,
          UG_LIST + UG_EL + 12 + 4, 2, 0, SOK, 1 },
        { "element 0's length 65536", 4, false, false, false, UG_LIST, 2, UG_LIST + 4, 4, 65536, S_TOOLARGE, 0 },
        { "pointer_size 8", 8, false, false, false, UG_LIST, 2, -1, 0, 0, S_NOTSUP, 0 },
        { "pointer_size 0", 0, false, false, false, UG_LIST, 2, -1, 0, 0, S_INVAL, 0 },
        { "pointer_size 2", 2, false, false, false, UG_LIST, 2, -1, 0, 0, S_INVAL, 0 },
        { "memory NULL with a size", 4, true, false, false, UG_LIST, 2, -1, 0, 0, S_INVAL, 0 },
        { "guest NULL", 4, false, false, true, UG_LIST, 2, -1, 0, 0, S_INVAL, 0 },
    };
    bytes_t exp[2 * sizeof cases / sizeof cases[0]];
    size_t n_exp = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        set_context("%s", cases[i].what);
        ug_setup(&lb);
        if (cases[i].poke >= 0)
            put_le(ugmem + cases[i].poke, cases[i].value, cases[i].width);
        const wasixnet_guest_t g = { cases[i].null_memory ? NULL : ugmem, UG_MEM, cases[i].ps, LAYOUT_V1 };
        if (!cases[i].no_grant)
            GRANT(a);
        else
            SEND_EXPECT(a, many, 0, SOK, 0); /* uses any grant up */
        uint64_t sent = SENT_UNTOUCHED;
        CHECK_ST(cases[i].want, w_guest_udp_send(a, cases[i].null_guest ? NULL : &g, cases[i].list, cases[i].len,
                                                 &sent));
        CHECK_EQ(cases[i].want == SOK ? cases[i].sent : SENT_UNTOUCHED, sent);
        for (uint64_t k = 0; k < cases[i].sent; k++)
            exp[n_exp++] = k == 0 ? BYTES("abc") : BYTES("de");
    }
    clear_context();
    expect_received_(HERE, b, &la, exp, n_exp);
out:
    w_udp_free(a);
    w_udp_free(b);
}
