/*
 * udp_bench.c — `make bench`, UDP part: wasixnet's wasi:sockets/udp send path measured through its
 * public C ABI, every figure beside a raw C baseline measured in the same run, as a ratio.
 *
 *   1. 1200-byte datagrams to one peer, batches of 64: a raw `sendto` loop, raw `sendmmsg`, raw
 *      `sendmmsg` + UDP GSO (UDP_SEGMENT cmsg, <= 64 segments and <= 65000 bytes a message; also on
 *      a connected socket), and wasixnet_udp_check_send + wasixnet_udp_send, unconnected (every
 *      datagram with its remote_address) and connected (stream(peer), remote_address NULL);
 *      wasixnet_guest_udp_send with the same batch as a canonical-ABI list<outgoing-datagram> in a
 *      fake guest memory.
 *   2. 64-byte datagrams round-robin to 8 peers, batches of 64: a raw `sendto` loop, raw
 *      `sendmmsg`, wasixnet_udp_send (and the same on a socket tied to a port that enforces its
 *      routes, so every datagram's destination is looked up).
 *   3. Receive: 1200-byte datagrams queued on loopback by a sender using sendmmsg + UDP_SEGMENT,
 *      only the drain timed, every method getting every datagram exactly once (checked in place):
 *      (a) a recvfrom loop, (b) recvmmsg x64, (c) recvmmsg x64 on a UDP_GRO socket, each coalesced
 *      buffer split at its segment size and copied out per datagram, (d) wasixnet_udp_receive x64,
 *      (e) wasixnet_guest_udp_receive x64 into a fake guest memory with a bump cabi_realloc (each
 *      call's list and datagrams stay in the guest memory; checked after the drain, untimed).
 *      UDP_BENCH_ONLY=receive runs this part alone.
 *   4. Memory: 2000 sockets, each after sending a batch of 64 and receiving one, the heap in use
 *      and the resident set per socket (UDP_BENCH_ONLY=memory alone).
 *
 * Loopback only (127.0.0.1). Every method sends from its own socket; the receivers are plain
 * sockets with a large receive buffer, drained (recvmmsg, MSG_DONTWAIT) after every timed chunk of
 * 1024 datagrams, untimed: no queue overflows, no method pays for another's datagrams, and the
 * queue stays as short as behind a receiver that keeps up (a deep queue makes the kernel's send
 * path measurably slower: its memory falls out of the caches). Byte 0 of
 * every datagram names the method that sent it, so each received datagram is counted for its
 * sender (and its length checked): received/sent is printed for every method.
 *
 * The methods run round-robin (the starting method rotates each round): REPS rounds, each method
 * sending for about REP_SECONDS of timed send calls per round. A turn's figure is the median over
 * its timed chunks (the machine is shared: a chunk the scheduler interrupted is one outlier, not
 * lost time); every figure in the table is the median over the rounds. Datagrams/s counts what each method reports sent (sendto's successes, sendmmsg's
 * messages times their segments, wasixnet's *sent). Every loop is bounded in count and time.
 *
 * Progress goes to stderr, the table to stdout. Speed is reported, not asserted: the exit status
 * is 1 only when a call fails or the library gives a wrong answer (a wrong count, a wrong length
 * received, a datagram from nowhere).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <wasixnet.h>

#include "timing.h"

#ifndef SOL_UDP
#define SOL_UDP 17
#endif
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

enum {
    BATCH = 64,               /* datagrams per send call (per batch of sendto calls for the loop) */
    BIG = 1200,               /* scenario 1's datagram size */
    SMALL = 64,               /* scenario 2's */
    PEERS = 8,                /* scenario 2's receivers */
    REPS = 7,                 /* rounds; every figure is a median over them */
    MIN_REPS = 3,             /* the run stops early, after at least this many, past BENCH_WALL_LIMIT */
    GSO_MAX_SEGMENTS = 64,    /* Linux's UDP_MAX_SEGMENTS on older kernels */
    GSO_MAX_BYTES = 65000,    /* payload bytes per GSO message */
    MAX_CHUNK_BATCHES = 16,   /* batches per timed chunk (1024 datagrams), between two drains */
    MAX_CHUNKS = 20000,       /* per method per round, whatever the clock says */
    RX_SLOTS = 1024,          /* recvmmsg slots per drain call */
    RX_PEEK = 16,             /* bytes of each datagram copied out by a drain: the method id */
    RX_BUFFER = 8 << 20,      /* receive buffer asked for (SO_RCVBUFFORCE, else SO_RCVBUF) */
    STALL_WAIT_MS = 100,      /* a full send buffer: wait this long for POLLOUT ... */
    MAX_STALLS = 200,         /* ... at most this many times per method per repetition */
    MAX_METHODS = 16,
};
static const double REP_SECONDS = 0.2;        /* timed send time per method per round */
static const double REP_WALL_LIMIT = 3.0;     /* per method per round, drains included */
static const double BENCH_WALL_LIMIT = 50.0;  /* no new round starts after this (once MIN_REPS ran) */

/* ------------------------------------------------------------------------------------------ */
/* Clock, statistics, failure                                                                 */
/* ------------------------------------------------------------------------------------------ */

/* The median of v[0 .. n) (n <= REPS), v left untouched. */
static double median_of(const double *v, size_t n)
{
    double sorted[REPS];
    memcpy(sorted, v, n * sizeof *v);
    return median(sorted, n);
}

static void die(const char *fmt, ...)
{
    va_list args;
    fflush(stdout);
    fputs("udp_bench: ", stderr);
    va_start(args, fmt);
    vfprintf(stderr, fmt, args);
    va_end(args);
    fputc('\n', stderr);
    exit(1);
}

static void die_errno(const char *what)
{
    die("%s: %s", what, strerror(errno));
}

static void expect_ok(const char *what, wasixnet_sock_status_t status)
{
    if (status != WASIXNET_SOCK_OK)
        die("%s answered %s (%d)", what, wasixnet_sock_status_name(status), (int)status);
}

/* ------------------------------------------------------------------------------------------ */
/* Scenarios: their receivers and their peers' addresses                                      */
/* ------------------------------------------------------------------------------------------ */

typedef struct scenario {
    const char *label; /* "1200 B -> 1 peer" */
    size_t size;       /* datagram bytes */
    size_t peers;
    int rx[PEERS];
    struct sockaddr_in addr[PEERS];
    wasixnet_ip_socket_address_t waddr[PEERS];
    int rcvbuf;           /* as the kernel reports it (the real limit) */
    size_t chunk_batches; /* batches sent between two drains */
} scenario_t;

static struct sockaddr_in loopback(uint16_t port)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

static int raw_socket(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        die_errno("socket");
    struct sockaddr_in local = loopback(0);
    if (bind(fd, (struct sockaddr *)&local, sizeof local) != 0)
        die_errno("bind 127.0.0.1:0");
    return fd;
}

static void scenario_init(scenario_t *sc, const char *label, size_t size, size_t peers)
{
    memset(sc, 0, sizeof *sc);
    sc->label = label;
    sc->size = size;
    sc->peers = peers;
    for (size_t p = 0; p < peers; p++) {
        int fd = raw_socket(), size_asked = RX_BUFFER;
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size_asked, sizeof size_asked) != 0 &&
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size_asked, sizeof size_asked) != 0)
            die_errno("SO_RCVBUF");
        int rcvbuf = 0;
        socklen_t len = sizeof rcvbuf;
        struct sockaddr_in bound;
        socklen_t blen = sizeof bound;
        if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &len) != 0 ||
            getsockname(fd, (struct sockaddr *)&bound, &blen) != 0)
            die_errno("receiver setup");
        sc->rx[p] = fd;
        sc->addr[p] = bound;
        sc->rcvbuf = p == 0 || rcvbuf < sc->rcvbuf ? rcvbuf : sc->rcvbuf;
        wasixnet_ip_socket_address_t *w = &sc->waddr[p];
        memset(w, 0, sizeof *w);
        w->tag = WASIXNET_IP_FAMILY_IPV4;
        w->u.ipv4.port = ntohs(bound.sin_port);
        memcpy(w->u.ipv4.address, &bound.sin_addr, 4);
    }
    /* A receiver's queue must hold what one chunk sends it: by a generous estimate of the kernel's
     * per-datagram memory (truesize), with half the buffer to spare. */
    size_t per_datagram = 2 * (size + 512) + 512;
    size_t per_batch = (BATCH / peers) * per_datagram;
    size_t batches = (size_t)sc->rcvbuf / 2 / per_batch;
    sc->chunk_batches = batches < 1 ? 1 : batches > MAX_CHUNK_BATCHES ? MAX_CHUNK_BATCHES : batches;
}

/* ------------------------------------------------------------------------------------------ */
/* Methods                                                                                    */
/* ------------------------------------------------------------------------------------------ */

typedef struct method method_t;
typedef size_t (*send_fn)(method_t *m); /* one batch; returns the datagrams reported sent */

typedef union control {
    char buf[CMSG_SPACE(sizeof(uint16_t))];
    struct cmsghdr align;
} control_t;

struct method {
    const char *name;
    scenario_t *sc;
    send_fn send;
    uint8_t id; /* byte 0 of each of its datagrams */
    int fd;     /* raw methods: the sending socket */
    wasixnet_udp_socket_t *sock;
    wasixnet_port_t *port;
    uint8_t *payload; /* BATCH x size bytes: datagram i at i * size */
    /* raw sendmmsg: prepared once */
    struct mmsghdr msgs[BATCH];
    struct iovec iov[BATCH];
    control_t control[BATCH];
    size_t segments[BATCH]; /* datagrams in each message */
    size_t nmsgs;
    /* wasixnet */
    wasixnet_outgoing_datagram_t datagrams[BATCH];
    wasixnet_guest_t guest;
    uint64_t list_ptr;
    /* results */
    double rate[REPS];
    size_t reps;
    uint64_t sent, received, stalls, short_sends;
};

static method_t methods[MAX_METHODS];
static size_t method_count;

static volatile uint64_t sink;

/* Waits (bounded) until `fd` is writable; a method that stalls too often is an error. */
static void stall(method_t *m, int fd)
{
    if (++m->stalls > (uint64_t)MAX_STALLS * (m->reps + 2))
        die("%s: the send buffer stayed full (%llu stalls)", m->name, (unsigned long long)m->stalls);
    struct pollfd p = {.fd = fd, .events = POLLOUT, .revents = 0};
    if (poll(&p, 1, STALL_WAIT_MS) < 0 && errno != EINTR)
        die_errno("poll");
}

static method_t *method_new(const char *name, scenario_t *sc, send_fn send)
{
    if (method_count == MAX_METHODS)
        die("too many methods");
    method_t *m = &methods[method_count];
    memset(m, 0, sizeof *m);
    m->name = name;
    m->sc = sc;
    m->send = send;
    m->id = (uint8_t)method_count;
    m->fd = -1;
    m->payload = calloc(BATCH, sc->size);
    if (!m->payload)
        die("out of memory");
    for (size_t i = 0; i < BATCH; i++) {
        uint8_t *d = m->payload + i * sc->size;
        for (size_t k = 0; k < sc->size; k++)
            d[k] = (uint8_t)(i + k);
        d[0] = m->id;
    }
    method_count++;
    return m;
}

/* --- raw sendto loop ------------------------------------------------------------------------ */

static size_t send_sendto(method_t *m)
{
    const scenario_t *sc = m->sc;
    size_t sent = 0;
    for (size_t i = 0; i < BATCH; i++) {
        const struct sockaddr_in *to = &sc->addr[i % sc->peers];
        ssize_t r = sendto(m->fd, m->payload + i * sc->size, sc->size, MSG_DONTWAIT, (const struct sockaddr *)to,
                           sizeof *to);
        if (r == (ssize_t)sc->size)
            sent++;
        else if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            stall(m, m->fd);
        else if (r < 0 && errno == EINTR)
            continue;
        else
            die_errno("sendto");
    }
    return sent;
}

/* --- raw sendmmsg, with or without GSO ---------------------------------------------------- */

/* Lays the batch out as messages: one per datagram, or (gso) runs of <= 64 segments and <= 65000
 * bytes to one peer with a UDP_SEGMENT cmsg. `connected`: msg_name NULL. */
static void prepare_mmsg(method_t *m, bool gso, bool connected)
{
    const scenario_t *sc = m->sc;
    size_t per_message = 1;
    if (gso) {
        if (sc->peers != 1)
            die("GSO layout needs one peer");
        per_message = GSO_MAX_BYTES / sc->size;
        if (per_message > GSO_MAX_SEGMENTS)
            per_message = GSO_MAX_SEGMENTS;
    }
    memset(m->msgs, 0, sizeof m->msgs);
    m->nmsgs = 0;
    for (size_t i = 0; i < BATCH; i++) {
        m->iov[i].iov_base = m->payload + i * sc->size;
        m->iov[i].iov_len = sc->size;
    }
    for (size_t first = 0; first < BATCH; first += per_message) {
        size_t n = BATCH - first < per_message ? BATCH - first : per_message;
        struct msghdr *h = &m->msgs[m->nmsgs].msg_hdr;
        h->msg_iov = &m->iov[first];
        h->msg_iovlen = n;
        if (!connected) {
            h->msg_name = &m->sc->addr[first % sc->peers];
            h->msg_namelen = sizeof(struct sockaddr_in);
        }
        if (gso && n > 1) {
            h->msg_control = m->control[m->nmsgs].buf;
            h->msg_controllen = sizeof m->control[m->nmsgs].buf;
            struct cmsghdr *c = CMSG_FIRSTHDR(h);
            c->cmsg_level = SOL_UDP;
            c->cmsg_type = UDP_SEGMENT;
            c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
            uint16_t segment = (uint16_t)sc->size;
            memcpy(CMSG_DATA(c), &segment, sizeof segment);
        }
        m->segments[m->nmsgs] = n;
        m->nmsgs++;
    }
}

static size_t send_sendmmsg(method_t *m)
{
    size_t done = 0, sent = 0;
    while (done < m->nmsgs) {
        int r = sendmmsg(m->fd, m->msgs + done, (unsigned)(m->nmsgs - done), MSG_DONTWAIT);
        if (r > 0) {
            for (int k = 0; k < r; k++)
                sent += m->segments[done + (size_t)k];
            done += (size_t)r;
        } else if (r < 0 && errno == EINTR) {
            continue;
        } else if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            stall(m, m->fd);
            break;
        } else {
            die_errno("sendmmsg");
        }
    }
    return sent;
}

/* --- wasixnet ------------------------------------------------------------------------------- */

/* check_send until it grants (a full send buffer answers 0: wait for POLLOUT, bounded). */
static void wasixnet_grant(method_t *m)
{
    for (;;) {
        uint64_t permits = 0;
        expect_ok("wasixnet_udp_check_send", wasixnet_udp_check_send(m->sock, &permits));
        if (permits == WASIXNET_UDP_MAX_PERMITS)
            return;
        if (permits != 0)
            die("%s: check_send granted %llu (contract: 0 or %u)", m->name, (unsigned long long)permits,
                WASIXNET_UDP_MAX_PERMITS);
        stall(m, wasixnet_udp_fd(m->sock));
    }
}

static size_t checked_sent(method_t *m, wasixnet_sock_status_t status, uint64_t sent, const char *call)
{
    expect_ok(call, status);
    if (sent > BATCH)
        die("%s: %s reported %llu sent of %d", m->name, call, (unsigned long long)sent, BATCH);
    if (sent < BATCH)
        m->short_sends++;
    return (size_t)sent;
}

static size_t send_wasixnet(method_t *m)
{
    wasixnet_grant(m);
    uint64_t sent = UINT64_MAX;
    wasixnet_sock_status_t status = wasixnet_udp_send(m->sock, m->datagrams, BATCH, &sent);
    return checked_sent(m, status, sent, "wasixnet_udp_send");
}

static size_t send_guest(method_t *m)
{
    wasixnet_grant(m);
    uint64_t sent = UINT64_MAX;
    wasixnet_sock_status_t status = wasixnet_guest_udp_send(m->sock, &m->guest, m->list_ptr, BATCH, &sent);
    return checked_sent(m, status, sent, "wasixnet_guest_udp_send");
}

/* A wasixnet socket on 127.0.0.1:0, streaming to `peer` (NULL: unconnected). */
static wasixnet_udp_socket_t *wasixnet_socket(wasixnet_port_t *port, const wasixnet_ip_socket_address_t *peer)
{
    wasixnet_udp_socket_t *s = NULL;
    wasixnet_ip_socket_address_t local;
    memset(&local, 0, sizeof local);
    local.tag = WASIXNET_IP_FAMILY_IPV4;
    local.u.ipv4.address[0] = 127;
    local.u.ipv4.address[3] = 1;
    expect_ok("wasixnet_udp_create", wasixnet_udp_create(port, WASIXNET_IP_FAMILY_IPV4, &s));
    expect_ok("wasixnet_udp_start_bind", wasixnet_udp_start_bind(s, &local));
    expect_ok("wasixnet_udp_finish_bind", wasixnet_udp_finish_bind(s));
    expect_ok("wasixnet_udp_stream", wasixnet_udp_stream(s, peer));
    return s;
}

static void prepare_datagrams(method_t *m, bool connected)
{
    for (size_t i = 0; i < BATCH; i++) {
        m->datagrams[i].data = m->payload + i * m->sc->size;
        m->datagrams[i].len = m->sc->size;
        m->datagrams[i].remote_address = connected ? NULL : &m->sc->waddr[i % m->sc->peers];
    }
}

/* The guest: the batch's bytes at GUEST_DATA, then the list<outgoing-datagram> at GUEST_LIST, in
 * the canonical ABI's layout, little-endian, written byte by byte (not through host structs). */
enum { GUEST_DATA = 0x1000, GUEST_ELEMENT = WASIXNET_GUEST_OUTGOING_DATAGRAM_SIZE };

static void put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v)
{
    put_u16(p, (uint16_t)v);
    put_u16(p + 2, (uint16_t)(v >> 16));
}

static void prepare_guest(method_t *m)
{
    const scenario_t *sc = m->sc;
    uint64_t list = (GUEST_DATA + BATCH * sc->size + 0xFFF) & ~(uint64_t)0xFFF;
    uint64_t size = list + BATCH * GUEST_ELEMENT + 0x1000;
    uint8_t *memory = calloc(1, size);
    if (!memory)
        die("out of memory");
    memcpy(memory + GUEST_DATA, m->payload, BATCH * sc->size);
    for (size_t i = 0; i < BATCH; i++) {
        uint8_t *e = memory + list + i * GUEST_ELEMENT;
        const wasixnet_ip_socket_address_t *to = &sc->waddr[i % sc->peers];
        put_u32(e + 0, (uint32_t)(GUEST_DATA + i * sc->size)); /* data: ptr */
        put_u32(e + 4, (uint32_t)sc->size);                     /* data: len */
        e[8] = 1;                                               /* option<ip-socket-address>: some */
        e[12] = WASIXNET_IP_FAMILY_IPV4;                        /* ip-socket-address: ipv4 */
        put_u16(e + 16, to->u.ipv4.port);                       /* ipv4-socket-address.port @4 */
        memcpy(e + 18, to->u.ipv4.address, 4);                  /* .address @6, dotted order */
    }
    memset(&m->guest, 0, sizeof m->guest);
    m->guest.memory = memory;
    m->guest.memory_size = size;
    m->guest.pointer_size = 4;
    m->guest.layout = WASIXNET_LAYOUT_WASIX_V1;
    m->list_ptr = list;
}

/* ------------------------------------------------------------------------------------------ */
/* Receivers                                                                                  */
/* ------------------------------------------------------------------------------------------ */

static struct mmsghdr rx_msgs[RX_SLOTS];
static struct iovec rx_iov[RX_SLOTS];
static uint8_t rx_bytes[RX_SLOTS][RX_PEEK];

/* Empties every receiver of `sc`, counting each datagram for the method named by its byte 0 and
 * checking its full length (MSG_TRUNC). Returns the datagrams drained. */
static uint64_t drain(const scenario_t *sc)
{
    uint64_t total = 0;
    for (size_t p = 0; p < sc->peers; p++) {
        for (size_t round = 0; round < 1000000; round++) {
            for (size_t i = 0; i < RX_SLOTS; i++) {
                rx_iov[i] = (struct iovec){rx_bytes[i], RX_PEEK};
                memset(&rx_msgs[i].msg_hdr, 0, sizeof rx_msgs[i].msg_hdr);
                rx_msgs[i].msg_hdr.msg_iov = &rx_iov[i];
                rx_msgs[i].msg_hdr.msg_iovlen = 1;
            }
            int r = recvmmsg(sc->rx[p], rx_msgs, RX_SLOTS, MSG_DONTWAIT | MSG_TRUNC, NULL);
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                break;
            if (r <= 0)
                die_errno("recvmmsg");
            for (int i = 0; i < r; i++) {
                uint8_t id = rx_bytes[i][0];
                if (rx_msgs[i].msg_len == 0 || id >= method_count || methods[id].sc != sc)
                    die("%s: receiver %zu got a datagram of %u bytes from no method here (byte 0 = %u)", sc->label, p,
                        rx_msgs[i].msg_len, (unsigned)id);
                if (rx_msgs[i].msg_len != sc->size)
                    die("%s: %s: a datagram arrived with %u bytes, sent with %zu", sc->label, methods[id].name,
                        rx_msgs[i].msg_len, sc->size);
                methods[id].received++;
            }
            total += (uint64_t)r;
        }
    }
    return total;
}

/* Drains until the receivers have been quiet for `quiet_ms` (at most 20 rounds). */
static void drain_until_quiet(const scenario_t *sc, int quiet_ms)
{
    for (int round = 0; round < 20; round++) {
        drain(sc);
        struct pollfd p[PEERS];
        for (size_t i = 0; i < sc->peers; i++)
            p[i] = (struct pollfd){.fd = sc->rx[i], .events = POLLIN, .revents = 0};
        if (poll(p, sc->peers, quiet_ms) == 0)
            return;
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Receive: the same queued traffic drained four ways                                         */
/* ------------------------------------------------------------------------------------------ */

/* Each method has its own receiving socket (UDP_GRO is decided when a datagram is queued, so
 * a socket with it and one without cannot share a queue). A raw sender queues the same traffic
 * into each, untimed: RX_QUEUED datagrams of BIG bytes, sent with sendmmsg + UDP_SEGMENT (runs
 * of 65000 / BIG segments); then only the drain is timed, until the method has every datagram.
 * Datagram i of a fill carries i in its first 4 bytes and lands in slot i: after each drain
 * every slot is checked (length, sequence, sender), so each method got every datagram exactly
 * once and in order. */
enum {
    RX_QUEUED = 1024,         /* datagrams queued per fill, drained in one timed drain */
    RX_SLOT = 2048,           /* bytes of a caller's buffer (room for BIG) */
    RX_BATCH = 64,            /* datagrams asked for per recvmmsg / wasixnet_udp_receive */
    RX_GRO_BUFFER = 65536,    /* bytes of one coalesced buffer (method c) */
    RX_FILLS = 24,            /* fill + drain cycles per method per round (bounded by RX_SECONDS) */
    RX_METHODS = 7,           /* (a)-(e) on coalesced traffic, then (b) and (d) on lone datagrams */
    RX_GUEST_MEMORY = 4 << 20, /* method (e): room for a whole drain's lists and bytes */
    UDP_GRO_OPTION = 104,     /* <linux/udp.h> UDP_GRO */
};
static const double RX_SECONDS = 0.15;   /* timed drain per method per round, at most */

typedef struct rx_method rx_method_t;
typedef size_t (*drain_fn)(rx_method_t *m); /* drains RX_QUEUED into the slots; returns how many */

struct rx_method {
    const char *name;
    drain_fn drain;
    int fd;                          /* the receiving socket (wasixnet: its fd) */
    wasixnet_udp_socket_t *sock;     /* (d), (e) */
    void (*settle)(rx_method_t *m);  /* after the timed drain: puts what it got into the slots */
    struct sockaddr_in addr;         /* where the sender sends */
    bool lone;                       /* its traffic: lone datagrams (no GSO), else coalesced runs */
    double rate[REPS];
    size_t reps;
    uint64_t drained, checked;
};

static uint8_t *rx_slots;            /* RX_QUEUED slots of RX_SLOT bytes */
static size_t rx_lengths[RX_QUEUED];
static struct sockaddr_in rx_from[RX_QUEUED];
static uint8_t *rx_gro_buffers;      /* RX_BATCH buffers of RX_GRO_BUFFER bytes, method (c) */
static struct mmsghdr rx_mmsgs[RX_BATCH];
static struct iovec rx_iovs[RX_BATCH];
static struct sockaddr_in rx_names[RX_BATCH];
static union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } rx_controls[RX_BATCH];
static wasixnet_incoming_datagram_t rx_incoming[RX_BATCH];

/* The sender: every fill's bytes, laid out as GSO messages once. */
static int rx_sender;
static struct sockaddr_in rx_sender_addr;
static uint8_t *rx_payload;          /* RX_QUEUED x BIG */
static struct mmsghdr rx_send_msgs[RX_QUEUED];
static struct iovec rx_send_iovs[RX_QUEUED];
static control_t rx_send_controls[RX_QUEUED];
static size_t rx_send_count;
static struct mmsghdr rx_lone_msgs[RX_QUEUED]; /* the same datagrams, one message each, no GSO */

static void rx_sender_init(void)
{
    rx_sender = raw_socket();
    socklen_t len = sizeof rx_sender_addr;
    if (getsockname(rx_sender, (struct sockaddr *)&rx_sender_addr, &len) != 0)
        die_errno("getsockname");
    int size = 4 << 20;
    if (setsockopt(rx_sender, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) != 0)
        (void)setsockopt(rx_sender, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    rx_payload = malloc((size_t)RX_QUEUED * BIG);
    if (!rx_payload)
        die("out of memory");
    for (size_t i = 0; i < RX_QUEUED; i++) {
        uint8_t *d = rx_payload + i * BIG;
        for (size_t k = 0; k < BIG; k++)
            d[k] = (uint8_t)(i * 7 + k);
        uint32_t sequence = (uint32_t)i;
        memcpy(d, &sequence, sizeof sequence);
        rx_send_iovs[i] = (struct iovec){d, BIG};
    }
    size_t per_message = GSO_MAX_BYTES / BIG > GSO_MAX_SEGMENTS ? GSO_MAX_SEGMENTS : GSO_MAX_BYTES / BIG;
    memset(rx_send_msgs, 0, sizeof rx_send_msgs);
    for (size_t first = 0; first < RX_QUEUED; first += per_message) {
        size_t n = RX_QUEUED - first < per_message ? RX_QUEUED - first : per_message;
        struct msghdr *h = &rx_send_msgs[rx_send_count].msg_hdr;
        h->msg_iov = &rx_send_iovs[first];
        h->msg_iovlen = n;
        h->msg_namelen = sizeof(struct sockaddr_in);
        if (n > 1) {
            h->msg_control = rx_send_controls[rx_send_count].buf;
            h->msg_controllen = sizeof rx_send_controls[rx_send_count].buf;
            struct cmsghdr *c = CMSG_FIRSTHDR(h);
            c->cmsg_level = SOL_UDP;
            c->cmsg_type = UDP_SEGMENT;
            c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
            uint16_t segment = BIG;
            memcpy(CMSG_DATA(c), &segment, sizeof segment);
        }
        rx_send_count++;
    }
    memset(rx_lone_msgs, 0, sizeof rx_lone_msgs);
    for (size_t i = 0; i < RX_QUEUED; i++) {
        rx_lone_msgs[i].msg_hdr.msg_iov = &rx_send_iovs[i];
        rx_lone_msgs[i].msg_hdr.msg_iovlen = 1;
        rx_lone_msgs[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_in);
    }
}

/* Queues RX_QUEUED datagrams at `m` (untimed): coalesced runs, or (m->lone) one message each. */
static void rx_fill(rx_method_t *m)
{
    struct mmsghdr *msgs = m->lone ? rx_lone_msgs : rx_send_msgs;
    size_t count = m->lone ? RX_QUEUED : rx_send_count;
    for (size_t i = 0; i < count; i++)
        msgs[i].msg_hdr.msg_name = &m->addr;
    size_t done = 0;
    for (int tries = 0; done < count && tries < 10000; tries++) {
        int r = sendmmsg(rx_sender, msgs + done, (unsigned)(count - done), 0);
        if (r > 0)
            done += (size_t)r;
        else if (r < 0 && errno != EINTR && errno != EAGAIN)
            die_errno("sendmmsg (receive traffic)");
    }
    if (done < count)
        die("receive traffic: the sender stalled");
}

/* (a) */
static size_t drain_recvfrom(rx_method_t *m)
{
    size_t n = 0;
    for (size_t spins = 0; n < RX_QUEUED && spins < 1000000; spins++) {
        socklen_t len = sizeof rx_from[n];
        ssize_t r = recvfrom(m->fd, rx_slots + n * RX_SLOT, RX_SLOT, MSG_DONTWAIT, (struct sockaddr *)&rx_from[n], &len);
        if (r >= 0)
            rx_lengths[n++] = (size_t)r;
        else if (errno == EAGAIN || errno == EWOULDBLOCK)
            break;
        else if (errno != EINTR)
            die_errno("recvfrom");
    }
    return n;
}

/* (b) */
static size_t drain_recvmmsg(rx_method_t *m)
{
    size_t n = 0;
    for (size_t spins = 0; n < RX_QUEUED && spins < 100000; spins++) {
        size_t want = RX_QUEUED - n < RX_BATCH ? RX_QUEUED - n : RX_BATCH;
        for (size_t i = 0; i < want; i++) {
            rx_iovs[i] = (struct iovec){rx_slots + (n + i) * RX_SLOT, RX_SLOT};
            memset(&rx_mmsgs[i].msg_hdr, 0, sizeof rx_mmsgs[i].msg_hdr);
            rx_mmsgs[i].msg_hdr.msg_iov = &rx_iovs[i];
            rx_mmsgs[i].msg_hdr.msg_iovlen = 1;
            rx_mmsgs[i].msg_hdr.msg_name = &rx_from[n + i];
            rx_mmsgs[i].msg_hdr.msg_namelen = sizeof rx_from[n + i];
        }
        int r = recvmmsg(m->fd, rx_mmsgs, (unsigned)want, MSG_DONTWAIT, NULL);
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            die_errno("recvmmsg");
        for (int i = 0; i < r; i++)
            rx_lengths[n + (size_t)i] = rx_mmsgs[i].msg_len;
        n += (size_t)r;
    }
    return n;
}

/* (c): coalesced buffers, each split at its UDP_GRO segment size and copied out per datagram. */
static size_t drain_recvmmsg_gro(rx_method_t *m)
{
    size_t n = 0;
    for (size_t spins = 0; n < RX_QUEUED && spins < 100000; spins++) {
        for (size_t i = 0; i < RX_BATCH; i++) {
            rx_iovs[i] = (struct iovec){rx_gro_buffers + i * RX_GRO_BUFFER, RX_GRO_BUFFER};
            memset(&rx_mmsgs[i].msg_hdr, 0, sizeof rx_mmsgs[i].msg_hdr);
            rx_mmsgs[i].msg_hdr.msg_iov = &rx_iovs[i];
            rx_mmsgs[i].msg_hdr.msg_iovlen = 1;
            rx_mmsgs[i].msg_hdr.msg_name = &rx_names[i];
            rx_mmsgs[i].msg_hdr.msg_namelen = sizeof rx_names[i];
            rx_mmsgs[i].msg_hdr.msg_control = rx_controls[i].buf;
            rx_mmsgs[i].msg_hdr.msg_controllen = sizeof rx_controls[i].buf;
        }
        int r = recvmmsg(m->fd, rx_mmsgs, RX_BATCH, MSG_DONTWAIT, NULL);
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            die_errno("recvmmsg (UDP_GRO)");
        for (int i = 0; i < r; i++) {
            size_t length = rx_mmsgs[i].msg_len, stride = length;
            for (struct cmsghdr *c = CMSG_FIRSTHDR(&rx_mmsgs[i].msg_hdr); c; c = CMSG_NXTHDR(&rx_mmsgs[i].msg_hdr, c))
                if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO_OPTION) {
                    int size;
                    memcpy(&size, CMSG_DATA(c), sizeof size);
                    if (size > 0)
                        stride = (size_t)size;
                }
            const uint8_t *from = rx_gro_buffers + (size_t)i * RX_GRO_BUFFER;
            for (size_t offset = 0; offset < length || (length == 0 && offset == 0); offset += stride) {
                size_t segment = length - offset < stride ? length - offset : stride;
                if (n == RX_QUEUED)
                    die("recvmmsg + UDP_GRO: more datagrams than were queued");
                memcpy(rx_slots + n * RX_SLOT, from + offset, segment < RX_SLOT ? segment : RX_SLOT);
                rx_lengths[n] = segment;
                rx_from[n] = rx_names[i];
                n++;
                if (length == 0)
                    break;
            }
        }
    }
    return n;
}

/* (d) */
static size_t drain_wasixnet(rx_method_t *m)
{
    size_t n = 0;
    for (size_t spins = 0; n < RX_QUEUED && spins < 100000; spins++) {
        size_t want = RX_QUEUED - n < RX_BATCH ? RX_QUEUED - n : RX_BATCH;
        for (size_t i = 0; i < want; i++) {
            rx_incoming[i].data = rx_slots + (n + i) * RX_SLOT;
            rx_incoming[i].capacity = RX_SLOT;
        }
        size_t received = 0;
        expect_ok("wasixnet_udp_receive", wasixnet_udp_receive(m->sock, rx_incoming, want, &received));
        if (received == 0 && wasixnet_udp_pending(m->sock) == 0)
            break;
        for (size_t i = 0; i < received; i++) {
            rx_lengths[n + i] = rx_incoming[i].truncated ? SIZE_MAX : rx_incoming[i].len;
            rx_from[n + i].sin_family = AF_INET;
            rx_from[n + i].sin_port = htons(rx_incoming[i].remote_address.u.ipv4.port);
            memcpy(&rx_from[n + i].sin_addr, rx_incoming[i].remote_address.u.ipv4.address, 4);
        }
        n += received;
    }
    return n;
}

/* (e): the guest form, into a fake guest memory; each call's list is kept for rx_settle_guest. */
static wasixnet_guest_t rx_guest;
static uint64_t rx_guest_next;               /* the bump allocator's next free offset */
static uint32_t rx_guest_lists[RX_QUEUED][2]; /* each call's list pointer and length */
static size_t rx_guest_calls;

static uint64_t rx_bump_realloc(void *context, wasixnet_guest_t *guest, uint64_t old_ptr, uint64_t old_size, uint64_t align,
                                uint64_t new_size)
{
    (void)context, (void)old_ptr, (void)old_size;
    uint64_t block = (rx_guest_next + align - 1) & ~(align - 1);
    if (block + new_size > guest->memory_size)
        return UINT64_MAX;
    rx_guest_next = block + new_size;
    return block;
}

static size_t drain_guest(rx_method_t *m)
{
    size_t n = 0;
    rx_guest_next = 16; /* the result record lives at 0 */
    rx_guest_calls = 0;
    for (size_t spins = 0; n < RX_QUEUED && spins < 100000; spins++) {
        size_t want = RX_QUEUED - n < RX_BATCH ? RX_QUEUED - n : RX_BATCH;
        expect_ok("wasixnet_guest_udp_receive", wasixnet_guest_udp_receive(m->sock, &rx_guest, want, rx_bump_realloc, NULL, 0));
        uint32_t list, count;
        memcpy(&list, rx_guest.memory + 4, 4);
        memcpy(&count, rx_guest.memory + 8, 4);
        if (rx_guest.memory[0] != 0)
            die("wasixnet_guest_udp_receive: err(%u)", rx_guest.memory[4]);
        if (count == 0)
            break;
        rx_guest_lists[rx_guest_calls][0] = list;
        rx_guest_lists[rx_guest_calls][1] = count;
        rx_guest_calls++;
        n += count;
    }
    return n;
}

/* (e), untimed: each element's datagram and sender into the slots rx_check reads. */
static void rx_settle_guest(rx_method_t *m)
{
    (void)m;
    size_t n = 0;
    for (size_t call = 0; call < rx_guest_calls; call++)
        for (uint32_t i = 0; i < rx_guest_lists[call][1] && n < RX_QUEUED; i++, n++) {
            const uint8_t *element = rx_guest.memory + rx_guest_lists[call][0] + 40 * i;
            uint32_t data, length;
            uint16_t port;
            memcpy(&data, element, 4);
            memcpy(&length, element + 4, 4);
            memcpy(&port, element + 12, 2);
            memcpy(rx_slots + n * RX_SLOT, rx_guest.memory + data, length < RX_SLOT ? length : RX_SLOT);
            rx_lengths[n] = element[8] == 0 ? length : SIZE_MAX;
            rx_from[n].sin_family = AF_INET;
            rx_from[n].sin_port = htons(port);
            memcpy(&rx_from[n].sin_addr, element + 14, 4);
        }
}

/* Every slot holds its datagram, whole, from the sender. */
static void rx_check(rx_method_t *m, size_t drained)
{
    if (drained != RX_QUEUED)
        die("receive: %s got %zu of %d datagrams queued", m->name, drained, RX_QUEUED);
    for (size_t i = 0; i < RX_QUEUED; i++) {
        uint32_t sequence;
        memcpy(&sequence, rx_slots + i * RX_SLOT, sizeof sequence);
        if (rx_lengths[i] != BIG || sequence != i || memcmp(rx_slots + i * RX_SLOT, rx_payload + i * BIG, BIG) != 0)
            die("receive: %s: slot %zu holds datagram %u of %zu bytes (wanted %zu of %d)", m->name, i, sequence,
                rx_lengths[i], i, BIG);
        if (rx_from[i].sin_port != rx_sender_addr.sin_port || rx_from[i].sin_addr.s_addr != rx_sender_addr.sin_addr.s_addr)
            die("receive: %s: slot %zu from the wrong sender", m->name, i);
    }
    m->checked += RX_QUEUED;
}

/* One method's turn: fills and timed drains; the median of the drains' datagrams/s. */
static double rx_turn(rx_method_t *m, double seconds)
{
    static double rates[RX_FILLS];
    size_t fills = 0;
    uint64_t timed = 0, want = (uint64_t)(seconds * 1e9);
    while (fills < RX_FILLS && timed < want) {
        rx_fill(m);
        memset(rx_lengths, 0, sizeof rx_lengths);
        uint64_t t0 = now_ns();
        size_t drained = m->drain(m);
        uint64_t ns = now_ns() - t0;
        timed += ns;
        if (m->settle)
            m->settle(m);
        m->drained += drained;
        rx_check(m, drained);
        rates[fills++] = ns ? (double)drained / ((double)ns / 1e9) : 0;
    }
    return median(rates, fills);
}

static int rx_socket(bool gro)
{
    int fd = raw_socket(), size = RX_BUFFER;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    int one = 1;
    if (gro && setsockopt(fd, SOL_UDP, UDP_GRO_OPTION, &one, sizeof one) != 0)
        die_errno("setsockopt UDP_GRO");
    return fd;
}

static void rx_method_init(rx_method_t *m, const char *name, drain_fn drain, int fd)
{
    memset(m, 0, sizeof *m);
    m->name = name;
    m->drain = drain;
    m->fd = fd;
    socklen_t len = sizeof m->addr;
    if (getsockname(fd, (struct sockaddr *)&m->addr, &len) != 0)
        die_errno("getsockname");
}

/* The receive table: (a) recvfrom loop, (b) recvmmsg x64, (c) recvmmsg x64 + UDP_GRO with
 * per-datagram copy-out, (d) wasixnet_udp_receive x64. Returns after printing it. */
static void receive_benchmark(void)
{
    rx_slots = malloc((size_t)RX_QUEUED * RX_SLOT);
    rx_gro_buffers = malloc((size_t)RX_BATCH * RX_GRO_BUFFER);
    if (!rx_slots || !rx_gro_buffers)
        die("out of memory");
    rx_sender_init();
    rx_method_t methods_rx[RX_METHODS];
    rx_method_init(&methods_rx[0], "recvfrom loop", drain_recvfrom, rx_socket(false));
    rx_method_init(&methods_rx[1], "recvmmsg x64", drain_recvmmsg, rx_socket(false));
    rx_method_init(&methods_rx[2], "recvmmsg x64 + UDP_GRO, copy-out", drain_recvmmsg_gro, rx_socket(true));
    /* (d), (e) and lone (d) each on a socket of its own, set up as a runtime's would be: its
     * poll loop reads wasixnet_udp_pending before it waits on the fd (wasixnet.h [udp.receive]). */
    wasixnet_udp_socket_t *socks[3];
    for (size_t k = 0; k < 3; k++) {
        socks[k] = wasixnet_socket(NULL, NULL);
        int size = RX_BUFFER;
        if (setsockopt(wasixnet_udp_fd(socks[k]), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
            expect_ok("wasixnet_udp_set_receive_buffer_size", wasixnet_udp_set_receive_buffer_size(socks[k], RX_BUFFER));
        (void)wasixnet_udp_pending(socks[k]);
    }
    rx_method_init(&methods_rx[3], "wasixnet_udp_receive x64", drain_wasixnet, wasixnet_udp_fd(socks[0]));
    methods_rx[3].sock = socks[0];
    rx_guest = (wasixnet_guest_t){.memory = calloc(1, RX_GUEST_MEMORY), .memory_size = RX_GUEST_MEMORY, .pointer_size = 4};
    if (!rx_guest.memory)
        die("out of memory");
    rx_method_init(&methods_rx[4], "wasixnet_guest_udp_receive x64, bump realloc", drain_guest, wasixnet_udp_fd(socks[1]));
    methods_rx[4].sock = socks[1];
    methods_rx[4].settle = rx_settle_guest;
    rx_method_init(&methods_rx[5], "recvmmsg x64", drain_recvmmsg, rx_socket(false));
    methods_rx[5].lone = true;
    rx_method_init(&methods_rx[6], "wasixnet_udp_receive x64", drain_wasixnet, wasixnet_udp_fd(socks[2]));
    methods_rx[6].sock = socks[2];
    methods_rx[6].lone = true;

    for (size_t i = 0; i < RX_METHODS; i++) /* warm-up */
        sink += (uint64_t)rx_turn(&methods_rx[i], 0.01);
    size_t reps = 0;
    for (size_t r = 0; r < REPS; r++) {
        fprintf(stderr, "receive round %zu/%d:", r + 1, REPS);
        for (size_t k = 0; k < RX_METHODS; k++) {
            rx_method_t *m = &methods_rx[(k + r) % RX_METHODS];
            m->rate[m->reps++] = rx_turn(m, RX_SECONDS);
        }
        for (size_t i = 0; i < RX_METHODS; i++)
            fprintf(stderr, " %.2f", methods_rx[i].rate[r] / 1e6);
        fprintf(stderr, " M/s\n");
        reps++;
    }

    double figures[RX_METHODS];
    for (size_t i = 0; i < RX_METHODS; i++)
        figures[i] = median_of(methods_rx[i].rate, methods_rx[i].reps);
    size_t best = 0;
    for (size_t i = 1; i < 3; i++)
        if (figures[i] > figures[best])
            best = i;
    /* Paired: within each round, wasixnet against that round's best raw method and the loop. */
    double versus_best[REPS], versus_loop[REPS], guest_versus_host[REPS];
    for (size_t r = 0; r < reps; r++) {
        double round_best = methods_rx[0].rate[r];
        for (size_t i = 1; i < 3; i++)
            if (methods_rx[i].rate[r] > round_best)
                round_best = methods_rx[i].rate[r];
        versus_best[r] = round_best > 0 ? methods_rx[3].rate[r] / round_best : 0;
        versus_loop[r] = methods_rx[0].rate[r] > 0 ? methods_rx[3].rate[r] / methods_rx[0].rate[r] : 0;
        guest_versus_host[r] = methods_rx[3].rate[r] > 0 ? methods_rx[4].rate[r] / methods_rx[3].rate[r] : 0;
    }
    double paired_best = median_of(versus_best, reps), paired_loop = median_of(versus_loop, reps),
           paired_guest = median_of(guest_versus_host, reps);

    printf("\n%-57s | %-11s | %-40s | %-6s | %-12s | %s\n", "receive (1200 B, queued by sendmmsg + GSO)", "datagrams/s",
           "baseline", "ratio", "target", "checked");
    printf("%.57s-+-%.11s-+-%.40s-+-%.6s-+-%.12s-+-%.9s\n", "---------------------------------------------------------",
           "-----------", "----------------------------------------", "------", "------------", "---------");
    for (size_t i = 0; i < 5; i++) {
        char label[80], fig[24], base[64] = "-", ratio[16] = "-", target[24] = "-";
        snprintf(label, sizeof label, "(%c) %s", (char)('a' + i), methods_rx[i].name);
        snprintf(fig, sizeof fig, "%.3f M/s", figures[i] / 1e6);
        if (i == 4) { /* the guest form against the host-typed call */
            snprintf(base, sizeof base, "%.3f M/s (d)", figures[3] / 1e6);
            snprintf(ratio, sizeof ratio, "%.3g", figures[4] / figures[3]);
            snprintf(target, sizeof target, ">= 0.8 %s", figures[4] / figures[3] >= 0.8 ? "ok" : "MISSED");
        } else if (i > 0) {
            snprintf(base, sizeof base, "%.3f M/s %s", figures[0] / 1e6, methods_rx[0].name);
            snprintf(ratio, sizeof ratio, "%.3g", figures[i] / figures[0]);
            if (i == 3)
                snprintf(target, sizeof target, ">= 4 %s", figures[3] / figures[0] >= 4 ? "ok" : "MISSED");
        }
        printf("%-57s | %-11s | %-40s | %-6s | %-12s | %llu\n", label, fig, base, ratio, target,
               (unsigned long long)methods_rx[i].checked);
    }
    {
        char base[64], ratio[16], target[24];
        snprintf(base, sizeof base, "%.3f M/s %s", figures[best] / 1e6, methods_rx[best].name);
        snprintf(ratio, sizeof ratio, "%.3g", figures[3] / figures[best]);
        snprintf(target, sizeof target, ">= 0.9 %s", figures[3] / figures[best] >= 0.9 ? "ok" : "MISSED");
        printf("%-57s | %-11s | %-40s | %-6s | %-12s | %llu\n", "(d) wasixnet_udp_receive x64, against the best raw",
               "", base, ratio, target, (unsigned long long)methods_rx[3].checked);
    }
    {
        double lone_pairs[REPS];
        for (size_t r = 0; r < reps; r++)
            lone_pairs[r] = methods_rx[5].rate[r] > 0 ? methods_rx[6].rate[r] / methods_rx[5].rate[r] : 0;
        char label[80], fig[24], base[64], ratio[16];
        snprintf(label, sizeof label, "lone datagrams (no GSO): (b) %s", methods_rx[5].name);
        snprintf(fig, sizeof fig, "%.3f M/s", figures[5] / 1e6);
        printf("%-57s | %-11s | %-40s | %-6s | %-12s | %llu\n", label, fig, "-", "-", "-",
               (unsigned long long)methods_rx[5].checked);
        snprintf(label, sizeof label, "lone datagrams (no GSO): (d) %s", methods_rx[6].name);
        snprintf(fig, sizeof fig, "%.3f M/s", figures[6] / 1e6);
        snprintf(base, sizeof base, "%.3f M/s %s", figures[5] / 1e6, methods_rx[5].name);
        snprintf(ratio, sizeof ratio, "%.3g", figures[6] / figures[5]);
        printf("%-57s | %-11s | %-40s | %-6s | %-12s | %llu\n", label, fig, base, ratio, "-",
               (unsigned long long)methods_rx[6].checked);
        printf("paired ratios (median over rounds of the ratio within a round): (d)/best of (a,b,c) %.3f, (d)/(a) %.3f, "
               "(e)/(d) %.3f, lone (d)/(b) %.3f\n", paired_best, paired_loop, paired_guest, median_of(lone_pairs, reps));
    }
    printf("datagrams/s: median of %zu rounds (round-robin) of each method's median over drains of %d queued datagrams\n"
           "  (only the drain timed); checked: datagrams verified in place (length, sequence, bytes, sender).\n",
           reps, RX_QUEUED);

    for (size_t i = 0; i < 3; i++)
        close(methods_rx[i].fd);
    close(methods_rx[5].fd);
    for (size_t k = 0; k < 3; k++)
        wasixnet_udp_free(socks[k]);
    free(rx_guest.memory);
    close(rx_sender);
    free(rx_payload);
    free(rx_slots);
    free(rx_gro_buffers);
}

/* ------------------------------------------------------------------------------------------ */
/* Memory: what a socket keeps after a batch out and in                                       */
/* ------------------------------------------------------------------------------------------ */

enum { MEM_PAIRS = 1000 }; /* socket pairs: a host with thousands of guests */

static long resident_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, resident = 0;
    if (!f)
        return -1;
    if (fscanf(f, "%ld %ld", &size, &resident) != 2)
        resident = -1;
    fclose(f);
    return resident * sysconf(_SC_PAGESIZE);
}

/* Sends a batch of BATCH datagrams of BIG bytes from `from` to `to_address`, then receives them
 * all on `to` with wasixnet_udp_receive x64 (polling its fd, bounded). */
static void memory_exchange(wasixnet_udp_socket_t *from, wasixnet_udp_socket_t *to,
                            const wasixnet_ip_socket_address_t *to_address, const uint8_t *payload)
{
    static uint8_t inbox[BATCH][RX_SLOT];
    wasixnet_outgoing_datagram_t out[BATCH];
    wasixnet_incoming_datagram_t in[BATCH];
    for (size_t i = 0; i < BATCH; i++)
        out[i] = (wasixnet_outgoing_datagram_t){payload + i * BIG, BIG, to_address};
    uint64_t permits = 0, sent = 0;
    expect_ok("wasixnet_udp_check_send", wasixnet_udp_check_send(from, &permits));
    expect_ok("wasixnet_udp_send", wasixnet_udp_send(from, out, BATCH, &sent));
    size_t received = 0;
    for (int tries = 0; received < sent && tries < 1000; tries++) {
        struct pollfd pfd = {.fd = wasixnet_udp_fd(to), .events = POLLIN, .revents = 0};
        (void)poll(&pfd, 1, 10);
        for (size_t i = 0; i < BATCH; i++)
            in[i] = (wasixnet_incoming_datagram_t){.data = inbox[i], .capacity = RX_SLOT};
        size_t got = 0;
        expect_ok("wasixnet_udp_receive", wasixnet_udp_receive(to, in, BATCH, &got));
        received += got;
    }
    if (sent != BATCH || received != sent)
        die("memory: %llu sent and %zu received of %d", (unsigned long long)sent, received, BATCH);
}

/* MEM_PAIRS pairs of wasixnet sockets, each socket having sent a batch of 64 datagrams of BIG
 * bytes (coalesced) to the other and received the other's batch with wasixnet_udp_receive x64;
 * all stay open. The heap in use (mallinfo2) and the resident set before and after, per socket. */
static void memory_benchmark(void)
{
    static wasixnet_udp_socket_t *sockets[2 * MEM_PAIRS];
    static uint8_t payload[BATCH * BIG];
    /* One pair first, freed: one-time allocations (the shared receive staging pool) are not
     * any socket's. */
    for (int warm = 0; warm < 2; warm++) {
        size_t pairs = warm == 0 ? 1 : MEM_PAIRS;
        struct mallinfo2 heap_before = mallinfo2();
        long rss_before = resident_bytes();
        for (size_t p = 0; p < pairs; p++) {
            wasixnet_udp_socket_t *a = wasixnet_socket(NULL, NULL), *b = wasixnet_socket(NULL, NULL);
            wasixnet_ip_socket_address_t a_address, b_address;
            expect_ok("wasixnet_udp_local_address", wasixnet_udp_local_address(a, &a_address));
            expect_ok("wasixnet_udp_local_address", wasixnet_udp_local_address(b, &b_address));
            memory_exchange(a, b, &b_address, payload);
            memory_exchange(b, a, &a_address, payload);
            sockets[2 * p] = a;
            sockets[2 * p + 1] = b;
        }
        struct mallinfo2 heap_after = mallinfo2();
        long rss_after = resident_bytes();
        if (warm == 0) {
            wasixnet_udp_free(sockets[0]);
            wasixnet_udp_free(sockets[1]);
            continue;
        }
        double heap = ((double)heap_after.uordblks - (double)heap_before.uordblks) / (2.0 * MEM_PAIRS);
        double rss = ((double)rss_after - (double)rss_before) / (2.0 * MEM_PAIRS);
        printf("\nmemory: %d sockets, each after sending a batch of %d x %d B and receiving one: %.0f B of heap per "
               "socket (mallinfo2), %.0f B resident per socket; target <= 32768 B %s\n",
               2 * MEM_PAIRS, BATCH, BIG, heap, rss, heap <= 32768 && rss <= 32768 ? "ok" : "MISSED");
        for (size_t i = 0; i < 2 * MEM_PAIRS; i++)
            wasixnet_udp_free(sockets[i]);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Measurement                                                                                */
/* ------------------------------------------------------------------------------------------ */

static double chunk_rates[MAX_CHUNKS];

/* One method's turn in a round: timed chunks of chunk_batches batches, an untimed drain after
 * each, until `seconds` of timed sending (bounded by MAX_CHUNKS and REP_WALL_LIMIT). Returns the
 * median over the chunks of datagrams/s: a chunk the scheduler interrupted (the machine is
 * shared) counts as one outlier, not as lost time. */
static double run_turn(method_t *m, double seconds)
{
    uint64_t start = now_ns(), timed = 0;
    uint64_t want = (uint64_t)(seconds * 1e9), wall = (uint64_t)(REP_WALL_LIMIT * 1e9);
    size_t chunks = 0;
    while (chunks < MAX_CHUNKS && timed < want && now_ns() - start < wall) {
        size_t sent = 0;
        uint64_t t0 = now_ns();
        for (size_t b = 0; b < m->sc->chunk_batches; b++)
            sent += m->send(m);
        uint64_t ns = now_ns() - t0;
        timed += ns;
        chunk_rates[chunks++] = ns ? (double)sent / ((double)ns / 1e9) : 0;
        m->sent += sent;
        drain(m->sc);
    }
    return median(chunk_rates, chunks);
}

/* ------------------------------------------------------------------------------------------ */
/* The result table                                                                           */
/* ------------------------------------------------------------------------------------------ */

typedef struct row {
    const method_t *m;
    const method_t *base; /* NULL: a reference row */
    double target;        /* 0: none; else the ratio to reach (at least) */
} row_t;

enum { MAX_ROWS = 24 };
static row_t rows[MAX_ROWS];
static size_t row_count;
static char notes[4096];

static void add_row(const method_t *m, const method_t *base, double target)
{
    if (row_count < MAX_ROWS)
        rows[row_count++] = (row_t){m, base, target};
}

static void add_note(const char *fmt, ...)
{
    size_t used = strlen(notes);
    va_list args;
    va_start(args, fmt);
    vsnprintf(notes + used, sizeof notes - used, fmt, args);
    va_end(args);
}

static double figure(const method_t *m)
{
    return median_of(m->rate, m->reps);
}

/* The median over the rounds of the ratio measured within each round (drift cancels out). */
static double paired_ratio(const method_t *m, const method_t *base)
{
    double r[REPS];
    size_t n = m->reps < base->reps ? m->reps : base->reps;
    for (size_t i = 0; i < n; i++)
        r[i] = base->rate[i] > 0 ? m->rate[i] / base->rate[i] : 0;
    return median_of(r, n);
}

static void print_table(void)
{
    printf("%-57s | %-11s | %-40s | %-6s | %-12s | %s\n", "what", "datagrams/s", "baseline", "ratio", "target",
           "recv/sent");
    printf("%.57s-+-%.11s-+-%.40s-+-%.6s-+-%.12s-+-%.9s\n", "---------------------------------------------------------",
           "-----------", "----------------------------------------", "------", "------------", "---------");
    for (size_t i = 0; i < row_count; i++) {
        const row_t *r = &rows[i];
        char what[80], fig[24], base[64], ratio[16], target[24], recv[16];
        snprintf(what, sizeof what, "%s: %s", r->m->sc->label, r->m->name);
        snprintf(fig, sizeof fig, "%.3f M/s", figure(r->m) / 1e6);
        if (r->base) {
            double q = figure(r->m) / figure(r->base);
            snprintf(base, sizeof base, "%.3f M/s %s", figure(r->base) / 1e6, r->base->name);
            snprintf(ratio, sizeof ratio, "%.3g", q);
            if (r->target > 0)
                snprintf(target, sizeof target, ">= %.3g %s", r->target, q >= r->target ? "ok" : "MISSED");
            else
                snprintf(target, sizeof target, "-");
        } else {
            snprintf(base, sizeof base, "-");
            snprintf(ratio, sizeof ratio, "-");
            snprintf(target, sizeof target, "-");
        }
        snprintf(recv, sizeof recv, "%.4f", r->m->sent ? (double)r->m->received / (double)r->m->sent : 0);
        printf("%-57s | %-11s | %-40s | %-6s | %-12s | %s\n", what, fig, base, ratio, target, recv);
    }
    printf("%s", notes);
}

/* ------------------------------------------------------------------------------------------ */

int main(void)
{
    uint64_t t0 = now_ns();
    struct utsname un;
    if (uname(&un) != 0)
        memset(&un, 0, sizeof un);
    fprintf(stderr, "libwasixnet %s (ABI %u), header ABI %u; Linux %s\n", wasixnet_version(), wasixnet_abi_version(),
            WASIXNET_ABI_VERSION, un.release);

    scenario_t one, eight;
    scenario_init(&one, "1200 B -> 1 peer", BIG, 1);
    scenario_init(&eight, "64 B -> 8 peers", SMALL, PEERS);

    const char *only = getenv("UDP_BENCH_ONLY");
    if (only && strcmp(only, "receive") == 0) {
        receive_benchmark();
        return 0;
    }
    if (only && strcmp(only, "memory") == 0) {
        memory_benchmark();
        return 0;
    }

    /* Scenario 1: 1200 B to one peer. */
    method_t *a_sendto = method_new("raw sendto loop", &one, send_sendto);
    a_sendto->fd = raw_socket();
    method_t *a_mmsg = method_new("raw sendmmsg", &one, send_sendmmsg);
    a_mmsg->fd = raw_socket();
    prepare_mmsg(a_mmsg, false, false);
    method_t *a_gso = method_new("raw sendmmsg + GSO", &one, send_sendmmsg);
    a_gso->fd = raw_socket();
    prepare_mmsg(a_gso, true, false);
    method_t *a_gso_conn = method_new("raw sendmmsg + GSO, connected", &one, send_sendmmsg);
    a_gso_conn->fd = raw_socket();
    if (connect(a_gso_conn->fd, (struct sockaddr *)&one.addr[0], sizeof one.addr[0]) != 0)
        die_errno("connect");
    prepare_mmsg(a_gso_conn, true, true);
    method_t *a_wx = method_new("wasixnet_udp_send", &one, send_wasixnet);
    a_wx->sock = wasixnet_socket(NULL, NULL);
    prepare_datagrams(a_wx, false);
    method_t *a_wx_conn = method_new("wasixnet_udp_send, connected", &one, send_wasixnet);
    a_wx_conn->sock = wasixnet_socket(NULL, &one.waddr[0]);
    prepare_datagrams(a_wx_conn, true);
    method_t *a_guest = method_new("wasixnet_guest_udp_send", &one, send_guest);
    a_guest->sock = wasixnet_socket(NULL, NULL);
    prepare_guest(a_guest);

    /* Scenario 2: 64 B round-robin to 8 peers. */
    method_t *b_sendto = method_new("raw sendto loop", &eight, send_sendto);
    b_sendto->fd = raw_socket();
    method_t *b_mmsg = method_new("raw sendmmsg", &eight, send_sendmmsg);
    b_mmsg->fd = raw_socket();
    prepare_mmsg(b_mmsg, false, false);
    method_t *b_wx = method_new("wasixnet_udp_send", &eight, send_wasixnet);
    b_wx->sock = wasixnet_socket(NULL, NULL);
    prepare_datagrams(b_wx, false);
    /* The same through a port that enforces routes (127.0.0.0/8 on-link): a route lookup for
     * every datagram, since consecutive datagrams go to different peers. */
    method_t *b_routes = method_new("wasixnet_udp_send, port enforcing routes", &eight, send_wasixnet);
    {
        wasixnet_port_config_t config;
        memset(&config, 0, sizeof config);
        config.struct_size = sizeof config;
        config.flags = WASIXNET_PORT_ENFORCE_ROUTES;
        if (wasixnet_port_new(&config, &b_routes->port) != WASIXNET_ESUCCESS)
            die("wasixnet_port_new failed");
        wasixnet_addr_cidr_t cidr;
        wasixnet_addr_t on_link;
        wasixnet_option_timestamp_t none;
        memset(&cidr, 0, sizeof cidr);
        memset(&on_link, 0, sizeof on_link);
        memset(&none, 0, sizeof none);
        cidr.tag = WASIXNET_ADDRESS_FAMILY_INET4;
        cidr.u.inet4.addr[0] = 127;
        cidr.u.inet4.prefix = 8;
        wasixnet_errno_t err = wasixnet_port_route_add(b_routes->port, &cidr, &on_link, &none, &none);
        if (err != WASIXNET_ESUCCESS)
            die("wasixnet_port_route_add 127.0.0.0/8: %s", wasixnet_errno_name(err));
    }
    b_routes->sock = wasixnet_socket(b_routes->port, NULL);
    prepare_datagrams(b_routes, false);

    fprintf(stderr, "receive buffers: %d bytes (1 peer), %d bytes (8 peers); %zu / %zu batches of %d between drains\n",
            one.rcvbuf, eight.rcvbuf, one.chunk_batches, eight.chunk_batches, BATCH);

    /* Warm-up: every method sends a little (first calls, the Swift runtime's one-time costs), then
     * the counts start from zero. */
    for (size_t i = 0; i < method_count; i++)
        sink += (uint64_t)run_turn(&methods[i], 0.02);
    drain_until_quiet(&one, 20);
    drain_until_quiet(&eight, 20);
    for (size_t i = 0; i < method_count; i++)
        methods[i].sent = methods[i].received = methods[i].stalls = methods[i].short_sends = 0;

    size_t reps = 0;
    for (size_t r = 0; r < REPS; r++) {
        if (r >= MIN_REPS && (double)(now_ns() - t0) / 1e9 > BENCH_WALL_LIMIT) {
            add_note("note: stopped after %zu rounds of %d: the run passed %.0f s\n", r, REPS, BENCH_WALL_LIMIT);
            break;
        }
        fprintf(stderr, "round %zu/%d:", r + 1, REPS);
        for (size_t k = 0; k < method_count; k++) { /* round-robin, the first method rotating */
            method_t *m = &methods[(k + r) % method_count];
            m->rate[m->reps++] = run_turn(m, REP_SECONDS);
        }
        for (size_t i = 0; i < method_count; i++)
            fprintf(stderr, " %.2f", methods[i].rate[r] / 1e6);
        fprintf(stderr, " M/s (%.1f s)\n", (double)(now_ns() - t0) / 1e9);
        reps++;
    }
    drain_until_quiet(&one, 50);
    drain_until_quiet(&eight, 50);

    add_row(a_sendto, NULL, 0);
    add_row(a_mmsg, a_sendto, 0);
    add_row(a_gso, a_sendto, 0);
    add_row(a_gso_conn, a_sendto, 0);
    add_row(a_wx, a_gso, 0.95);
    add_row(a_wx, a_sendto, 5);
    add_row(a_wx_conn, a_gso_conn, 0.95);
    add_row(a_wx_conn, a_sendto, 5);
    add_row(a_guest, a_wx, 0.85);
    add_row(b_sendto, NULL, 0);
    add_row(b_mmsg, b_sendto, 0);
    add_row(b_wx, b_mmsg, 0.95);
    add_row(b_routes, b_mmsg, 0.9);
    add_row(b_routes, b_wx, 0);

    add_note("paired ratios (median over rounds of the ratio within a round): udp_send/GSO %.3f, udp_send/sendto %.3f, "
             "connected/GSO connected %.3f, guest/udp_send %.3f, 8 peers udp_send/sendmmsg %.3f, with routes %.3f\n",
             paired_ratio(a_wx, a_gso), paired_ratio(a_wx, a_sendto), paired_ratio(a_wx_conn, a_gso_conn),
             paired_ratio(a_guest, a_wx), paired_ratio(b_wx, b_mmsg), paired_ratio(b_routes, b_mmsg));
    for (size_t i = 0; i < method_count; i++) {
        const method_t *m = &methods[i];
        if (m->received > m->sent)
            die("%s: %s: %llu datagrams received, %llu reported sent", m->sc->label, m->name,
                (unsigned long long)m->received, (unsigned long long)m->sent);
        if (m->received < m->sent)
            add_note("note: %s: %s: %llu of %llu datagrams did not arrive (loopback dropped them)\n", m->sc->label,
                     m->name, (unsigned long long)(m->sent - m->received), (unsigned long long)m->sent);
        if (m->stalls || m->short_sends)
            add_note("note: %s: %s: %llu waits for POLLOUT, %llu sends short of %d\n", m->sc->label, m->name,
                     (unsigned long long)m->stalls, (unsigned long long)m->short_sends, BATCH);
    }

    print_table();
    printf("datagrams/s: median of %zu rounds (round-robin) of each method's median over timed chunks of %zu batches "
           "of %d,\n  ~%.1f s of timed send calls per method per round; check_send included for wasixnet.\nrecv/sent: datagrams the receivers got (length "
           "checked) / datagrams the method reported sent; loopback, receive buffers drained between timed chunks.\n",
           reps, one.chunk_batches, BATCH, REP_SECONDS);
    receive_benchmark();
    memory_benchmark();
    printf("Linux %s; whole benchmark: %.1f s\n", un.release, (double)(now_ns() - t0) / 1e9);

    for (size_t i = 0; i < method_count; i++) {
        methods[i].sent = 0;
        if (methods[i].fd >= 0)
            close(methods[i].fd);
        wasixnet_udp_free(methods[i].sock);
        wasixnet_port_free(methods[i].port);
        free(methods[i].guest.memory);
        free(methods[i].payload);
    }
    for (size_t p = 0; p < one.peers; p++)
        close(one.rx[p]);
    for (size_t p = 0; p < eight.peers; p++)
        close(eight.rx[p]);
    return 0;
}
