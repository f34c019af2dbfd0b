/*
 * udp_support.c — calling the UDP functions, socket addresses, sockets in a given state, and
 * checks of what is sent and received (declared in udp_support.h).
 */
#include "udp_support.h"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>

/* ============================================================================================
 * wasi:sockets/udp (wasixnet.h §6): calls, statuses, addresses
 * ========================================================================================== */

/* The status numbers of wasixnet.h [udp.status] and the WIT names (kebab-case of the error-code cases), with the header's macros. */
const sock_status_row_t sock_statuses[] = {
    { 0, "ok", WASIXNET_SOCK_OK },
    { -1, "trap", WASIXNET_SOCK_TRAP },
    { 1, "unknown", WASIXNET_SOCK_E_UNKNOWN },
    { 2, "access-denied", WASIXNET_SOCK_E_ACCESS_DENIED },
    { 3, "not-supported", WASIXNET_SOCK_E_NOT_SUPPORTED },
    { 4, "invalid-argument", WASIXNET_SOCK_E_INVALID_ARGUMENT },
    { 5, "out-of-memory", WASIXNET_SOCK_E_OUT_OF_MEMORY },
    { 6, "timeout", WASIXNET_SOCK_E_TIMEOUT },
    { 7, "concurrency-conflict", WASIXNET_SOCK_E_CONCURRENCY_CONFLICT },
    { 8, "not-in-progress", WASIXNET_SOCK_E_NOT_IN_PROGRESS },
    { 9, "would-block", WASIXNET_SOCK_E_WOULD_BLOCK },
    { 10, "invalid-state", WASIXNET_SOCK_E_INVALID_STATE },
    { 11, "new-socket-limit", WASIXNET_SOCK_E_NEW_SOCKET_LIMIT },
    { 12, "address-not-bindable", WASIXNET_SOCK_E_ADDRESS_NOT_BINDABLE },
    { 13, "address-in-use", WASIXNET_SOCK_E_ADDRESS_IN_USE },
    { 14, "remote-unreachable", WASIXNET_SOCK_E_REMOTE_UNREACHABLE },
    { 15, "connection-refused", WASIXNET_SOCK_E_CONNECTION_REFUSED },
    { 16, "connection-reset", WASIXNET_SOCK_E_CONNECTION_RESET },
    { 17, "connection-aborted", WASIXNET_SOCK_E_CONNECTION_ABORTED },
    { 18, "datagram-too-large", WASIXNET_SOCK_E_DATAGRAM_TOO_LARGE },
    { 19, "name-unresolvable", WASIXNET_SOCK_E_NAME_UNRESOLVABLE },
    { 20, "temporary-resolver-failure", WASIXNET_SOCK_E_TEMPORARY_RESOLVER_FAILURE },
    { 21, "permanent-resolver-failure", WASIXNET_SOCK_E_PERMANENT_RESOLVER_FAILURE },
};
_Static_assert(sizeof sock_statuses / sizeof sock_statuses[0] == N_SOCK_STATUSES,
               "ok, trap and every error code: one row each");

static const char *sname(status_t s)
{
    for (size_t i = 0; i < N_SOCK_STATUSES; i++)
        if (sock_statuses[i].status == s)
            return sock_statuses[i].name;
    return "not a status";
}

bool check_status(where_t w, const char *what, status_t expected, status_t got)
{
    return report(w, expected == got, "%s: expected status %" PRId32 " (%s), got %" PRId32 " (%s)", what, expected,
                  sname(expected), got, sname(got));
}

status_t S(ret_t r) { return (status_t)(uint32_t)r.i; }
const char *w_sock_status_name(status_t s) { return call_id(F_sock_status_name, AV(&s)).p; }
status_t w_udp_create(wasixnet_port_t *p, uint8_t family, sock_t **out)
{
    return S(call_id(F_udp_create, AV(&p, &family, &out)));
}
void w_udp_free(sock_t *s) { call_id(F_udp_free, AV(&s)); }
/* The calls with a socket and at most one pointer: finish_bind (p unused), start_bind, stream,
 * local_address, remote_address, unicast_hop_limit, the buffer-size getters, check_send. */
status_t w_sock(int id, sock_t *s, const void *p) { return S(call_id(id, AV(&s, &p))); }
uint8_t w_udp_family(sock_t *s) { return (uint8_t)call_id(F_udp_address_family, AV(&s)).i; }
int w_udp_fd(sock_t *s) { return (int)S(call_id(F_udp_fd, AV(&s))); }
status_t w_set_hop(sock_t *s, uint8_t v) { return S(call_id(F_udp_set_unicast_hop_limit, AV(&s, &v))); }
status_t w_set_u64(int id, sock_t *s, uint64_t v) { return S(call_id(id, AV(&s, &v))); }
status_t w_udp_send(sock_t *s, const wasixnet_outgoing_datagram_t *d, size_t n, uint64_t *sent)
{
    return S(call_id(F_udp_send, AV(&s, &d, &n, &sent)));
}
status_t w_udp_receive(sock_t *s, wasixnet_incoming_datagram_t *out, size_t max, size_t *received)
{
    return S(call_id(F_udp_receive, AV(&s, &out, &max, &received)));
}
status_t w_guest_udp_send(sock_t *s, const wasixnet_guest_t *g, uint64_t list, uint64_t len, uint64_t *sent)
{
    return S(call_id(F_guest_udp_send, AV(&s, &g, &list, &len, &sent)));
}

/* "127.0.0.1", "::1", "" (tag 0, all zero) or "#N" (tag N, all other bytes zero), with a port. */
sa_t sa(const char *s, uint16_t port)
{
    sa_t a;
    memset(&a, 0, sizeof a);
    if (s[0] == '#') {
        a.tag = (uint8_t)strtoul(s + 1, NULL, 0);
        return a;
    }
    if (s[0] == '\0')
        return a;
    uint8_t b[16];
    if (strchr(s, ':')) {
        if (inet_pton(AF_INET6, s, b) != 1)
            die("bad IPv6 literal \"%s\"", s);
        a.tag = SA6;
        a.u.ipv6.port = port;
        for (int i = 0; i < 8; i++)
            a.u.ipv6.address[i] = (uint16_t)(b[2 * i] << 8 | b[2 * i + 1]);
    } else {
        if (inet_pton(AF_INET, s, b) != 1)
            die("bad IPv4 literal \"%s\"", s);
        a.tag = SA4;
        a.u.ipv4.port = port;
        memcpy(a.u.ipv4.address, b, 4);
    }
    return a;
}
uint16_t sa_port(const sa_t *a) { return a->tag == SA4 ? a->u.ipv4.port : a->u.ipv6.port; }
const char *fam_name(uint8_t f) { return f == SA4 ? "IPv4" : "IPv6"; }
static const char *loopback_of(uint8_t f) { return f == SA4 ? "127.0.0.1" : "::1"; }
sa_t loopback(uint8_t f, uint16_t port) { return sa(loopback_of(f), port); }

/* The socket states' names (udp_support.h), for failure messages. */
const char *const st_names[N_ST] = { "fresh", "bind started", "bound", "streams open", "streams to a peer" };

sock_t *sock_in_(where_t w, wasixnet_port_t *port, uint8_t family, int state, const sa_t *peer)
{
    sock_t *s = NULL;
    const sa_t local = loopback(family, 0);
    if (!check_status(w, "udp_create", SOK, w_udp_create(port, family, &s)) || !report(w, s != NULL, "no socket"))
        return NULL;
    if (state >= ST_BINDING)
        check_status(w, "udp_start_bind(loopback:0)", SOK, w_sock(F_udp_start_bind, s, &local));
    if (state >= ST_BOUND)
        check_status(w, "udp_finish_bind", SOK, w_sock(F_udp_finish_bind, s, NULL));
    if (state >= ST_OPEN)
        check_status(w, "udp_stream", SOK, w_sock(F_udp_stream, s, state == ST_CONNECTED ? peer : NULL));
    return s;
}

sa_t local_of_(where_t w, sock_t *s)
{
    sa_t a;
    memset(&a, 0xA5, sizeof a);
    check_status(w, "udp_local_address", SOK, w_sock(F_udp_local_address, s, &a));
    return a;
}

/* check_send, expecting a grant of `want` datagrams */
void grant_(where_t w, sock_t *s, uint64_t want)
{
    uint64_t permits = 0xDEAD;
    if (check_status(w, "udp_check_send", SOK, w_sock(F_udp_check_send, s, &permits)))
        check_u64(w, "permits", want, permits);
}

/* send, expecting `want` and (on OK) `want_sent`; *sent is written on OK only (header). */
void send_expect_(where_t w, sock_t *s, const wasixnet_outgoing_datagram_t *d, size_t n, status_t want,
                  uint64_t want_sent)
{
    uint64_t sent = SENT_UNTOUCHED;
    check_status(w, "udp_send", want, w_udp_send(s, d, n, &sent));
    check_u64(w, want == SOK ? "sent" : "sent after a failed send (written on OK only)",
              want == SOK ? want_sent : SENT_UNTOUCHED, sent);
}

/* Receives exactly the datagrams `exp` from `from` (waiting with poll on wasixnet_udp_fd, 1 s at
 * most), then checks that nothing else is queued. */
void expect_received_(where_t w, sock_t *s, const sa_t *from, const bytes_t *exp, size_t n)
{
    enum { BATCH = 8, CAP = 1200 };
    static uint8_t bufs[BATCH][CAP];
    size_t got = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    const int fd = w_udp_fd(s);
    for (;;) {
        wasixnet_incoming_datagram_t in[BATCH];
        memset(in, 0xA5, sizeof in);
        for (int i = 0; i < BATCH; i++) {
            in[i].data = bufs[i];
            in[i].capacity = CAP;
        }
        const size_t want = n - got < BATCH ? (n - got == 0 ? BATCH : n - got) : BATCH;
        size_t received = 12345;
        if (!check_status(w, "udp_receive", SOK, w_udp_receive(s, in, want, &received)))
            return;
        if (!report(w, received <= want, "udp_receive: %zu datagrams received into %zu slots", received, want))
            return;
        if (got == n) { /* the final look: nothing more */
            report(w, received == 0, "udp_receive: %zu unexpected datagram(s) after the %zu expected, first %zu bytes",
                   received, n, received ? in[0].len : 0);
            return;
        }
        for (size_t i = 0; i < received; i++, got++) {
            char what[96];
            snprintf(what, sizeof what, "datagram %zu: len", got);
            if (check_u64(w, what, exp[got].len, in[i].len) && exp[got].len <= CAP) {
                snprintf(what, sizeof what, "datagram %zu: data", got);
                check_mem(w, what, exp[got].data, in[i].data, exp[got].len);
            }
            snprintf(what, sizeof what, "datagram %zu: truncated", got);
            check_u64(w, what, 0, in[i].truncated);
            snprintf(what, sizeof what, "datagram %zu: remote_address (every byte)", got);
            check_mem(w, what, from, &in[i].remote_address, sizeof *from);
        }
        if (got == n)
            continue;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        const long waited = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
        if (!report(w, waited < 1000, "udp_receive: %zu of %zu datagrams arrived within 1 s", got, n))
            return;
        struct pollfd pfd = { fd, POLLIN, 0 };
        poll(&pfd, 1, (int)(1000 - waited));
    }
}
