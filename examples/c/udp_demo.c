/*
 * examples/c/udp_demo.c: wasi:sockets/udp through wasixnet, with a port that enforces its routes.
 *
 * A runtime gives a guest a network port (wasixnet_port_t) and creates the guest's UDP sockets
 * tied to it. With WASIXNET_PORT_ENFORCE_ROUTES, a datagram may leave only where one of the
 * port's live routes (or an own address's prefix) leads. Here the port knows one route,
 * 127.0.0.1/32, and no default route, so on loopback:
 *   - receiver A on 127.0.0.1 is routable,
 *   - receiver B on 127.0.0.2 (also loopback: Linux routes all of 127.0.0.0/8 to itself) is not.
 * The sender sends one batch: datagrams to A, then one to B, then another to A. The batch ends at
 * the first datagram with no route (wasixnet.h [udp.send]): OK with sent == its index, and nothing after
 * it goes. A batch that starts with it answers REMOTE_UNREACHABLE. Receiver A, whose socket has no
 * port, then reaches B directly: B is there, only the sender's port has no route to it.
 *
 * It is a test as well: every step compares what it got with what it expects; the first
 * difference ends the program with "udp example FAILED: ..." and exit status 1. Loopback only;
 * every wait is bounded.
 *
 *   cc -std=c11 -Wall -Wextra -O2 udp_demo.c $(pkg-config --cflags --libs wasixnet) -o udp_demo
 */
#define _POSIX_C_SOURCE 200112L /* poll, clock_gettime, inet_ntop under -std=c11 */

#include <wasixnet.h>

#include <arpa/inet.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---------------------------------------------------------------------------------------------
 * Self-check
 * ------------------------------------------------------------------------------------------- */

static void fail(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout); /* keep the failure after the output that led to it */
    fputs("udp example FAILED: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static void expect_status(const char *what, wasixnet_sock_status_t got, wasixnet_sock_status_t want)
{
    if (got != want)
        fail("%s: expected %s, got %s (%d)", what, wasixnet_sock_status_name(want), wasixnet_sock_status_name(got),
             (int)got);
}

static void expect_u64(const char *what, uint64_t got, uint64_t want)
{
    if (got != want)
        fail("%s: expected %" PRIu64 ", got %" PRIu64, what, want, got);
}

/* ---------------------------------------------------------------------------------------------
 * Addresses
 * ------------------------------------------------------------------------------------------- */

static wasixnet_ip_socket_address_t ipv4(const char *ip, uint16_t port)
{
    wasixnet_ip_socket_address_t a;
    memset(&a, 0, sizeof a);
    a.tag = WASIXNET_IP_FAMILY_IPV4;
    a.u.ipv4.port = port; /* a number, not network order: the canonical ABI's value */
    if (inet_pton(AF_INET, ip, a.u.ipv4.address) != 1) /* the four octets in dotted order */
        fail("not an IPv4 address: %s", ip);
    return a;
}

/* "127.0.0.1:40000" */
static const char *fmt_address(char *buf, size_t size, const wasixnet_ip_socket_address_t *a)
{
    char ip[INET6_ADDRSTRLEN];
    if (a->tag == WASIXNET_IP_FAMILY_IPV4)
        snprintf(buf, size, "%s:%u", inet_ntop(AF_INET, a->u.ipv4.address, ip, sizeof ip), (unsigned)a->u.ipv4.port);
    else if (a->tag == WASIXNET_IP_FAMILY_IPV6) {
        unsigned char octets[16];
        for (int i = 0; i < 8; i++) {
            octets[2 * i] = (unsigned char)(a->u.ipv6.address[i] >> 8);
            octets[2 * i + 1] = (unsigned char)a->u.ipv6.address[i];
        }
        snprintf(buf, size, "[%s]:%u", inet_ntop(AF_INET6, octets, ip, sizeof ip), (unsigned)a->u.ipv6.port);
    } else
        snprintf(buf, size, "<tag %u>", (unsigned)a->tag);
    return buf;
}

static int same_address(const wasixnet_ip_socket_address_t *x, const wasixnet_ip_socket_address_t *y)
{
    return x->tag == WASIXNET_IP_FAMILY_IPV4 && y->tag == WASIXNET_IP_FAMILY_IPV4 &&
           x->u.ipv4.port == y->u.ipv4.port && !memcmp(x->u.ipv4.address, y->u.ipv4.address, 4);
}

/* ---------------------------------------------------------------------------------------------
 * Sockets
 * ------------------------------------------------------------------------------------------- */

typedef struct {
    const char *name;
    wasixnet_udp_socket_t *socket;
    wasixnet_ip_socket_address_t local; /* as bound: the kernel picked the port */
    char text[32];                      /* the local address as text */
} endpoint_t;

/* create, start_bind, finish_bind, stream(none): a socket open to every peer. */
static void open_endpoint(endpoint_t *e, const char *name, wasixnet_port_t *port, const char *ip)
{
    char what[96];
    wasixnet_ip_socket_address_t bind_to = ipv4(ip, 0);
    e->name = name;
    e->socket = NULL;
    snprintf(what, sizeof what, "%s: wasixnet_udp_create", name);
    expect_status(what, wasixnet_udp_create(port, WASIXNET_IP_FAMILY_IPV4, &e->socket), WASIXNET_SOCK_OK);
    snprintf(what, sizeof what, "%s: wasixnet_udp_start_bind %s:0", name, ip);
    expect_status(what, wasixnet_udp_start_bind(e->socket, &bind_to), WASIXNET_SOCK_OK);
    snprintf(what, sizeof what, "%s: wasixnet_udp_finish_bind", name);
    expect_status(what, wasixnet_udp_finish_bind(e->socket), WASIXNET_SOCK_OK);
    snprintf(what, sizeof what, "%s: wasixnet_udp_stream(NULL)", name);
    expect_status(what, wasixnet_udp_stream(e->socket, NULL), WASIXNET_SOCK_OK);
    snprintf(what, sizeof what, "%s: wasixnet_udp_local_address", name);
    expect_status(what, wasixnet_udp_local_address(e->socket, &e->local), WASIXNET_SOCK_OK);
    if (e->local.tag != WASIXNET_IP_FAMILY_IPV4 || e->local.u.ipv4.port == 0 ||
        memcmp(e->local.u.ipv4.address, bind_to.u.ipv4.address, 4))
        fail("%s: bound to %s:0, local_address says %s", name, ip,
             fmt_address(e->text, sizeof e->text, &e->local));
    fmt_address(e->text, sizeof e->text, &e->local);
    printf("%-10s %-18s %s\n", name, e->text, port ? "(tied to the port)" : "(no port)");
}

/* check_send: a socket that can send is granted WASIXNET_UDP_MAX_PERMITS datagrams. */
static void check_send(const endpoint_t *e)
{
    uint64_t permits = 0;
    char what[96];
    snprintf(what, sizeof what, "%s: wasixnet_udp_check_send", e->name);
    expect_status(what, wasixnet_udp_check_send(e->socket, &permits), WASIXNET_SOCK_OK);
    expect_u64(what, permits, WASIXNET_UDP_MAX_PERMITS);
}

/* One datagram of a batch: its text and where it goes. */
typedef struct {
    const char *text;
    const endpoint_t *to;
} message_t;

/* Sends the batch after a check_send, prints each datagram and the answer, and checks the answer
 * (and `sent`, which the library writes on OK only). */
static void send_batch(const endpoint_t *from, const message_t *batch, size_t count, wasixnet_sock_status_t want,
                       uint64_t want_sent)
{
    wasixnet_outgoing_datagram_t datagrams[8];
    if (count > sizeof datagrams / sizeof datagrams[0])
        fail("batch too long");
    check_send(from);
    printf("%s sends a batch of %zu:\n", from->name, count);
    for (size_t i = 0; i < count; i++) {
        datagrams[i].data = (const uint8_t *)batch[i].text;
        datagrams[i].len = strlen(batch[i].text);
        datagrams[i].remote_address = &batch[i].to->local;
        printf("  [%zu] %-24s -> %s %s\n", i, batch[i].text, batch[i].to->name, batch[i].to->text);
    }
    const uint64_t untouched = 0xDEADBEEF;
    uint64_t sent = untouched;
    wasixnet_sock_status_t status = wasixnet_udp_send(from->socket, datagrams, count, &sent);
    if (status == WASIXNET_SOCK_OK)
        printf("  -> %s, sent = %" PRIu64 "\n", wasixnet_sock_status_name(status), sent);
    else
        printf("  -> %s\n", wasixnet_sock_status_name(status));
    expect_status("wasixnet_udp_send", status, want);
    expect_u64("wasixnet_udp_send: sent", sent, want == WASIXNET_SOCK_OK ? want_sent : untouched);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* What a receiver expects: the texts in order, each from `from`. */
typedef struct {
    const char *text;
    const endpoint_t *from;
} arrival_t;

/* Receives on `e` until `count` datagrams arrived (2 s at most), then makes sure no more come
 * within 100 ms; prints what arrived and checks it against `want`. */
static void expect_arrivals(const endpoint_t *e, const arrival_t *want, size_t count)
{
    enum { SLOTS = 8 };
    static uint8_t storage[SLOTS][2048];
    wasixnet_incoming_datagram_t in[SLOTS];
    size_t got = 0;
    uint64_t deadline = now_ms() + 2000;
    int quiet_check = 0;

    printf("%s %s:\n", e->name, e->text);
    for (;;) {
        uint64_t now = now_ms();
        if (got >= count && !quiet_check) { /* all there: does anything else arrive? */
            quiet_check = 1;
            deadline = now + 100;
        }
        if (now >= deadline)
            break;
        /* Datagrams the socket already holds leave its descriptor unreadable: pending first. */
        struct pollfd p = {.fd = wasixnet_udp_fd(e->socket), .events = POLLIN, .revents = 0};
        int ready = wasixnet_udp_pending(e->socket) > 0 ? 1 : poll(&p, 1, (int)(deadline - now));
        if (ready < 0)
            fail("%s: poll failed", e->name);
        if (ready == 0)
            continue;
        memset(in, 0, sizeof in);
        for (int i = 0; i < SLOTS; i++) {
            in[i].data = storage[i];
            in[i].capacity = sizeof storage[i] - 1; /* room for a terminating NUL */
        }
        size_t received = 0;
        expect_status("wasixnet_udp_receive", wasixnet_udp_receive(e->socket, in, SLOTS, &received), WASIXNET_SOCK_OK);
        for (size_t i = 0; i < received; i++, got++) {
            char from[32];
            storage[i][in[i].len] = '\0';
            fmt_address(from, sizeof from, &in[i].remote_address);
            printf("  from %-18s %2zu bytes  \"%s\"\n", from, in[i].len, (const char *)storage[i]);
            if (got >= count)
                fail("%s: an unexpected datagram arrived: \"%s\" from %s", e->name, (const char *)storage[i], from);
            if (in[i].truncated)
                fail("%s: datagram %zu truncated", e->name, got);
            if (in[i].len != strlen(want[got].text) || memcmp(storage[i], want[got].text, in[i].len))
                fail("%s: datagram %zu: expected \"%s\", got \"%s\"", e->name, got, want[got].text,
                     (const char *)storage[i]);
            if (!same_address(&in[i].remote_address, &want[got].from->local))
                fail("%s: datagram %zu came from %s, expected %s (%s)", e->name, got, from, want[got].from->text,
                     want[got].from->name);
        }
    }
    if (got < count)
        fail("%s: %zu of %zu datagrams arrived within 2 s", e->name, got, count);
    printf("  (%zu datagram%s, nothing else)\n", got, got == 1 ? "" : "s");
}

/* ---------------------------------------------------------------------------------------------
 * Routes: the host-typed lookup a runtime's socket layer uses
 * ------------------------------------------------------------------------------------------- */

static void show_lookup(wasixnet_port_t *port, const char *ip, wasixnet_errno_t want)
{
    wasixnet_addr_t dst;
    wasixnet_route_t route;
    memset(&dst, 0, sizeof dst);
    memset(&route, 0, sizeof route);
    dst.tag = WASIXNET_ADDRESS_FAMILY_INET4;
    if (inet_pton(AF_INET, ip, dst.u.inet4) != 1)
        fail("not an IPv4 address: %s", ip);
    wasixnet_errno_t err = wasixnet_port_route_lookup(port, &dst, &route, NULL);
    if (err == WASIXNET_ESUCCESS) {
        char net[INET_ADDRSTRLEN];
        printf("  route lookup %-10s -> %s/%u on-link\n", ip, inet_ntop(AF_INET, route.cidr.u.inet4.addr, net, sizeof net),
               (unsigned)route.cidr.u.inet4.prefix);
    } else
        printf("  route lookup %-10s -> %s (no route)\n", ip, wasixnet_errno_name(err));
    if (err != want)
        fail("route lookup %s: expected %s, got %s", ip, wasixnet_errno_name(want), wasixnet_errno_name(err));
}

static void heading(const char *title)
{
    printf("\n== %s ==\n", title);
}

int main(void)
{
    if (wasixnet_abi_version() != WASIXNET_ABI_VERSION)
        fail("library ABI %u, this program was built for %u", (unsigned)wasixnet_abi_version(),
             (unsigned)WASIXNET_ABI_VERSION);
    printf("wasixnet %s (ABI %u): wasi:sockets/udp through a port that enforces its routes\n", wasixnet_version(),
           (unsigned)wasixnet_abi_version());

    heading("The port: one route, 127.0.0.1/32, and no default route");
    wasixnet_port_config_t config;
    memset(&config, 0, sizeof config);
    config.struct_size = sizeof config;
    config.flags = WASIXNET_PORT_ENFORCE_ROUTES;
    wasixnet_port_t *port = NULL;
    wasixnet_errno_t err = wasixnet_port_new(&config, &port);
    if (err != WASIXNET_ESUCCESS)
        fail("wasixnet_port_new: %s", wasixnet_errno_name(err));
    wasixnet_addr_cidr_t cidr;
    wasixnet_addr_t on_link;
    wasixnet_option_timestamp_t forever;
    memset(&cidr, 0, sizeof cidr);
    memset(&on_link, 0, sizeof on_link); /* tag unspec: on-link, no router */
    memset(&forever, 0, sizeof forever); /* none */
    cidr.tag = WASIXNET_ADDRESS_FAMILY_INET4;
    inet_pton(AF_INET, "127.0.0.1", cidr.u.inet4.addr);
    cidr.u.inet4.prefix = 32;
    err = wasixnet_port_route_add(port, &cidr, &on_link, &forever, &forever);
    if (err != WASIXNET_ESUCCESS)
        fail("wasixnet_port_route_add 127.0.0.1/32: %s", wasixnet_errno_name(err));
    show_lookup(port, "127.0.0.1", WASIXNET_ESUCCESS);
    show_lookup(port, "127.0.0.2", WASIXNET_ENETUNREACH);

    heading("Three sockets on loopback");
    endpoint_t sender, a, b;
    open_endpoint(&a, "receiver A", NULL, "127.0.0.1");
    open_endpoint(&b, "receiver B", NULL, "127.0.0.2");
    open_endpoint(&sender, "sender", port, "127.0.0.1");

    heading("A batch that meets the unroutable destination at index 3");
    const message_t mixed[] = {
        {"hello A, 1 of 4", &a},
        {"hello A, 2 of 4", &a},
        {"hello A, 3 of 4", &a},
        {"hello B", &b}, /* no route: the batch ends here */
        {"hello A, 4 of 4", &a},
    };
    send_batch(&sender, mixed, sizeof mixed / sizeof mixed[0], WASIXNET_SOCK_OK, 3);
    printf("  (the batch ended at the datagram to B: [3] and [4] were not sent)\n");

    heading("A batch that starts with it");
    const message_t unroutable_first[] = {
        {"hello B again", &b},
        {"hello A, after B", &a},
    };
    send_batch(&sender, unroutable_first, 2, WASIXNET_SOCK_E_REMOTE_UNREACHABLE, 0);
    printf("  (nothing sent; sent not written)\n");

    heading("Every send needs a check_send first");
    wasixnet_outgoing_datagram_t unpermitted = {(const uint8_t *)"no permit", 9, &a.local};
    uint64_t sent = 0;
    wasixnet_sock_status_t status = wasixnet_udp_send(sender.socket, &unpermitted, 1, &sent);
    printf("sender sends 1 datagram with no check_send since its last send\n  -> %s (the runtime traps the guest)\n",
           wasixnet_sock_status_name(status));
    expect_status("wasixnet_udp_send with no grant", status, WASIXNET_SOCK_TRAP);

    heading("Receiver A, which has no port, sends to B directly");
    const message_t direct[] = {{"hello B, from A", &b}};
    send_batch(&a, direct, 1, WASIXNET_SOCK_OK, 1);

    heading("What arrived");
    const arrival_t at_a[] = {
        {"hello A, 1 of 4", &sender},
        {"hello A, 2 of 4", &sender},
        {"hello A, 3 of 4", &sender},
    };
    const arrival_t at_b[] = {{"hello B, from A", &a}};
    expect_arrivals(&a, at_a, 3);
    expect_arrivals(&b, at_b, 1);
    printf("B is reachable on loopback; only the sender's port has no route to it.\n");

    wasixnet_udp_free(sender.socket);
    wasixnet_udp_free(a.socket);
    wasixnet_udp_free(b.socket);
    wasixnet_port_free(port);
    printf("\nudp example OK\n");
    return 0;
}
