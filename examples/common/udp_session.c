/*
 * udp_session.c: the UDP guest's imports on guest memory, and the loopback receiver that checks
 * what the guest sent. No runtime in here: see udp_session.h.
 *
 * A component runtime lowers wasi:sockets' `outgoing-datagram-stream.send(list<outgoing-datagram>)`
 * for a core module as (self, list_ptr, list_len, retptr): the list stays in guest memory in the
 * canonical ABI's layout, and the result<u64, error-code> goes back through the return area at
 * retptr. wasixnet_guest_udp_send takes that list as it lies, so udp_session_send is the whole of
 * a batch send: no copy, no per-datagram call, one sendmmsg. udp_session_receive goes the other
 * way: wasixnet_guest_udp_receive lowers result<list<incoming-datagram>, error-code> into guest
 * memory, allocating through the guest's cabi_realloc as the runtime's callback calls it.
 *
 * Both example hosts build it unchanged, so both print the same lines for the same guest.
 */
#define _POSIX_C_SOURCE 200809L

#include "udp_session.h"

#include "demo.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define STREAM_HANDLE 1    /* the one outgoing-datagram-stream this host hands out */
#define MAX_DATAGRAMS 64   /* what the receiver can check in one run */
#define MAX_PAYLOAD 512
#define RECEIVE_TIMEOUT_MS 2000

struct udp_session {
    wasixnet_udp_socket_t *socket;        /* the guest's */
    wasixnet_ip_socket_address_t local;   /* where the guest's datagrams come from */
    int receiver;                         /* a plain socket of the host's on 127.0.0.1 */
    wasixnet_ip_socket_address_t peer;    /* the receiver's address */
    size_t received, receive_calls, reallocs; /* what the guest received back, in how many calls */
    size_t nsent;                         /* copies of every datagram the guest sent the receiver */
    struct {
        size_t len;
        uint8_t bytes[MAX_PAYLOAD];
        int arrived;
    } sent[MAX_DATAGRAMS];
};

/* Writes why the guest must trap, and answers 1: `return trap_because(...)`. */
__attribute__((format(printf, 3, 4))) static int trap_because(char *why, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, size, fmt, ap);
    va_end(ap);
    return 1;
}

static void fmt_socket_address(char *buf, size_t size, const wasixnet_ip_socket_address_t *a)
{
    const uint8_t *ip = a->u.ipv4.address;
    snprintf(buf, size, "%u.%u.%u.%u:%u", ip[0], ip[1], ip[2], ip[3], (unsigned)a->u.ipv4.port);
}

static wasixnet_ip_socket_address_t from_sockaddr(const struct sockaddr_in *sa)
{
    wasixnet_ip_socket_address_t a;
    memset(&a, 0, sizeof a);
    a.tag = WASIXNET_IP_FAMILY_IPV4;
    a.u.ipv4.port = ntohs(sa->sin_port);
    memcpy(a.u.ipv4.address, &sa->sin_addr, 4); /* network order is dotted order */
    return a;
}

/* The host's receiver: a plain UDP socket on 127.0.0.1 and an ephemeral port. */
static int open_receiver(wasixnet_ip_socket_address_t *address)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || getsockname(fd, (struct sockaddr *)&sa, &len)) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *address = from_sockaddr(&sa);
    return fd;
}

/* The guest's socket, made as a component runtime's create-udp-socket + bind + stream would. */
static wasixnet_sock_status_t open_guest_socket(udp_session_t *udp, wasixnet_port_t *port)
{
    wasixnet_ip_socket_address_t loopback;
    memset(&loopback, 0, sizeof loopback);
    loopback.tag = WASIXNET_IP_FAMILY_IPV4;
    memcpy(loopback.u.ipv4.address, (const uint8_t[]){127, 0, 0, 1}, 4);
    wasixnet_sock_status_t s = wasixnet_udp_create(port, WASIXNET_IP_FAMILY_IPV4, &udp->socket);
    if (s == WASIXNET_SOCK_OK)
        s = wasixnet_udp_start_bind(udp->socket, &loopback);
    if (s == WASIXNET_SOCK_OK)
        s = wasixnet_udp_finish_bind(udp->socket);
    if (s == WASIXNET_SOCK_OK)
        s = wasixnet_udp_stream(udp->socket, NULL); /* not connected: each datagram names its peer */
    if (s == WASIXNET_SOCK_OK)
        s = wasixnet_udp_local_address(udp->socket, &udp->local);
    return s;
}

void udp_session_free(udp_session_t *udp)
{
    if (!udp)
        return;
    wasixnet_udp_free(udp->socket);
    if (udp->receiver >= 0)
        close(udp->receiver);
    free(udp);
}

int udp_session_open(udp_session_t **out, wasixnet_port_t *port, const wasixnet_guest_t *guest, uint32_t peer_ptr,
                     uint32_t *handle, char *why, size_t why_size)
{
    uint8_t *peer = guest_bytes(guest, peer_ptr, sizeof(wasixnet_ip_socket_address_t));
    if (!peer)
        return trap_because(why, why_size, "demo.udp_stream: the address buffer is outside guest memory");
    if (*out)
        return trap_because(why, why_size, "demo.udp_stream: this host opens one stream per guest");

    udp_session_t *udp = calloc(1, sizeof *udp);
    if (!udp)
        abort();
    *out = udp;
    udp->receiver = open_receiver(&udp->peer);
    if (udp->receiver < 0)
        return trap_because(why, why_size, "demo.udp_stream: cannot open the receiver on 127.0.0.1");
    wasixnet_sock_status_t s = open_guest_socket(udp, port);
    if (s != WASIXNET_SOCK_OK)
        return trap_because(why, why_size, "demo.udp_stream: the guest's socket: %s", wasixnet_sock_status_name(s));

    memcpy(peer, &udp->peer, sizeof udp->peer);
    char local[32], receiver[32];
    fmt_socket_address(local, sizeof local, &udp->local);
    fmt_socket_address(receiver, sizeof receiver, &udp->peer);
    printf("  demo.udp_stream -> stream %d: the guest's socket is %s, the host's receiver %s\n", STREAM_HANDLE,
           local, receiver);
    *handle = STREAM_HANDLE;
    return 0;
}

/* Stores result<u64, error-code> in the return area as the canonical ABI lays it out:
 * discriminant u8 @0, then the u64 (ok) or the error-code's discriminant u8 (err) @8.
 * WASIXNET_SOCK_TRAP is not an answer for the guest: the guest broke the protocol, it traps. */
static int store_result(const wasixnet_guest_t *guest, uint32_t retptr, const char *call, wasixnet_sock_status_t status,
                        uint64_t value, char *why, size_t why_size)
{
    uint8_t *ret = guest_bytes(guest, retptr, 16);
    if (status == WASIXNET_SOCK_TRAP)
        return trap_because(why, why_size, "%s: the guest broke the protocol (wasixnet_sock_status TRAP)", call);
    if (!ret || retptr % 8 != 0)
        return trap_because(why, why_size, "%s: the return area %#x is outside guest memory or misaligned", call,
                            (unsigned)retptr);
    memset(ret, 0, 16);
    if (status == WASIXNET_SOCK_OK) {
        memcpy(ret + 8, &value, sizeof value);
    } else {
        ret[0] = 1;
        ret[8] = (uint8_t)(status - 1); /* a status is 1 + the error-code's discriminant */
    }
    return 0;
}

int udp_session_check_send(udp_session_t *udp, const wasixnet_guest_t *guest, uint32_t self, uint32_t retptr,
                           char *why, size_t why_size)
{
    if (!udp || self != STREAM_HANDLE)
        return trap_because(why, why_size, "unknown datagram stream handle %d", (int)self);
    uint64_t permits = 0;
    wasixnet_sock_status_t s = wasixnet_udp_check_send(udp->socket, &permits);
    printf("  outgoing-datagram-stream.check-send() -> %s, %" PRIu64 " permits\n", wasixnet_sock_status_name(s),
           permits);
    return store_result(guest, retptr, "check-send", s, permits, why, why_size);
}

/* Keeps a copy of the first `sent` datagrams of the guest's list that went to the receiver, for
 * the receiver to compare (a guest that sends to itself checks what comes back itself). */
static int remember_sent(udp_session_t *udp, const wasixnet_guest_t *guest, uint32_t list, uint64_t sent, char *why,
                         size_t why_size)
{
    for (uint64_t i = 0; i < sent; i++) {
        uint32_t data, len;
        const uint8_t *element = guest_bytes(guest, list + i * WASIXNET_GUEST_OUTGOING_DATAGRAM_SIZE,
                                             WASIXNET_GUEST_OUTGOING_DATAGRAM_SIZE);
        if (element[8] != 1 || memcmp(element + 12, &udp->peer, sizeof udp->peer) != 0)
            continue;
        if (udp->nsent == MAX_DATAGRAMS)
            return trap_because(why, why_size, "this demo host checks at most %d datagrams", MAX_DATAGRAMS);
        memcpy(&data, element, 4); /* wasixnet lifted the whole list: it lies in memory */
        memcpy(&len, element + 4, 4);
        if (len > MAX_PAYLOAD)
            return trap_because(why, why_size, "this demo host checks datagrams of at most %d bytes", MAX_PAYLOAD);
        memcpy(udp->sent[udp->nsent].bytes, guest_bytes(guest, data, len), len);
        udp->sent[udp->nsent++].len = len;
    }
    return 0;
}

int udp_session_send(udp_session_t *udp, const wasixnet_guest_t *guest, uint32_t self, uint32_t list_ptr,
                     uint32_t list_len, uint32_t retptr, char *why, size_t why_size)
{
    if (!udp || self != STREAM_HANDLE)
        return trap_because(why, why_size, "unknown datagram stream handle %d", (int)self);

    uint64_t sent = 0;
    wasixnet_sock_status_t s = wasixnet_guest_udp_send(udp->socket, guest, list_ptr, list_len, &sent);
    printf("  outgoing-datagram-stream.send(list<outgoing-datagram> of %u at %#x) -> %s, %" PRIu64 " sent\n",
           (unsigned)list_len, (unsigned)list_ptr, wasixnet_sock_status_name(s), sent);
    if (s == WASIXNET_SOCK_OK && remember_sent(udp, guest, list_ptr, sent, why, why_size))
        return 1;
    return store_result(guest, retptr, "send", s, sent, why, why_size);
}

int udp_session_own_address(udp_session_t *udp, const wasixnet_guest_t *guest, uint32_t ptr, char *why,
                            size_t why_size)
{
    uint8_t *out = guest_bytes(guest, ptr, sizeof(wasixnet_ip_socket_address_t));
    if (!udp || !out)
        return trap_because(why, why_size, "demo.udp_own_address: no stream yet, or the buffer is outside guest memory");
    memcpy(out, &udp->local, sizeof udp->local);
    return 0;
}

int udp_session_ready(udp_session_t *udp, uint32_t self, int32_t timeout_ms, uint32_t *ready, char *why,
                      size_t why_size)
{
    if (!udp || self != STREAM_HANDLE)
        return trap_because(why, why_size, "unknown datagram stream handle %d", (int)self);
    struct pollfd pfd = {.fd = wasixnet_udp_fd(udp->socket), .events = POLLIN};
    *ready = wasixnet_udp_pending(udp->socket) > 0 || poll(&pfd, 1, timeout_ms) > 0;
    return 0;
}

/* The runtime's realloc callback, counted. */
typedef struct counted_realloc {
    wasixnet_guest_realloc_t realloc;
    void *ctx;
    size_t calls;
} counted_realloc_t;

static uint64_t call_counted(void *env, wasixnet_guest_t *guest, uint64_t old_ptr, uint64_t old_size, uint64_t align,
                             uint64_t new_size)
{
    counted_realloc_t *counted = env;
    uint64_t block = counted->realloc(counted->ctx, guest, old_ptr, old_size, align, new_size);
    counted->calls += block != UINT64_MAX;
    return block;
}

int udp_session_receive(udp_session_t *udp, wasixnet_guest_t *guest, uint32_t self, uint64_t max_results,
                        uint32_t retptr, wasixnet_guest_realloc_t realloc, void *realloc_ctx, char *why,
                        size_t why_size)
{
    if (!udp || self != STREAM_HANDLE)
        return trap_because(why, why_size, "unknown datagram stream handle %d", (int)self);
    counted_realloc_t counted = {.realloc = realloc, .ctx = realloc_ctx};
    wasixnet_sock_status_t s = wasixnet_guest_udp_receive(udp->socket, guest, max_results, call_counted, &counted, retptr);
    if (s == WASIXNET_SOCK_TRAP)
        return trap_because(why, why_size, "receive: the guest broke the canonical ABI (wasixnet_sock_status TRAP)");
    if (s != WASIXNET_SOCK_OK)
        return trap_because(why, why_size, "receive: %s", wasixnet_sock_status_name(s));
    const uint8_t *result = guest_bytes(guest, retptr, 12); /* where it lies now, after the reallocs */
    if (!result)
        return trap_because(why, why_size, "receive: the return area left guest memory");
    uint32_t count = 0;
    if (result[0] == 0)
        memcpy(&count, result + 8, 4);
    udp->received += count;
    udp->receive_calls++;
    udp->reallocs += counted.calls;
    printf("  incoming-datagram-stream.receive(%" PRIu64 ") -> %s, %u datagrams, cabi_realloc called %zu times,"
           " %zu held for the next call\n",
           max_results, result[0] == 0 ? "ok" : "err", (unsigned)count, counted.calls, wasixnet_udp_pending(udp->socket));
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * After the run: did everything arrive?
 * ------------------------------------------------------------------------------------------- */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Marks the first datagram the guest sent with these bytes that has not arrived yet. */
static int match_sent(udp_session_t *udp, const uint8_t *bytes, size_t len)
{
    for (size_t i = 0; i < udp->nsent; i++)
        if (!udp->sent[i].arrived && udp->sent[i].len == len && memcmp(udp->sent[i].bytes, bytes, len) == 0)
            return udp->sent[i].arrived = 1;
    return 0;
}

int udp_session_finish(udp_session_t *udp)
{
    size_t arrived = 0, strangers = 0;
    int64_t deadline = now_ms() + RECEIVE_TIMEOUT_MS;
    struct pollfd pfd = {.fd = udp->receiver, .events = POLLIN};
    if (udp->nsent || !udp->receive_calls)
        printf("host: the receiver reads what came in:\n");
    while (arrived < udp->nsent) {
        int64_t left = deadline - now_ms();
        if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
            break;
        uint8_t buf[65536];
        struct sockaddr_in from;
        socklen_t from_len = sizeof from;
        ssize_t n = recvfrom(udp->receiver, buf, sizeof buf, 0, (struct sockaddr *)&from, &from_len);
        if (n < 0)
            break;
        wasixnet_ip_socket_address_t source = from_sockaddr(&from);
        int known = memcmp(&source, &udp->local, sizeof source) == 0 && match_sent(udp, buf, (size_t)n);
        arrived += known;
        strangers += !known;
        char text[48], where[32];
        size_t shown = (size_t)n < sizeof text - 1 ? (size_t)n : sizeof text - 1;
        for (size_t i = 0; i < shown; i++)
            text[i] = buf[i] >= 0x20 && buf[i] < 0x7f ? (char)buf[i] : '.';
        text[shown] = '\0';
        fmt_socket_address(where, sizeof where, &source);
        printf("      %2zu bytes from %s  \"%s\"%s\n", (size_t)n, where, text, known ? "" : "  NOT SENT BY THE GUEST");
    }
    if (udp->receive_calls)
        printf("host: the guest received %zu datagrams back in %zu calls of wasixnet_guest_udp_receive, %zu cabi_realloc"
               " calls\n", udp->received, udp->receive_calls, udp->reallocs);
    if (udp->nsent || !udp->receive_calls)
        printf("host: %zu of the %zu datagrams the guest sent arrived, byte for byte\n", arrived, udp->nsent);
    if (arrived != udp->nsent || strangers) {
        printf("UDP check FAILED: %zu missing, %zu unexpected\n", udp->nsent - arrived, strangers);
        return 1;
    }
    return 0;
}
