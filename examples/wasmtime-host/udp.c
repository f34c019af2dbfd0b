/*
 * udp.c: the UDP guest's imports, and the loopback receiver that checks what it sent.
 *
 * A component runtime lowers wasi:sockets' `outgoing-datagram-stream.send(list<outgoing-datagram>)`
 * for a core module as (self, list_ptr, list_len, retptr): the list stays in guest memory in the
 * canonical ABI's layout, and the result<u64, error-code> goes back through the return area at
 * retptr. wasixnet_guest_udp_send takes that list as it lies, so the import below is the whole of
 * a batch send: no copy, no per-datagram call, one sendmmsg.
 *
 * `incoming-datagram-stream.receive(self, max-results, retptr)` goes the other way: the runtime
 * must lower result<list<incoming-datagram>, error-code> into guest memory, allocating with the
 * guest's exported cabi_realloc. wasixnet_guest_udp_receive does all of it; the runtime hands it
 * a callback that calls cabi_realloc and then looks at the guest's memory again (the guest may
 * have grown it). Readiness, what `subscribe` + `block` on the incoming stream answers, is
 * wasixnet_udp_pending() > 0 or a readable descriptor: demo.udp_ready asks exactly that.
 *
 * Only the setup is simplified: instead of create-udp-socket / bind / stream and their resource
 * handles, the guest calls demo.udp_stream, and the host opens the socket (bound to 127.0.0.1,
 * streams open to any peer) and answers handle 1 for both streams and the address of its receiver.
 */
#define _POSIX_C_SOURCE 200809L

#include "host.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
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

/* demo.udp_stream(peer_ptr) -> handle: opens the guest's socket and the host's receiver, and
 * writes the receiver's ip-socket-address (canonical ABI, 32 bytes) at peer_ptr. */
static wasm_trap_t *demo_udp_stream(void *env, wasmtime_caller_t *caller, const wasmtime_val_t *args, size_t nargs,
                                    wasmtime_val_t *results, size_t nresults)
{
    (void)nargs, (void)nresults;
    guest_ctx_t *ctx = env;
    wasixnet_guest_t guest;
    wasm_trap_t *trap = guest_memory(caller, 4, &guest);
    if (trap)
        return trap;
    uint8_t *peer = guest_bytes(&guest, (uint32_t)args[0].of.i32, sizeof(wasixnet_ip_socket_address_t));
    if (!peer)
        return trap_printf("demo.udp_stream: the address buffer is outside guest memory");
    if (ctx->udp)
        return trap_printf("demo.udp_stream: this host opens one stream per guest");

    udp_session_t *udp = calloc(1, sizeof *udp);
    if (!udp)
        abort();
    ctx->udp = udp;
    udp->receiver = open_receiver(&udp->peer);
    if (udp->receiver < 0)
        return trap_printf("demo.udp_stream: cannot open the receiver on 127.0.0.1");
    wasixnet_sock_status_t s = open_guest_socket(udp, ctx->port);
    if (s != WASIXNET_SOCK_OK)
        return trap_printf("demo.udp_stream: the guest's socket: %s", wasixnet_sock_status_name(s));

    memcpy(peer, &udp->peer, sizeof udp->peer);
    char local[32], receiver[32];
    fmt_socket_address(local, sizeof local, &udp->local);
    fmt_socket_address(receiver, sizeof receiver, &udp->peer);
    printf("  demo.udp_stream -> stream %d: the guest's socket is %s, the host's receiver %s\n", STREAM_HANDLE,
           local, receiver);
    results[0].kind = WASMTIME_I32;
    results[0].of.i32 = STREAM_HANDLE;
    return NULL;
}

/* The session behind a stream handle (1 for both streams), and the caller's memory as it is now:
 * what every stream method needs first. */
static wasm_trap_t *stream_of(guest_ctx_t *ctx, wasmtime_caller_t *caller, const wasmtime_val_t *self,
                              udp_session_t **out, wasixnet_guest_t *guest)
{
    if (!ctx->udp || self->of.i32 != STREAM_HANDLE)
        return trap_printf("unknown datagram stream handle %d", self->of.i32);
    *out = ctx->udp;
    return guest_memory(caller, 4, guest);
}

/* Stores result<u64, error-code> in the return area as the canonical ABI lays it out:
 * discriminant u8 @0, then the u64 (ok) or the error-code's discriminant u8 (err) @8.
 * WASIXNET_SOCK_TRAP is not an answer for the guest: the guest broke the protocol, it traps. */
static wasm_trap_t *store_result(const wasixnet_guest_t *guest, const wasmtime_val_t *retptr, const char *call,
                                 wasixnet_sock_status_t status, uint64_t value)
{
    uint32_t off = (uint32_t)retptr->of.i32;
    uint8_t *ret = guest_bytes(guest, off, 16);
    if (status == WASIXNET_SOCK_TRAP)
        return trap_printf("%s: the guest broke the protocol (wasixnet_sock_status TRAP)", call);
    if (!ret || off % 8 != 0)
        return trap_printf("%s: the return area %#x is outside guest memory or misaligned", call, (unsigned)off);
    memset(ret, 0, 16);
    if (status == WASIXNET_SOCK_OK) {
        memcpy(ret + 8, &value, sizeof value);
    } else {
        ret[0] = 1;
        ret[8] = (uint8_t)(status - 1); /* a status is 1 + the error-code's discriminant */
    }
    return NULL;
}

/* [method]outgoing-datagram-stream.check-send(self, retptr): result<u64, error-code>. */
static wasm_trap_t *datagram_check_send(void *env, wasmtime_caller_t *caller, const wasmtime_val_t *args, size_t nargs,
                               wasmtime_val_t *results, size_t nresults)
{
    (void)nargs, (void)results, (void)nresults;
    udp_session_t *udp = NULL;
    wasixnet_guest_t guest;
    wasm_trap_t *trap = stream_of(env, caller, &args[0], &udp, &guest);
    if (trap)
        return trap;
    uint64_t permits = 0;
    wasixnet_sock_status_t s = wasixnet_udp_check_send(udp->socket, &permits);
    printf("  outgoing-datagram-stream.check-send() -> %s, %" PRIu64 " permits\n", wasixnet_sock_status_name(s),
           permits);
    return store_result(&guest, &args[1], "check-send", s, permits);
}

/* Keeps a copy of the first `sent` datagrams of the guest's list that went to the receiver, for
 * the receiver to compare (a guest that sends to itself checks what comes back itself). */
static wasm_trap_t *remember_sent(udp_session_t *udp, const wasixnet_guest_t *guest, uint32_t list, uint64_t sent)
{
    for (uint64_t i = 0; i < sent; i++) {
        uint32_t data, len;
        const uint8_t *element = guest_bytes(guest, list + i * WASIXNET_GUEST_OUTGOING_DATAGRAM_SIZE,
                                             WASIXNET_GUEST_OUTGOING_DATAGRAM_SIZE);
        if (element[8] != 1 || memcmp(element + 12, &udp->peer, sizeof udp->peer) != 0)
            continue;
        if (udp->nsent == MAX_DATAGRAMS)
            return trap_printf("this demo host checks at most %d datagrams", MAX_DATAGRAMS);
        memcpy(&data, element, 4); /* wasixnet lifted the whole list: it lies in memory */
        memcpy(&len, element + 4, 4);
        if (len > MAX_PAYLOAD)
            return trap_printf("this demo host checks datagrams of at most %d bytes", MAX_PAYLOAD);
        memcpy(udp->sent[udp->nsent].bytes, guest_bytes(guest, data, len), len);
        udp->sent[udp->nsent++].len = len;
    }
    return NULL;
}

/* [method]outgoing-datagram-stream.send(self, list_ptr, list_len, retptr): result<u64, error-code>. */
static wasm_trap_t *datagram_send(void *env, wasmtime_caller_t *caller, const wasmtime_val_t *args, size_t nargs,
                         wasmtime_val_t *results, size_t nresults)
{
    (void)nargs, (void)results, (void)nresults;
    udp_session_t *udp = NULL;
    wasixnet_guest_t guest;
    wasm_trap_t *trap = stream_of(env, caller, &args[0], &udp, &guest);
    if (trap)
        return trap;
    uint32_t list = (uint32_t)args[1].of.i32, count = (uint32_t)args[2].of.i32;

    uint64_t sent = 0;
    wasixnet_sock_status_t s = wasixnet_guest_udp_send(udp->socket, &guest, list, count, &sent);
    printf("  outgoing-datagram-stream.send(list<outgoing-datagram> of %u at %#x) -> %s, %" PRIu64 " sent\n",
           (unsigned)count, (unsigned)list, wasixnet_sock_status_name(s), sent);
    if (s == WASIXNET_SOCK_OK && (trap = remember_sent(udp, &guest, list, sent)))
        return trap;
    return store_result(&guest, &args[3], "send", s, sent);
}

/* demo.udp_own_address(ptr): the guest's own socket address (canonical ABI, 32 bytes) at ptr, for a
 * guest that sends to itself. */
static wasm_trap_t *demo_udp_own_address(void *env, wasmtime_caller_t *caller, const wasmtime_val_t *args,
                                         size_t nargs, wasmtime_val_t *results, size_t nresults)
{
    (void)nargs, (void)results, (void)nresults;
    guest_ctx_t *ctx = env;
    wasixnet_guest_t guest;
    wasm_trap_t *trap = guest_memory(caller, 4, &guest);
    if (trap)
        return trap;
    uint8_t *out = guest_bytes(&guest, (uint32_t)args[0].of.i32, sizeof(wasixnet_ip_socket_address_t));
    if (!ctx->udp || !out)
        return trap_printf("demo.udp_own_address: no stream yet, or the buffer is outside guest memory");
    memcpy(out, &ctx->udp->local, sizeof ctx->udp->local);
    return NULL;
}

/* demo.udp_ready(self, timeout_ms) -> 1 when receive has something to hand out: what the incoming
 * stream's `subscribe` pollable answers to `block` (here with a timeout). Datagrams the socket
 * already holds leave its descriptor unreadable, so pending comes first, then poll. */
static wasm_trap_t *demo_udp_ready(void *env, wasmtime_caller_t *caller, const wasmtime_val_t *args, size_t nargs,
                                   wasmtime_val_t *results, size_t nresults)
{
    (void)nargs, (void)nresults;
    udp_session_t *udp = NULL;
    wasixnet_guest_t guest;
    wasm_trap_t *trap = stream_of(env, caller, &args[0], &udp, &guest);
    if (trap)
        return trap;
    struct pollfd pfd = {.fd = wasixnet_udp_fd(udp->socket), .events = POLLIN};
    results[0].kind = WASMTIME_I32;
    results[0].of.i32 = wasixnet_udp_pending(udp->socket) > 0 || poll(&pfd, 1, args[1].of.i32) > 0;
    return NULL;
}

/* The guest's cabi_realloc, as wasixnet_guest_udp_receive calls it: through wasmtime, then the
 * guest's memory looked up again, since the guest may have grown (and so moved) it. */
typedef struct realloc_call {
    wasmtime_caller_t *caller;
    wasmtime_func_t cabi_realloc;
    wasm_trap_t *trap;            /* the guest trapped inside its realloc */
    size_t calls;
} realloc_call_t;

static uint64_t call_cabi_realloc(void *env, wasixnet_guest_t *guest, uint64_t old_ptr, uint64_t old_size,
                                  uint64_t align, uint64_t new_size)
{
    realloc_call_t *call = env;
    const uint64_t values[4] = {old_ptr, old_size, align, new_size};
    wasmtime_val_t args[4], result;
    for (int i = 0; i < 4; i++) {
        args[i].kind = WASMTIME_I32;
        args[i].of.i32 = (int32_t)(uint32_t)values[i];
    }
    wasm_trap_t *trap = NULL;
    wasmtime_error_t *error = wasmtime_func_call(wasmtime_caller_context(call->caller), &call->cabi_realloc, args, 4,
                                                 &result, 1, &trap);
    if (error) {
        wasm_byte_vec_t message;
        wasmtime_error_message(error, &message);
        trap = trap_printf("cabi_realloc: %.*s", (int)message.size, message.data);
        wasm_byte_vec_delete(&message);
        wasmtime_error_delete(error);
    }
    if (!trap)
        trap = guest_memory(call->caller, 4, guest);
    if (trap) {
        call->trap = trap;
        return UINT64_MAX;
    }
    call->calls++;
    return (uint32_t)result.of.i32;
}

/* [method]incoming-datagram-stream.receive(self, max_results: u64, retptr): wasixnet lowers
 * result<list<incoming-datagram>, error-code> at retptr itself, allocating through the guest's
 * cabi_realloc. */
static wasm_trap_t *datagram_receive(void *env, wasmtime_caller_t *caller, const wasmtime_val_t *args, size_t nargs,
                                     wasmtime_val_t *results, size_t nresults)
{
    (void)nargs, (void)results, (void)nresults;
    udp_session_t *udp = NULL;
    wasixnet_guest_t guest;
    wasm_trap_t *trap = stream_of(env, caller, &args[0], &udp, &guest);
    if (trap)
        return trap;
    realloc_call_t call = {.caller = caller};
    wasmtime_extern_t item;
    if (!wasmtime_caller_export_get(caller, "cabi_realloc", strlen("cabi_realloc"), &item))
        return trap_printf("receive: the guest exports no cabi_realloc");
    if (item.kind != WASMTIME_EXTERN_FUNC) {
        wasmtime_extern_delete(&item);
        return trap_printf("receive: the guest's cabi_realloc is not a function");
    }
    call.cabi_realloc = item.of.func;
    const uint64_t max_results = (uint64_t)args[1].of.i64;
    const uint32_t retptr = (uint32_t)args[2].of.i32;
    wasixnet_sock_status_t s =
        wasixnet_guest_udp_receive(udp->socket, &guest, max_results, call_cabi_realloc, &call, retptr);
    wasmtime_extern_delete(&item);
    if (call.trap)
        return call.trap;
    if (s == WASIXNET_SOCK_TRAP)
        return trap_printf("receive: the guest broke the canonical ABI (wasixnet_sock_status TRAP)");
    if (s != WASIXNET_SOCK_OK)
        return trap_printf("receive: %s", wasixnet_sock_status_name(s));
    const uint8_t *result = guest_bytes(&guest, retptr, 12); /* where it lies now, after the reallocs */
    if (!result)
        return trap_printf("receive: the return area left guest memory");
    uint32_t count = 0;
    if (result[0] == 0)
        memcpy(&count, result + 8, 4);
    udp->received += count;
    udp->receive_calls++;
    udp->reallocs += call.calls;
    printf("  incoming-datagram-stream.receive(%" PRIu64 ") -> %s, %u datagrams, cabi_realloc called %zu times,"
           " %zu held for the next call\n",
           max_results, result[0] == 0 ? "ok" : "err", (unsigned)count, call.calls, wasixnet_udp_pending(udp->socket));
    return NULL;
}

const host_import_t UDP_IMPORTS[] = {
    {"demo", "udp_stream", "i", "i", demo_udp_stream},
    {"demo", "udp_own_address", "i", "", demo_udp_own_address},
    {"demo", "udp_ready", "ii", "i", demo_udp_ready},
    {"wasi:sockets/udp@0.2.0", "[method]outgoing-datagram-stream.check-send", "ii", "", datagram_check_send},
    {"wasi:sockets/udp@0.2.0", "[method]outgoing-datagram-stream.send", "iiii", "", datagram_send},
    {"wasi:sockets/udp@0.2.0", "[method]incoming-datagram-stream.receive", "iIi", "", datagram_receive},
};
const size_t UDP_IMPORTS_COUNT = sizeof UDP_IMPORTS / sizeof UDP_IMPORTS[0];

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
