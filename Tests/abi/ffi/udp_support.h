/*
 * udp_support.h — what the UDP sections build on: the socket calls through the function table,
 * socket addresses written as literals, sockets brought to a given state, and checks of statuses,
 * sends and receives (each failure reported at the caller's line).
 */
#ifndef WASIXNET_FFI_UDP_SUPPORT_H
#define WASIXNET_FFI_UDP_SUPPORT_H

#include "harness.h"

typedef wasixnet_udp_socket_t sock_t;
typedef wasixnet_sock_status_t status_t;
typedef wasixnet_ip_socket_address_t sa_t;

enum {
    SOK = WASIXNET_SOCK_OK,
    STRAP = WASIXNET_SOCK_TRAP,
    S_NOTSUP = WASIXNET_SOCK_E_NOT_SUPPORTED,
    S_INVAL = WASIXNET_SOCK_E_INVALID_ARGUMENT,
    S_NIP = WASIXNET_SOCK_E_NOT_IN_PROGRESS,
    S_STATE = WASIXNET_SOCK_E_INVALID_STATE,
    S_NOTBINDABLE = WASIXNET_SOCK_E_ADDRESS_NOT_BINDABLE,
    S_INUSE = WASIXNET_SOCK_E_ADDRESS_IN_USE,
    S_TOOLARGE = WASIXNET_SOCK_E_DATAGRAM_TOO_LARGE,
    SA4 = WASIXNET_IP_FAMILY_IPV4,
    SA6 = WASIXNET_IP_FAMILY_IPV6,
};

/* Every status: its number, its WIT name and the header's macro for it. */
typedef struct {
    status_t status;
    const char *name;
    status_t header;
} sock_status_row_t;
enum { N_SOCK_STATUSES = WASIXNET_SOCK_ERROR_COUNT + 2 }; /* the error codes, ok and trap */
extern const sock_status_row_t sock_statuses[N_SOCK_STATUSES];

bool check_status(where_t w, const char *what, status_t expected, status_t got);
#define CHECK_ST(expected, got) check_status(HERE, #got, (expected), (got))

status_t S(ret_t r);
const char *w_sock_status_name(status_t s);
status_t w_udp_create(wasixnet_port_t *p, uint8_t family, sock_t **out);
void w_udp_free(sock_t *s);
/* The calls with a socket and at most one pointer: finish_bind (p unused), start_bind, stream,
 * local_address, remote_address, unicast_hop_limit, the buffer-size getters, check_send. */
status_t w_sock(int id, sock_t *s, const void *p);
uint8_t w_udp_family(sock_t *s);
int w_udp_fd(sock_t *s);
status_t w_set_hop(sock_t *s, uint8_t v);
status_t w_set_u64(int id, sock_t *s, uint64_t v);
status_t w_udp_send(sock_t *s, const wasixnet_outgoing_datagram_t *d, size_t n, uint64_t *sent);
status_t w_udp_receive(sock_t *s, wasixnet_incoming_datagram_t *out, size_t max, size_t *received);
status_t w_guest_udp_send(sock_t *s, const wasixnet_guest_t *g, uint64_t list, uint64_t len, uint64_t *sent);

/* "127.0.0.1", "::1", "" (tag 0, all zero) or "#N" (tag N, all other bytes zero), with a port. */
sa_t sa(const char *s, uint16_t port);
uint16_t sa_port(const sa_t *a);
const char *fam_name(uint8_t f);
sa_t loopback(uint8_t f, uint16_t port);

/* Socket states, reached in order: created, start_bind(loopback:0), finish_bind, stream(NULL) or
 * stream(peer). */
enum { ST_FRESH, ST_BINDING, ST_BOUND, ST_OPEN, ST_CONNECTED, N_ST };
extern const char *const st_names[N_ST];

/* A socket of that family in that state, on the port (NULL: none); NULL when creating it failed. */
sock_t *sock_in_(where_t w, wasixnet_port_t *port, uint8_t family, int state, const sa_t *peer);
#define SOCK_IN(family, state, peer) sock_in_(HERE, NULL, (family), (state), (peer))
sa_t local_of_(where_t w, sock_t *s);
#define LOCAL_OF(s) local_of_(HERE, (s))

/* check_send, expecting a grant of `want` datagrams */
void grant_(where_t w, sock_t *s, uint64_t want);
#define GRANT(s) grant_(HERE, (s), 1024)

#define SENT_UNTOUCHED UINT64_C(0xDEADBEEF)
/* send, expecting `want` and (on OK) `want_sent`; *sent is written on OK only (header). */
void send_expect_(where_t w, sock_t *s, const wasixnet_outgoing_datagram_t *d, size_t n, status_t want,
                  uint64_t want_sent);
#define SEND_EXPECT(s, d, n, want, want_sent) send_expect_(HERE, (s), (d), (n), (want), (want_sent))
#define DG(str, remote) ((wasixnet_outgoing_datagram_t){ (const uint8_t *)(str), sizeof(str) - 1, (remote) })

typedef struct {
    const uint8_t *data;
    size_t len;
} bytes_t;
#define BYTES(str) ((bytes_t){ (const uint8_t *)(str), sizeof(str) - 1 })

/* Receives exactly the datagrams `exp` from `from` (waiting with poll on wasixnet_udp_fd, 1 s at
 * most), then checks that nothing else is queued. */
void expect_received_(where_t w, sock_t *s, const sa_t *from, const bytes_t *exp, size_t n);
#define EXPECT_RECEIVED(s, from, ...)                                                        \
    expect_received_(HERE, (s), (from), (const bytes_t[]){ __VA_ARGS__ },                    \
                     sizeof((const bytes_t[]){ __VA_ARGS__ }) / sizeof(bytes_t))
#define EXPECT_NOTHING(s, from) expect_received_(HERE, (s), (from), NULL, 0)

#endif
