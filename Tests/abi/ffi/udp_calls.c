/*
 * udp_calls.c — sections "sock status", "udp create", "udp states", "udp bind", "udp options"
 * and "udp null": every UDP call and the states it may be made in.
 */
#include "port_fixtures.h"
#include "sections.h"
#include "udp_support.h"

/* ============================================================================================
 * Section: sock status names and numbers
 * ========================================================================================== */

#define SOCK_NAME_(status, name, text) [status] = text,
static const char *const sock_map_names[WASIXNET_SOCK_ERROR_COUNT + 1] = { WASIXNET_SOCK_ERROR_MAP(SOCK_NAME_) };
#undef SOCK_NAME_

void test_sock_status(void)
{
    section = "sock status";
    for (size_t i = 0; i < N_SOCK_STATUSES; i++) {
        const status_t st = sock_statuses[i].status;
        set_context("status %" PRId32 " (%s)", st, sock_statuses[i].name);
        CHECK_EQ(st, sock_statuses[i].header);
        CHECK_STR(sock_statuses[i].name, w_sock_status_name(st));
        if (st > 0)
            CHECK_STR(sock_statuses[i].name, sock_map_names[st]);
    }
    static const status_t unknown[] = { 22, 23, 100, 255, 256, -2, -22, INT32_MAX, INT32_MIN };
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        set_context("sock_status_name(%" PRId32 ")", unknown[i]);
        CHECK_STR("unknown-status", w_sock_status_name(unknown[i]));
    }
    clear_context();
    CHECK_EQ(21, WASIXNET_SOCK_ERROR_COUNT);
    CHECK_EQ(0, WASIXNET_IP_FAMILY_IPV4);
    CHECK_EQ(1, WASIXNET_IP_FAMILY_IPV6);
    CHECK_EQ(1024, WASIXNET_UDP_MAX_PERMITS);
    CHECK_EQ(65535, WASIXNET_UDP_MAX_DATAGRAM);
}

/* ============================================================================================
 * Section: udp create / free / address_family / fd
 * ========================================================================================== */

void test_udp_create(void)
{
    section = "udp create";
    static const struct {
        unsigned family;
        status_t want;
    } cases[] = { { 0, SOK }, { 1, SOK }, { 2, S_INVAL }, { 3, S_INVAL }, { 255, S_INVAL } };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const uint8_t f = (uint8_t)cases[i].family;
        set_context("family %u", cases[i].family);
        sock_t *s = NULL;
        CHECK_ST(cases[i].want, w_udp_create(NULL, f, &s));
        CHECK_ST(S_INVAL, w_udp_create(NULL, f, NULL));
        if (cases[i].want == SOK && CHECK(s != NULL)) {
            CHECK_EQ(f, w_udp_family(s));
            CHECK(w_udp_fd(s) >= 0);
            const int fd = w_udp_fd(s);
            CHECK_EQ(fd, w_udp_fd(s));
        } else {
            report(HERE, s == NULL, "a failed udp_create wrote %p to *out", (void *)s);
        }
        w_udp_free(s);
    }
    clear_context();
    w_udp_free(NULL); /* a no-op */
    CHECK_EQ(255, w_udp_family(NULL));
    CHECK_EQ(-1, w_udp_fd(NULL));
    /* with a port: the socket keeps the port alive after port_free */
    wasixnet_port_t *port = NEW_PORT(NULL);
    sock_t *s = sock_in_(HERE, port, SA4, ST_FRESH, NULL);
    w_port_free(port);
    if (s != NULL) {
        const sa_t local = loopback(SA4, 0);
        CHECK_ST(SOK, w_sock(F_udp_start_bind, s, &local));
        CHECK_ST(SOK, w_sock(F_udp_finish_bind, s, NULL));
        CHECK_EQ(SA4, w_udp_family(s));
    }
    w_udp_free(s);
}

/* ============================================================================================
 * Section: udp states. Every state-dependent call in every state, on a fresh socket each time.
 * ========================================================================================== */

enum { OP_START_BIND, OP_FINISH_BIND, OP_STREAM_PEER, OP_STREAM_NONE, OP_LOCAL, OP_REMOTE,
       OP_CHECK_SEND, OP_SEND_EMPTY, OP_SEND_ONE, OP_RECEIVE, OP_RECEIVE_NONE, N_OP };
static const char *const op_names[N_OP] = {
    "start_bind(loopback:0)", "finish_bind", "stream(peer)", "stream(NULL)", "local_address", "remote_address",
    "check_send", "send of 0 datagrams", "send of 1 datagram with no check_send", "receive(max 4)",
    "receive(NULL, max 0)",
};
#define IS S_STATE
#define NP S_NIP
#define TR STRAP
static const status_t state_grid[N_ST][N_OP] = {
    /*                 SB   FB   STP  STN  LOC  REM  CS   SE   S1   RCV  RCV0 */
    [ST_FRESH] =     { SOK, NP,  IS,  IS,  IS,  IS,  IS,  IS,  IS,  IS,  IS },
    [ST_BINDING] =   { IS,  SOK, IS,  IS,  IS,  IS,  IS,  IS,  IS,  IS,  IS },
    [ST_BOUND] =     { IS,  NP,  SOK, SOK, SOK, IS,  IS,  IS,  IS,  IS,  IS },
    [ST_OPEN] =      { IS,  NP,  SOK, SOK, SOK, IS,  SOK, SOK, TR,  SOK, SOK },
    [ST_CONNECTED] = { IS,  NP,  SOK, SOK, SOK, SOK, SOK, SOK, TR,  SOK, SOK },
};
#undef IS
#undef NP
#undef TR

static status_t run_op(int op, sock_t *s, uint8_t family, const sa_t *peer)
{
    const sa_t local = loopback(family, 0);
    sa_t out;
    memset(&out, 0, sizeof out);
    uint64_t u64 = 0;
    size_t received = 0;
    uint8_t buf[16];
    wasixnet_incoming_datagram_t in[4];
    memset(in, 0, sizeof in);
    for (int i = 0; i < 4; i++) {
        in[i].data = buf;
        in[i].capacity = sizeof buf;
    }
    const wasixnet_outgoing_datagram_t one = DG("x", peer);
    switch (op) {
    case OP_START_BIND: return w_sock(F_udp_start_bind, s, &local);
    case OP_FINISH_BIND: return w_sock(F_udp_finish_bind, s, NULL);
    case OP_STREAM_PEER: return w_sock(F_udp_stream, s, peer);
    case OP_STREAM_NONE: return w_sock(F_udp_stream, s, NULL);
    case OP_LOCAL: return w_sock(F_udp_local_address, s, &out);
    case OP_REMOTE: return w_sock(F_udp_remote_address, s, &out);
    case OP_CHECK_SEND: return w_sock(F_udp_check_send, s, &u64);
    case OP_SEND_EMPTY: return w_udp_send(s, &one, 0, &u64);
    case OP_SEND_ONE: return w_udp_send(s, &one, 1, &u64);
    case OP_RECEIVE: return w_udp_receive(s, in, 4, &received);
    case OP_RECEIVE_NONE: return w_udp_receive(s, NULL, 0, &received);
    default: die("bad op %d", op);
    }
}

void test_udp_states(void)
{
    section = "udp states";
    for (uint8_t f = SA4; f <= SA6; f++) {
        sock_t *sink = SOCK_IN(f, ST_BOUND, NULL);
        const sa_t peer = LOCAL_OF(sink);
        for (int st = 0; st < N_ST; st++)
            for (int op = 0; op < N_OP; op++) {
                set_context("%s socket, %s: %s", fam_name(f), st_names[st], op_names[op]);
                sock_t *s = SOCK_IN(f, st, &peer);
                if (s != NULL)
                    CHECK_ST(state_grid[st][op], run_op(op, s, f, &peer));
                w_udp_free(s);
            }
        clear_context();
        w_udp_free(sink);
    }
}

/* ============================================================================================
 * Section: udp bind. start_bind with good and bad local addresses; after a failed start_bind the
 * socket is still fresh (finish_bind: NOT_IN_PROGRESS; a good start_bind then works).
 * ========================================================================================== */

void test_udp_bind(void)
{
    section = "udp bind";
    static const struct {
        uint8_t family;
        const char *addr;
        status_t want;
    } cases[] = {
        { SA4, "127.0.0.1", SOK },
        { SA6, "::1", SOK },
        { SA4, "0.0.0.0", SOK },
        { SA6, "::", SOK },
        { SA4, "::1", S_INVAL },
        { SA6, "127.0.0.1", S_INVAL },
        { SA6, "::ffff:127.0.0.1", S_INVAL },
        { SA4, "#2", S_INVAL },
        { SA6, "#255", S_INVAL },
        { SA4, "192.0.2.1", S_NOTBINDABLE },
        { SA6, "2001:db8::1", S_NOTBINDABLE },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const uint8_t f = cases[i].family;
        set_context("%s socket, start_bind(%s:0)", fam_name(f), cases[i].addr);
        sock_t *s = SOCK_IN(f, ST_FRESH, NULL);
        if (s == NULL)
            continue;
        const sa_t a = sa(cases[i].addr, 0);
        CHECK_ST(cases[i].want, w_sock(F_udp_start_bind, s, &a));
        if (cases[i].want == SOK) {
            CHECK_ST(SOK, w_sock(F_udp_finish_bind, s, NULL));
            const sa_t got = LOCAL_OF(s);
            sa_t exp = sa(cases[i].addr, sa_port(&got));
            report(HERE, sa_port(&got) != 0, "local_address after bind to port 0 has port 0");
            CHECK_MEM(&exp, &got, sizeof exp);
            CHECK_EQ(f, w_udp_family(s));
        } else {
            CHECK_ST(S_NIP, w_sock(F_udp_finish_bind, s, NULL));
            const sa_t good = loopback(f, 0);
            CHECK_ST(SOK, w_sock(F_udp_start_bind, s, &good));
            CHECK_ST(SOK, w_sock(F_udp_finish_bind, s, NULL));
        }
        w_udp_free(s);
    }
    /* bound to the unspecified address: after stream, local_address is the one chosen for the peer */
    for (uint8_t f = SA4; f <= SA6; f++) {
        set_context("%s: bound to the unspecified address, then stream to loopback", fam_name(f));
        sock_t *sink = SOCK_IN(f, ST_BOUND, NULL), *s = SOCK_IN(f, ST_FRESH, NULL);
        if (sink != NULL && s != NULL) {
            const sa_t any = sa(f == SA4 ? "0.0.0.0" : "::", 0), peer = LOCAL_OF(sink);
            CHECK_ST(SOK, w_sock(F_udp_start_bind, s, &any));
            CHECK_ST(SOK, w_sock(F_udp_finish_bind, s, NULL));
            const sa_t before = LOCAL_OF(s);
            CHECK_ST(SOK, w_sock(F_udp_stream, s, &peer));
            const sa_t after = LOCAL_OF(s), exp = loopback(f, sa_port(&before));
            CHECK_MEM(&exp, &after, sizeof exp);
        }
        w_udp_free(s);
        w_udp_free(sink);
    }
    /* a taken address; then, once it is freed, the same address binds */
    for (uint8_t f = SA4; f <= SA6; f++) {
        set_context("%s: the address of a bound socket", fam_name(f));
        sock_t *a = SOCK_IN(f, ST_BOUND, NULL);
        sock_t *b = SOCK_IN(f, ST_FRESH, NULL);
        if (a == NULL || b == NULL)
            continue;
        const sa_t taken = LOCAL_OF(a);
        CHECK_ST(S_INUSE, w_sock(F_udp_start_bind, b, &taken));
        CHECK_ST(S_NIP, w_sock(F_udp_finish_bind, b, NULL));
        w_udp_free(a);
        CHECK_ST(SOK, w_sock(F_udp_start_bind, b, &taken));
        CHECK_ST(SOK, w_sock(F_udp_finish_bind, b, NULL));
        const sa_t got = LOCAL_OF(b);
        CHECK_MEM(&taken, &got, sizeof got);
        w_udp_free(b);
    }
    clear_context();
}

/* ============================================================================================
 * Section: udp options: unicast hop limit, receive / send buffer sizes
 * ========================================================================================== */

static uint64_t read_sysctl(const char *path)
{
    FILE *f = fopen(path, "r");
    unsigned long long v = 0;
    if (f == NULL || fscanf(f, "%llu", &v) != 1)
        v = 0;
    if (f != NULL)
        fclose(f);
    return v;
}

void test_udp_options(void)
{
    section = "udp options";
    static const struct {
        const char *name;
        int get, set;
        const char *sysctl_max; /* the kernel's clamp; 0 when unreadable */
    } bufs[] = {
        { "receive_buffer_size", F_udp_receive_buffer_size, F_udp_set_receive_buffer_size,
          "/proc/sys/net/core/rmem_max" },
        { "send_buffer_size", F_udp_send_buffer_size, F_udp_set_send_buffer_size, "/proc/sys/net/core/wmem_max" },
    };
    static const uint64_t sizes[] = { 8192, 65536, 100000, 3 * 65536 + 8, UINT64_C(1) << 31, UINT64_C(1) << 32,
                                      UINT64_MAX };
    static const uint8_t hops[] = { 1, 42, 128, 255 };
    for (uint8_t f = SA4; f <= SA6; f++) {
        sock_t *s = SOCK_IN(f, ST_FRESH, NULL);
        if (s == NULL)
            continue;
        uint8_t hop = 0, hop2 = 0;
        set_context("%s socket: unicast hop limit", fam_name(f));
        CHECK_ST(SOK, w_sock(F_udp_unicast_hop_limit, s, &hop));
        CHECK(hop >= 1);
        CHECK_ST(S_INVAL, w_set_hop(s, 0));
        CHECK_ST(SOK, w_sock(F_udp_unicast_hop_limit, s, &hop2));
        CHECK_EQ(hop, hop2);
        for (size_t i = 0; i < sizeof hops / sizeof hops[0]; i++) {
            set_context("%s socket: set_unicast_hop_limit(%u)", fam_name(f), hops[i]);
            CHECK_ST(SOK, w_set_hop(s, hops[i]));
            hop = 0;
            CHECK_ST(SOK, w_sock(F_udp_unicast_hop_limit, s, &hop));
            CHECK_EQ(hops[i], hop);
        }
        for (size_t b = 0; b < sizeof bufs / sizeof bufs[0]; b++) {
            const uint64_t max = read_sysctl(bufs[b].sysctl_max);
            uint64_t before = 0, v = 0;
            set_context("%s socket: %s", fam_name(f), bufs[b].name);
            CHECK_ST(SOK, w_sock(bufs[b].get, s, &before));
            CHECK(before > 0);
            CHECK_ST(S_INVAL, w_set_u64(bufs[b].set, s, 0));
            CHECK_ST(SOK, w_sock(bufs[b].get, s, &v));
            CHECK_EQ(before, v);
            for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
                set_context("%s socket: set_%s(%" PRIu64 ")", fam_name(f), bufs[b].name, sizes[i]);
                CHECK_ST(SOK, w_set_u64(bufs[b].set, s, sizes[i]));
                v = 0;
                CHECK_ST(SOK, w_sock(bufs[b].get, s, &v));
                if (max != 0 && sizes[i] <= max)
                    CHECK_EQ(sizes[i], v); /* not clamped: read back as set */
                else
                    report(HERE, v > 0 && v <= sizes[i], "clamped size read back as %" PRIu64, v);
            }
        }
        clear_context();
        w_udp_free(s);
    }
}

/* ============================================================================================
 * Section: udp null. NULL socket and each NULL required pointer in turn: INVALID_ARGUMENT.
 * ========================================================================================== */

static sa_t snc_sa, snc_sa_out;
static uint8_t snc_u8;
static uint64_t snc_u64;
static size_t snc_z;
static sock_t *snc_sock;
static uint8_t snc_byte[1] = { 'n' };
static wasixnet_outgoing_datagram_t snc_out[1];
static wasixnet_incoming_datagram_t snc_in[1];
static uint8_t snc_mem[256];
static wasixnet_guest_t snc_guest;

typedef struct {
    int fn;
    int state;         /* the socket's state (argument 0); -1: argument 0 is not a socket */
    unsigned nullable; /* bit i: argument i may be NULL */
    arg_t a[6];        /* a[0], the socket, is filled in at run time */
} sock_nullcase_t;
static const sock_nullcase_t sock_null_cases[] = {
    { F_udp_create, -1, 1u << 0, { AP(0), { .b = SA4 }, AP(&snc_sock) } },
    { F_udp_start_bind, ST_FRESH, 0, { AP(0), AP(&snc_sa) } },
    { F_udp_finish_bind, ST_BINDING, 0, { AP(0) } },
    { F_udp_stream, ST_BOUND, 1u << 1, { AP(0), AP(&snc_sa) } },
    { F_udp_local_address, ST_BOUND, 0, { AP(0), AP(&snc_sa_out) } },
    { F_udp_remote_address, ST_CONNECTED, 0, { AP(0), AP(&snc_sa_out) } },
    { F_udp_unicast_hop_limit, ST_FRESH, 0, { AP(0), AP(&snc_u8) } },
    { F_udp_set_unicast_hop_limit, ST_FRESH, 0, { AP(0), { .b = 64 } } },
    { F_udp_receive_buffer_size, ST_FRESH, 0, { AP(0), AP(&snc_u64) } },
    { F_udp_set_receive_buffer_size, ST_FRESH, 0, { AP(0), AQ(65536) } },
    { F_udp_send_buffer_size, ST_FRESH, 0, { AP(0), AP(&snc_u64) } },
    { F_udp_set_send_buffer_size, ST_FRESH, 0, { AP(0), AQ(65536) } },
    { F_udp_check_send, ST_CONNECTED, 0, { AP(0), AP(&snc_u64) } },
    { F_udp_send, ST_CONNECTED, 0, { AP(0), AP(snc_out), { .z = 1 }, AP(&snc_u64) } },
    { F_udp_receive, ST_CONNECTED, 0, { AP(0), AP(snc_in), { .z = 1 }, AP(&snc_z) } },
    { F_guest_udp_send, ST_CONNECTED, 0, { AP(0), AP(&snc_guest), AQ(0), AQ(1), AP(&snc_u64) } },
};

void test_udp_null(void)
{
    section = "udp null";
    sock_t *sink = SOCK_IN(SA4, ST_OPEN, NULL); /* open: it can receive what a broken call sends */
    const sa_t peer = LOCAL_OF(sink);
    snc_sa = peer;
    snc_out[0] = (wasixnet_outgoing_datagram_t){ snc_byte, 1, NULL };
    snc_in[0] = (wasixnet_incoming_datagram_t){ .data = snc_byte, .capacity = 1 };
    /* one valid guest list element at 0: 1 byte at 0x80, no address */
    memset(snc_mem, 0, sizeof snc_mem);
    put_le(snc_mem + 0, 0x80, 4);
    put_le(snc_mem + 4, 1, 4);
    snc_guest = (wasixnet_guest_t){ snc_mem, sizeof snc_mem, 4, LAYOUT_V1 };
    for (size_t ci = 0; ci < sizeof sock_null_cases / sizeof sock_null_cases[0]; ci++) {
        const sock_nullcase_t *nc = &sock_null_cases[ci];
        const fn_t *f = &fns[nc->fn];
        for (unsigned i = 0; i < f->nargs; i++) {
            if (f->sig[1 + i] != 'p' || (nc->nullable >> i & 1u))
                continue;
            sock_t *s = nc->state >= 0 ? SOCK_IN(SA4, nc->state, &peer) : NULL;
            if (nc->state == ST_CONNECTED)
                GRANT(s); /* nothing but the NULL is wrong */
            arg_t a[6];
            void *av[6];
            memcpy(a, nc->a, sizeof a);
            if (nc->state >= 0)
                a[0].p = s;
            a[i].p = NULL;
            for (unsigned k = 0; k < f->nargs; k++)
                av[k] = &a[k];
            snc_sock = NULL;
            set_context("%s with argument %u (%s) NULL", f->symbol, i,
                        i == 0 && nc->state >= 0 ? "socket" : "pointer");
            CHECK_ST(S_INVAL, S(call_id(nc->fn, av)));
            if (nc->fn == F_udp_create)
                CHECK(snc_sock == NULL);
            w_udp_free(s);
        }
    }
    clear_context();
    EXPECT_NOTHING(sink, &peer);
    w_udp_free(sink);
}
