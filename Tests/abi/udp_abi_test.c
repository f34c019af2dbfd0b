/* wasi:sockets/udp through the installed library's C ABI (wasixnet.h §6): NULL handling, the
 * status names, host-typed send/receive with address encoding, pending datagrams and readiness,
 * wasixnet_guest_udp_receive with a fake guest's realloc (every rule broken on purpose), and
 * wasixnet_guest_udp_send on a fake guest memory holding canonical-ABI lists, in bounds and out.
 * Loopback only; every wait is bounded. Exits non-zero on the first failed check and prints what failed. */
#define _GNU_SOURCE
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasixnet.h>

#include "checks.h"

#define CHECK_STATUS(call, expected)                                                              \
    do {                                                                                          \
        wasixnet_sock_status_t got_ = (call);                                                     \
        checks++;                                                                                 \
        if (got_ != (expected)) {                                                                 \
            fprintf(stderr, "%s:%d: %s answered %s, expected %s\n", __FILE__, __LINE__, #call,    \
                    wasixnet_sock_status_name(got_), wasixnet_sock_status_name(expected));        \
            exit(1);                                                                              \
        }                                                                                         \
    } while (0)

static wasixnet_ip_socket_address_t loopback(uint8_t family, uint16_t port) {
    wasixnet_ip_socket_address_t address;
    memset(&address, 0, sizeof address);
    address.tag = family;
    if (family == WASIXNET_IP_FAMILY_IPV4) {
        address.u.ipv4.port = port;
        address.u.ipv4.address[0] = 127;
        address.u.ipv4.address[3] = 1;
    } else {
        address.u.ipv6.port = port;
        address.u.ipv6.address[7] = 1;
    }
    return address;
}

static uint16_t port_of(const wasixnet_ip_socket_address_t *address) {
    return address->tag == WASIXNET_IP_FAMILY_IPV4 ? address->u.ipv4.port : address->u.ipv6.port;
}

/* A bound socket on loopback with streams (to `peer` when not NULL). */
static wasixnet_udp_socket_t *streaming(wasixnet_port_t *port, uint8_t family, const wasixnet_ip_socket_address_t *peer) {
    wasixnet_udp_socket_t *socket = NULL;
    wasixnet_ip_socket_address_t local = loopback(family, 0);
    CHECK_STATUS(wasixnet_udp_create(port, family, &socket), WASIXNET_SOCK_OK);
    CHECK_STATUS(wasixnet_udp_start_bind(socket, &local), WASIXNET_SOCK_OK);
    CHECK_STATUS(wasixnet_udp_finish_bind(socket), WASIXNET_SOCK_OK);
    CHECK_STATUS(wasixnet_udp_stream(socket, peer), WASIXNET_SOCK_OK);
    return socket;
}

static wasixnet_ip_socket_address_t local_of(wasixnet_udp_socket_t *socket) {
    wasixnet_ip_socket_address_t address;
    CHECK_STATUS(wasixnet_udp_local_address(socket, &address), WASIXNET_SOCK_OK);
    return address;
}

/* Receives until `expected` datagrams arrived (2 s at most) or, with expected 0, until the socket
 * has been quiet for 50 ms. Returns the count; lengths and first bytes in the arrays. */
static size_t drain(wasixnet_udp_socket_t *socket, size_t expected, size_t *lengths, uint8_t *first,
                    wasixnet_ip_socket_address_t *from) {
    static uint8_t storage[16][2048];
    size_t total = 0;
    for (int round = 0; round < 40 && (expected == 0 || total < expected); round++) {
        struct pollfd entry = {.fd = wasixnet_udp_fd(socket), .events = POLLIN};
        if (poll(&entry, 1, expected == 0 ? 50 : 50) == 0) {
            if (expected == 0) break;
            continue;
        }
        wasixnet_incoming_datagram_t in[16];
        memset(in, 0xee, sizeof in);
        for (int i = 0; i < 16; i++) {
            in[i].data = storage[i];
            in[i].capacity = sizeof storage[i];
        }
        size_t received = 99;
        CHECK_STATUS(wasixnet_udp_receive(socket, in, 16, &received), WASIXNET_SOCK_OK);
        for (size_t i = 0; i < received && total < 64; i++, total++) {
            if (lengths) lengths[total] = in[i].len;
            if (first) first[total] = in[i].len ? storage[i][0] : 0;
            if (from) from[total] = in[i].remote_address;
            CHECK(in[i].truncated == 0);
        }
    }
    return total;
}

static void null_handling(void) {
    wasixnet_udp_socket_t *socket = NULL;
    wasixnet_ip_socket_address_t address = loopback(0, 0);
    uint64_t value = 0;
    uint8_t byte = 0;
    size_t count = 0;
    CHECK_STATUS(wasixnet_udp_create(NULL, 2, &socket), WASIXNET_SOCK_E_INVALID_ARGUMENT);
    CHECK_STATUS(wasixnet_udp_create(NULL, 0, NULL), WASIXNET_SOCK_E_INVALID_ARGUMENT);
    CHECK(socket == NULL);
    wasixnet_udp_free(NULL);
    CHECK_STATUS(wasixnet_udp_start_bind(NULL, &address), WASIXNET_SOCK_E_INVALID_ARGUMENT);
    CHECK_STATUS(wasixnet_udp_finish_bind(NULL), WASIXNET_SOCK_E_INVALID_ARGUMENT);
    CHECK_STATUS(wasixnet_udp_stream(NULL, NULL), WASIXNET_SOCK_E_INVALID_ARGUMENT);
    CHECK_STATUS(wasixnet_udp_local_address(NULL, &address), WASIXNET_SOCK_E_INVALID_ARGUMENT);
    CHECK_STATUS(wasixnet_udp_remote_address(NULL, &address), WASIXNET_SOCK_E_INVALID_ARGUMENT);
    CHECK(wasixnet_udp_address_family(NULL) == 255);
    CHECK_STATUS(wasixnet_udp_unicast_hop_limit(NULL, &byte), WASIXNET_SOCK_E_INVALID_ARGUMENT);
    CHECK_STATUS(wasixnet_udp_set_unicast_hop_limit(NULL, 1), WASIXNET_SOCK_E_INVALID_ARGUMENT);
    CHECK_STATUS(wasixnet_udp_receive_buffer_size(NULL, &value), WASIXNET_SOCK_E_INVALID_ARGUMENT);
    CHECK_STATUS(wasixnet_udp_set_receive_buffer_size(NULL, 1), WASIXNET_SOCK_E_INVALID_ARGUMENT);
    CHECK_STATUS(wasixnet_udp_send_buffer_size(NULL, &value), WASIXNET_SOCK_E_INVALID_ARGUMENT);
    CHECK_STATUS(wasixnet_udp_set_send_buffer_size(NULL, 1), WASIXNET_SOCK_E_INVALID_ARGUMENT);
    CHECK(wasixnet_udp_fd(NULL) == -1);
    CHECK_STATUS(wasixnet_udp_check_send(NULL, &value), WASIXNET_SOCK_E_INVALID_ARGUMENT);
    CHECK_STATUS(wasixnet_udp_send(NULL, NULL, 0, &value), WASIXNET_SOCK_E_INVALID_ARGUMENT);
    CHECK_STATUS(wasixnet_udp_receive(NULL, NULL, 0, &count), WASIXNET_SOCK_E_INVALID_ARGUMENT);
    CHECK_STATUS(wasixnet_guest_udp_send(NULL, NULL, 0, 0, &value), WASIXNET_SOCK_E_INVALID_ARGUMENT);
    CHECK_STATUS(wasixnet_guest_udp_receive(NULL, NULL, 0, NULL, NULL, 0), WASIXNET_SOCK_E_INVALID_ARGUMENT);
    CHECK(wasixnet_udp_pending(NULL) == 0);

    CHECK_STATUS(wasixnet_udp_create(NULL, 1, &socket), WASIXNET_SOCK_OK);
    CHECK(wasixnet_udp_address_family(socket) == 1);
    CHECK(wasixnet_udp_fd(socket) >= 0);
    CHECK_STATUS(wasixnet_udp_start_bind(socket, NULL), WASIXNET_SOCK_E_INVALID_ARGUMENT);
    CHECK_STATUS(wasixnet_udp_local_address(socket, NULL), WASIXNET_SOCK_E_INVALID_ARGUMENT);
    CHECK_STATUS(wasixnet_udp_unicast_hop_limit(socket, NULL), WASIXNET_SOCK_E_INVALID_ARGUMENT);
    CHECK_STATUS(wasixnet_udp_check_send(socket, NULL), WASIXNET_SOCK_E_INVALID_ARGUMENT);
    CHECK_STATUS(wasixnet_udp_send(socket, NULL, 1, &value), WASIXNET_SOCK_E_INVALID_ARGUMENT);
    CHECK_STATUS(wasixnet_udp_send(socket, NULL, 0, NULL), WASIXNET_SOCK_E_INVALID_ARGUMENT);
    CHECK_STATUS(wasixnet_udp_receive(socket, NULL, 1, &count), WASIXNET_SOCK_E_INVALID_ARGUMENT);
    CHECK_STATUS(wasixnet_udp_receive(socket, NULL, 0, NULL), WASIXNET_SOCK_E_INVALID_ARGUMENT);
    /* a bad tag from the host: invalid-argument */
    address.tag = 7;
    CHECK_STATUS(wasixnet_udp_start_bind(socket, &address), WASIXNET_SOCK_E_INVALID_ARGUMENT);
    CHECK_STATUS(wasixnet_udp_check_send(socket, &value), WASIXNET_SOCK_E_INVALID_STATE);
    wasixnet_udp_free(socket);
}

static void status_names(void) {
    CHECK(strcmp(wasixnet_sock_status_name(WASIXNET_SOCK_OK), "ok") == 0);
    CHECK(strcmp(wasixnet_sock_status_name(WASIXNET_SOCK_TRAP), "trap") == 0);
    CHECK(strcmp(wasixnet_sock_status_name(WASIXNET_SOCK_E_UNKNOWN), "unknown") == 0);
    CHECK(strcmp(wasixnet_sock_status_name(WASIXNET_SOCK_E_INVALID_ARGUMENT), "invalid-argument") == 0);
    CHECK(strcmp(wasixnet_sock_status_name(WASIXNET_SOCK_E_DATAGRAM_TOO_LARGE), "datagram-too-large") == 0);
    CHECK(strcmp(wasixnet_sock_status_name(WASIXNET_SOCK_E_PERMANENT_RESOLVER_FAILURE), "permanent-resolver-failure") == 0);
    CHECK(strcmp(wasixnet_sock_status_name(22), "unknown-status") == 0);
    CHECK(strcmp(wasixnet_sock_status_name(-2), "unknown-status") == 0);
}

/* Host-typed send and receive; the received address in the canonical layout with zeroed spare bytes. */
static void host_round_trip(uint8_t family) {
    wasixnet_udp_socket_t *receiver = streaming(NULL, family, NULL);
    wasixnet_udp_socket_t *sender = streaming(NULL, family, NULL);
    wasixnet_ip_socket_address_t to = local_of(receiver), from_expected = local_of(sender);
    uint8_t bytes[3][1000];
    for (int i = 0; i < 3; i++) memset(bytes[i], 0x10 + i, sizeof bytes[i]);
    wasixnet_outgoing_datagram_t out[4] = {
        {bytes[0], 1000, &to}, {bytes[1], 1000, &to}, {bytes[2], 10, &to}, {NULL, 0, &to},
    };
    uint64_t permits = 0, sent = 77;
    CHECK_STATUS(wasixnet_udp_send(sender, out, 4, &sent), WASIXNET_SOCK_TRAP); /* no check_send */
    CHECK(sent == 77);
    CHECK_STATUS(wasixnet_udp_check_send(sender, &permits), WASIXNET_SOCK_OK);
    CHECK(permits == WASIXNET_UDP_MAX_PERMITS);
    CHECK_STATUS(wasixnet_udp_send(sender, out, 4, &sent), WASIXNET_SOCK_OK);
    CHECK(sent == 4);
    size_t lengths[64];
    uint8_t first[64];
    wasixnet_ip_socket_address_t from[64];
    CHECK(drain(receiver, 4, lengths, first, from) == 4);
    CHECK(lengths[0] == 1000 && lengths[1] == 1000 && lengths[2] == 10 && lengths[3] == 0);
    CHECK(first[0] == 0x10 && first[1] == 0x11 && first[2] == 0x12);
    CHECK(memcmp(&from[0], &from_expected, sizeof from_expected) == 0); /* every byte, padding included */
    CHECK(from[0].tag == family && port_of(&from[0]) != 0);

    /* connected: remote_address echoes what stream was given, every field */
    wasixnet_ip_socket_address_t peer = to;
    if (family == WASIXNET_IP_FAMILY_IPV6) peer.u.ipv6.flow_info = 0x12345;
    CHECK_STATUS(wasixnet_udp_stream(sender, &peer), WASIXNET_SOCK_OK);
    wasixnet_ip_socket_address_t remote;
    CHECK_STATUS(wasixnet_udp_remote_address(sender, &remote), WASIXNET_SOCK_OK);
    CHECK(memcmp(&remote, &peer, sizeof peer) == 0);
    wasixnet_outgoing_datagram_t mismatched = {bytes[0], 5, &to};
    CHECK_STATUS(wasixnet_udp_check_send(sender, &permits), WASIXNET_SOCK_OK);
    CHECK_STATUS(wasixnet_udp_send(sender, &mismatched, 1, &sent),
                 family == WASIXNET_IP_FAMILY_IPV6 ? WASIXNET_SOCK_E_INVALID_ARGUMENT : WASIXNET_SOCK_OK);
    wasixnet_udp_free(sender);
    wasixnet_udp_free(receiver);
}

/* ---- wasixnet_guest_udp_send on a fake guest memory ---------------------------------------- */

enum { MEMORY = 1 << 16, ELEMENT = WASIXNET_GUEST_OUTGOING_DATAGRAM_SIZE };
static uint8_t memory[MEMORY];

static void put_u32(uint64_t offset, uint32_t value) { memcpy(memory + offset, &value, 4); }

/* Writes element `index` of a list at `list`: data (offset, length), an option tag and an address. */
static void put_element(uint64_t list, int index, uint32_t data, uint32_t length, uint8_t option,
                        const wasixnet_ip_socket_address_t *address) {
    uint64_t element = list + (uint64_t)index * ELEMENT;
    memset(memory + element, 0, ELEMENT);
    put_u32(element, data);
    put_u32(element + 4, length);
    memory[element + 8] = option;
    if (address) memcpy(memory + element + 12, address, sizeof *address);
}

static wasixnet_sock_status_t guest_send(wasixnet_udp_socket_t *socket, const wasixnet_guest_t *guest, uint64_t list,
                                         uint64_t count, uint64_t *sent) {
    uint64_t permits = 0;
    CHECK_STATUS(wasixnet_udp_check_send(socket, &permits), WASIXNET_SOCK_OK);
    return wasixnet_guest_udp_send(socket, guest, list, count, sent);
}

static void guest_lists(uint8_t family) {
    wasixnet_udp_socket_t *receiver = streaming(NULL, family, NULL);
    wasixnet_udp_socket_t *socket = streaming(NULL, family, NULL);
    wasixnet_ip_socket_address_t to = local_of(receiver);
    wasixnet_guest_t guest = {.memory = memory, .memory_size = MEMORY, .pointer_size = 4, .layout = 0};
    uint64_t sent = 0;
    size_t lengths[64];
    uint8_t first[64];
    memset(memory, 0, sizeof memory);
    for (int i = 0; i < 8; i++) memset(memory + 0x1000 + i * 0x100, 0xa0 + i, 0x100);

    /* In bounds: three datagrams (two of them a GSO run), the list at an unaligned offset. */
    uint64_t list = 0x201;
    put_element(list, 0, 0x1000, 0x100, 1, &to);
    put_element(list, 1, 0x1100, 0x100, 1, &to);
    put_element(list, 2, 0x1200, 0, 1, &to); /* zero-length */
    CHECK_STATUS(guest_send(socket, &guest, list, 3, &sent), WASIXNET_SOCK_OK);
    CHECK(sent == 3);
    CHECK(drain(receiver, 3, lengths, first, NULL) == 3);
    CHECK(lengths[0] == 0x100 && first[0] == 0xa0 && lengths[1] == 0x100 && first[1] == 0xa1 && lengths[2] == 0);

    /* An empty list: OK with 0. The list pointer of an empty list may be anywhere in bounds. */
    CHECK_STATUS(guest_send(socket, &guest, MEMORY, 0, &sent), WASIXNET_SOCK_OK);
    CHECK(sent == 0);

    /* Out of bounds: the list, a data range, the length overflowing: TRAP with nothing sent,
     * even though element 0 is fine. */
    CHECK_STATUS(guest_send(socket, &guest, MEMORY - 2 * ELEMENT + 1, 2, &sent), WASIXNET_SOCK_TRAP);
    CHECK_STATUS(guest_send(socket, &guest, list, UINT64_C(1) << 62, &sent), WASIXNET_SOCK_TRAP);
    CHECK_STATUS(guest_send(socket, &guest, UINT64_MAX - 10, 1, &sent), WASIXNET_SOCK_TRAP);
    put_element(list, 1, MEMORY - 0x10, 0x11, 1, &to);
    CHECK_STATUS(guest_send(socket, &guest, list, 3, &sent), WASIXNET_SOCK_TRAP);
    put_element(list, 1, 0xffffffffu, 2, 1, &to);
    CHECK_STATUS(guest_send(socket, &guest, list, 3, &sent), WASIXNET_SOCK_TRAP);
    put_element(list, 1, MEMORY - 0x10, 0x10, 1, &to); /* ends exactly at the end: fine */
    CHECK_STATUS(guest_send(socket, &guest, list, 2, &sent), WASIXNET_SOCK_OK);
    CHECK(sent == 2);
    CHECK(drain(receiver, 2, lengths, NULL, NULL) == 2);

    /* Bad tags anywhere in the list: TRAP, nothing sent. */
    put_element(list, 1, 0x1100, 0x10, 2, &to); /* option tag 2 */
    CHECK_STATUS(guest_send(socket, &guest, list, 3, &sent), WASIXNET_SOCK_TRAP);
    wasixnet_ip_socket_address_t bad = to;
    bad.tag = 2;
    put_element(list, 1, 0x1100, 0x10, 1, &bad); /* variant tag 2 */
    CHECK_STATUS(guest_send(socket, &guest, list, 3, &sent), WASIXNET_SOCK_TRAP);
    put_element(list, 2, 0x1100, 0x10, 255, &to);
    CHECK_STATUS(guest_send(socket, &guest, list, 3, &sent), WASIXNET_SOCK_TRAP);
    CHECK(drain(receiver, 0, NULL, NULL, NULL) == 0);

    /* An option `none` is not read further: its address bytes may be anything. Unconnected,
     * none is invalid-argument at that index: the batch ends there. */
    put_element(list, 0, 0x1000, 0x20, 1, &to);
    put_element(list, 1, 0x1100, 0x20, 0, &bad);
    put_element(list, 2, 0x1200, 0x20, 1, &to);
    CHECK_STATUS(guest_send(socket, &guest, list, 3, &sent), WASIXNET_SOCK_OK);
    CHECK(sent == 1);
    CHECK_STATUS(guest_send(socket, &guest, list + ELEMENT, 2, &sent), WASIXNET_SOCK_E_INVALID_ARGUMENT);
    CHECK(drain(receiver, 1, lengths, first, NULL) == 1 && first[0] == 0xa0);

    /* Lifted fine, but beyond the grant: TRAP. */
    CHECK_STATUS(wasixnet_guest_udp_send(socket, &guest, list, 1, &sent), WASIXNET_SOCK_TRAP);

    /* Descriptors. */
    wasixnet_guest_t wide = guest, odd = guest, nomem = guest;
    wide.pointer_size = 8;
    odd.pointer_size = 3;
    nomem.memory = NULL;
    CHECK_STATUS(guest_send(socket, &wide, list, 1, &sent), WASIXNET_SOCK_E_NOT_SUPPORTED);
    CHECK_STATUS(guest_send(socket, &odd, list, 1, &sent), WASIXNET_SOCK_E_INVALID_ARGUMENT);
    CHECK_STATUS(guest_send(socket, &nomem, list, 1, &sent), WASIXNET_SOCK_E_INVALID_ARGUMENT);
    CHECK_STATUS(guest_send(socket, NULL, list, 1, &sent), WASIXNET_SOCK_E_INVALID_ARGUMENT);
    CHECK_STATUS(guest_send(socket, &guest, list, 1, NULL), WASIXNET_SOCK_E_INVALID_ARGUMENT);
    nomem.memory_size = 0; /* no memory at all: only an empty list lifts */
    CHECK_STATUS(guest_send(socket, &nomem, 0, 0, &sent), WASIXNET_SOCK_OK);
    CHECK_STATUS(guest_send(socket, &nomem, 0, 1, &sent), WASIXNET_SOCK_TRAP);

    /* Lifting comes before the socket's state: a fresh socket traps on a bad list, and answers
     * invalid-state for a good one. */
    wasixnet_udp_socket_t *fresh = NULL;
    CHECK_STATUS(wasixnet_udp_create(NULL, family, &fresh), WASIXNET_SOCK_OK);
    CHECK_STATUS(wasixnet_guest_udp_send(fresh, &guest, MEMORY, 1, &sent), WASIXNET_SOCK_TRAP);
    CHECK_STATUS(wasixnet_guest_udp_send(fresh, &guest, list, 1, &sent), WASIXNET_SOCK_E_INVALID_STATE);
    wasixnet_udp_free(fresh);
    wasixnet_udp_free(socket);
    wasixnet_udp_free(receiver);
}

/* A port that enforces routes: only 127.0.0.1/32 (or ::1/128) is routed. */
static void enforced_routes(uint8_t family) {
    wasixnet_port_config_t config;
    memset(&config, 0, sizeof config);
    config.struct_size = sizeof config;
    config.flags = WASIXNET_PORT_ENFORCE_ROUTES;
    wasixnet_port_t *port = NULL;
    CHECK(wasixnet_port_new(&config, &port) == WASIXNET_ESUCCESS);
    wasixnet_addr_cidr_t cidr;
    wasixnet_addr_t on_link;
    wasixnet_option_timestamp_t none;
    memset(&cidr, 0, sizeof cidr);
    memset(&on_link, 0, sizeof on_link);
    memset(&none, 0, sizeof none);
    if (family == WASIXNET_IP_FAMILY_IPV4) {
        cidr.tag = WASIXNET_ADDRESS_FAMILY_INET4;
        cidr.u.inet4.addr[0] = 127;
        cidr.u.inet4.addr[3] = 1;
        cidr.u.inet4.prefix = 32;
    } else {
        cidr.tag = WASIXNET_ADDRESS_FAMILY_INET6;
        cidr.u.inet6.addr.octets[15] = 1;
        cidr.u.inet6.prefix = 128;
    }
    CHECK(wasixnet_port_route_add(port, &cidr, &on_link, &none, &none) == WASIXNET_ESUCCESS);
    wasixnet_udp_socket_t *receiver = streaming(NULL, family, NULL);
    wasixnet_udp_socket_t *socket = streaming(port, family, NULL);
    wasixnet_port_free(port); /* the socket keeps it alive */
    wasixnet_ip_socket_address_t to = local_of(receiver), nowhere = to;
    if (family == WASIXNET_IP_FAMILY_IPV4) {
        nowhere.u.ipv4.address[3] = 2; /* 127.0.0.2: loopback, but not routed by the port */
    } else {
        nowhere.u.ipv6.address[0] = 0x2001;
        nowhere.u.ipv6.address[1] = 0x0db8;
    }
    wasixnet_guest_t guest = {.memory = memory, .memory_size = MEMORY, .pointer_size = 4, .layout = 0};
    uint64_t sent = 0, list = 0x400;
    put_element(list, 0, 0x1000, 8, 1, &to);
    put_element(list, 1, 0x1100, 8, 1, &nowhere);
    put_element(list, 2, 0x1200, 8, 1, &to);
    CHECK_STATUS(guest_send(socket, &guest, list, 3, &sent), WASIXNET_SOCK_OK);
    CHECK(sent == 1);
    CHECK_STATUS(guest_send(socket, &guest, list + ELEMENT, 2, &sent), WASIXNET_SOCK_E_REMOTE_UNREACHABLE);
    CHECK(drain(receiver, 0, NULL, NULL, NULL) == 1);
    wasixnet_udp_free(socket);
    wasixnet_udp_free(receiver);
}

/* ---- wasixnet_udp_pending and wasixnet_guest_udp_receive ----------------------------------- */

/* A fake guest with a cabi_realloc whose behaviour each test picks: a bump allocator that can
 * move the memory to a new, larger block on any call (as memory.grow may), fail, or answer a
 * block out of bounds or misaligned at a chosen call. Every call is logged. */
enum { RX_MEMORY = 4096, RX_FILL = 0xAA, RX_MAX_CALLS = 64 };
typedef enum { RX_BUMP, RX_GROW_EVERY_CALL, RX_FAIL, RX_OUT_OF_BOUNDS, RX_MISALIGNED, RX_END_OF_MEMORY } rx_mode_t;
typedef struct {
    rx_mode_t mode;
    int bad_call;          /* the call that misbehaves (0: the array's) */
    uint64_t next;         /* the bump pointer */
    int calls;
    uint64_t align[RX_MAX_CALLS], size[RX_MAX_CALLS], answer[RX_MAX_CALLS];
    int moves;
} rx_allocator_t;

static void rx_grow(wasixnet_guest_t *guest, uint64_t bytes) {
    /* A new block, so that any address kept from before the call points at freed memory. */
    uint8_t *moved = malloc(guest->memory_size + bytes);
    CHECK(moved != NULL);
    memcpy(moved, guest->memory, guest->memory_size);
    memset(moved + guest->memory_size, RX_FILL, bytes);
    free(guest->memory);
    guest->memory = moved;
    guest->memory_size += bytes;
}

static uint64_t rx_realloc(void *context, wasixnet_guest_t *guest, uint64_t old_ptr, uint64_t old_size, uint64_t align,
                           uint64_t new_size) {
    rx_allocator_t *allocator = context;
    const int call = allocator->calls++;
    CHECK(old_ptr == 0 && old_size == 0);
    uint64_t answer = (allocator->next + align - 1) / align * align;
    if (allocator->mode == RX_GROW_EVERY_CALL || answer + new_size > guest->memory_size) {
        rx_grow(guest, new_size + 256);
        allocator->moves++;
    }
    if (call == allocator->bad_call) {
        switch (allocator->mode) {
        case RX_FAIL: answer = UINT64_MAX; break;
        case RX_OUT_OF_BOUNDS: answer = guest->memory_size - new_size + 1; break;
        case RX_MISALIGNED: answer += 2; break;
        case RX_END_OF_MEMORY: answer = guest->memory_size - new_size; break; /* in bounds: fine */
        default: break;
        }
    }
    if (call < RX_MAX_CALLS) {
        allocator->align[call] = align;
        allocator->size[call] = new_size;
        allocator->answer[call] = answer;
    }
    if (answer != UINT64_MAX && answer + new_size <= guest->memory_size) allocator->next = answer + new_size;
    return answer;
}

static wasixnet_guest_t rx_guest(void) {
    wasixnet_guest_t guest = {.memory = malloc(RX_MEMORY), .memory_size = RX_MEMORY, .pointer_size = 4};
    CHECK(guest.memory != NULL);
    memset(guest.memory, RX_FILL, RX_MEMORY);
    return guest;
}

static uint32_t rx_u32(const wasixnet_guest_t *guest, uint64_t offset) {
    uint32_t value;
    memcpy(&value, guest->memory + offset, 4);
    return value;
}

/* Bytes [from, to) of the guest's memory still hold the fill: the call did not write them. */
static int rx_untouched(const wasixnet_guest_t *guest, uint64_t from, uint64_t to) {
    for (uint64_t offset = from; offset < to; offset++)
        if (guest->memory[offset] != RX_FILL) return 0;
    return 1;
}

/* Sends `count` datagrams of `lengths` from `sender` to `to` (one check_send + send). */
static void rx_send(wasixnet_udp_socket_t *sender, const wasixnet_ip_socket_address_t *to, const uint8_t *const *data,
                    const size_t *lengths, size_t count) {
    wasixnet_outgoing_datagram_t out[64];
    for (size_t i = 0; i < count; i++) out[i] = (wasixnet_outgoing_datagram_t){data[i], lengths[i], to};
    uint64_t permits = 0, sent = 0;
    CHECK_STATUS(wasixnet_udp_check_send(sender, &permits), WASIXNET_SOCK_OK);
    CHECK_STATUS(wasixnet_udp_send(sender, out, count, &sent), WASIXNET_SOCK_OK);
    CHECK(sent == count);
}

static void rx_wait_readable(wasixnet_udp_socket_t *socket) {
    struct pollfd entry = {.fd = wasixnet_udp_fd(socket), .events = POLLIN};
    if (wasixnet_udp_pending(socket) == 0) CHECK(poll(&entry, 1, 2000) == 1);
}

/* Checks element `index` of a lowered list against what was sent, byte for byte: the fields
 * the canonical ABI stores, and the fill everywhere else in the element. */
static void rx_check_element(const wasixnet_guest_t *guest, uint64_t element, const uint8_t *data, size_t length,
                             const wasixnet_ip_socket_address_t *from) {
    CHECK(rx_u32(guest, element + 4) == length);
    CHECK(length == 0 || memcmp(guest->memory + rx_u32(guest, element), data, length) == 0);
    CHECK(rx_u32(guest, element) + (uint64_t)length <= guest->memory_size);
    const uint8_t *address = guest->memory + element + 8;
    CHECK(address[0] == from->tag);
    CHECK(rx_untouched(guest, element + 9, element + 12)); /* the variant's padding */
    uint16_t port;
    memcpy(&port, address + 4, 2);
    CHECK(port == port_of(from));
    if (from->tag == WASIXNET_IP_FAMILY_IPV4) {
        CHECK(memcmp(address + 6, from->u.ipv4.address, 4) == 0);
        CHECK(rx_untouched(guest, element + 18, element + 40)); /* ipv4 is the shorter case */
    } else {
        CHECK(rx_untouched(guest, element + 14, element + 16));
        uint32_t flow, scope;
        memcpy(&flow, address + 8, 4);
        memcpy(&scope, address + 28, 4);
        CHECK(flow == from->u.ipv6.flow_info && scope == from->u.ipv6.scope_id);
        CHECK(memcmp(address + 12, from->u.ipv6.address, 16) == 0);
    }
}

static void pending_and_readiness(uint8_t family) {
    CHECK(wasixnet_udp_pending(NULL) == 0);
    wasixnet_udp_socket_t *receiver = streaming(NULL, family, NULL);
    wasixnet_udp_socket_t *sender = streaming(NULL, family, NULL);
    wasixnet_ip_socket_address_t to = local_of(receiver);
    CHECK(wasixnet_udp_pending(receiver) == 0);
    static uint8_t payload[10][100];
    const uint8_t *data[10];
    size_t lengths[10];
    for (int i = 0; i < 10; i++) {
        memset(payload[i], i, 100);
        data[i] = payload[i];
        lengths[i] = 100;
    }
    rx_send(sender, &to, data, lengths, 10); /* one GSO run: coalesced where the kernel does */
    rx_wait_readable(receiver);
    wasixnet_incoming_datagram_t one = {.data = payload[0], .capacity = 100};
    size_t received = 0, total = 0;
    CHECK_STATUS(wasixnet_udp_receive(receiver, &one, 1, &received), WASIXNET_SOCK_OK);
    CHECK(received == 1 && one.len == 100);
    total += received;
    /* Held datagrams: the incoming stream is ready while pending > 0 even if the fd is not. */
    const size_t held = wasixnet_udp_pending(receiver);
    CHECK(held <= 9);
    for (int round = 0; round < 40 && total < 10; round++) {
        rx_wait_readable(receiver);
        CHECK_STATUS(wasixnet_udp_receive(receiver, &one, 1, &received), WASIXNET_SOCK_OK);
        total += received;
    }
    CHECK(total == 10);
    CHECK(wasixnet_udp_pending(receiver) == 0);
    /* stream drops what is held */
    rx_send(sender, &to, data, lengths, 10);
    rx_wait_readable(receiver);
    CHECK_STATUS(wasixnet_udp_receive(receiver, &one, 1, &received), WASIXNET_SOCK_OK);
    CHECK(wasixnet_udp_pending(receiver) == held);
    CHECK_STATUS(wasixnet_udp_stream(receiver, NULL), WASIXNET_SOCK_OK);
    CHECK(wasixnet_udp_pending(receiver) == 0);
    printf("pending (%s): %zu held after a receive of 1 from a run of 10\n", family ? "ipv6" : "ipv4", held);
    wasixnet_udp_free(sender);
    wasixnet_udp_free(receiver);
}

/* Receives through wasixnet_guest_udp_receive until `count` datagrams came (2 s at most),
 * checking each call's realloc sequence and every element; `mode` as for rx_allocator_t. */
static void rx_expect(wasixnet_udp_socket_t *socket, wasixnet_guest_t *guest, rx_mode_t mode, const uint8_t *const *data,
                      const size_t *lengths, size_t count, const wasixnet_ip_socket_address_t *from) {
    size_t got = 0;
    for (int round = 0; round < 40 && got < count; round++) {
        rx_wait_readable(socket);
        rx_allocator_t allocator = {.mode = mode, .bad_call = -1, .next = 64};
        memset(guest->memory + 8, RX_FILL, 12);
        CHECK_STATUS(wasixnet_guest_udp_receive(socket, guest, 64, rx_realloc, &allocator, 8), WASIXNET_SOCK_OK);
        CHECK(guest->memory[8] == 0 && rx_untouched(guest, 9, 12));
        const uint32_t list = rx_u32(guest, 12), n = rx_u32(guest, 16);
        CHECK(got + n <= count);
        CHECK(allocator.calls == (int)n + 1);
        CHECK(allocator.align[0] == 4 && allocator.size[0] == 40 * (uint64_t)n && allocator.answer[0] == list);
        for (uint32_t i = 0; i < n; i++) {
            CHECK(allocator.align[i + 1] == 1 && allocator.size[i + 1] == lengths[got + i]);
            CHECK(rx_u32(guest, list + 40 * i) == allocator.answer[i + 1]);
            rx_check_element(guest, list + 40 * i, data[got + i], lengths[got + i], from);
        }
        if (mode == RX_GROW_EVERY_CALL) CHECK(allocator.moves == (int)n + 1);
        got += n;
        memset(guest->memory + 64, RX_FILL, guest->memory_size - 64); /* the next call's blocks start filled */
    }
    CHECK(got == count);
}

static void guest_receive(uint8_t family) {
    wasixnet_udp_socket_t *receiver = streaming(NULL, family, NULL);
    wasixnet_udp_socket_t *sender = streaming(NULL, family, NULL);
    wasixnet_ip_socket_address_t to = local_of(receiver), from = local_of(sender);
    wasixnet_guest_t guest = rx_guest();
    rx_allocator_t allocator = {.mode = RX_BUMP, .bad_call = -1, .next = 64};

    /* Arguments the host got wrong: nothing written, realloc never called. */
    CHECK_STATUS(wasixnet_guest_udp_receive(NULL, &guest, 1, rx_realloc, &allocator, 8), WASIXNET_SOCK_E_INVALID_ARGUMENT);
    CHECK_STATUS(wasixnet_guest_udp_receive(receiver, NULL, 1, rx_realloc, &allocator, 8), WASIXNET_SOCK_E_INVALID_ARGUMENT);
    CHECK_STATUS(wasixnet_guest_udp_receive(receiver, &guest, 1, NULL, &allocator, 8), WASIXNET_SOCK_E_INVALID_ARGUMENT);
    guest.pointer_size = 8;
    CHECK_STATUS(wasixnet_guest_udp_receive(receiver, &guest, 1, rx_realloc, &allocator, 8), WASIXNET_SOCK_E_NOT_SUPPORTED);
    guest.pointer_size = 2;
    CHECK_STATUS(wasixnet_guest_udp_receive(receiver, &guest, 1, rx_realloc, &allocator, 8), WASIXNET_SOCK_E_INVALID_ARGUMENT);
    guest.pointer_size = 4;
    wasixnet_guest_t no_memory = {.memory = NULL, .memory_size = 64, .pointer_size = 4};
    CHECK_STATUS(wasixnet_guest_udp_receive(receiver, &no_memory, 1, rx_realloc, &allocator, 8), WASIXNET_SOCK_E_INVALID_ARGUMENT);
    CHECK(allocator.calls == 0 && rx_untouched(&guest, 0, RX_MEMORY));

    /* Before stream: err(invalid-state), written with status OK; nothing else. */
    wasixnet_udp_socket_t *unbound = NULL;
    CHECK_STATUS(wasixnet_udp_create(NULL, family, &unbound), WASIXNET_SOCK_OK);
    CHECK_STATUS(wasixnet_guest_udp_receive(unbound, &guest, 1, rx_realloc, &allocator, 8), WASIXNET_SOCK_OK);
    CHECK(guest.memory[8] == 1 && guest.memory[12] == WASIXNET_SOCK_E_INVALID_STATE - 1);
    CHECK(rx_untouched(&guest, 0, 8) && rx_untouched(&guest, 9, 12) && rx_untouched(&guest, 13, RX_MEMORY));
    CHECK(allocator.calls == 0);
    wasixnet_udp_free(unbound);
    memset(guest.memory, RX_FILL, RX_MEMORY);

    /* Nothing queued: ok(empty list), and the array's realloc is still made (40 x 0 bytes). */
    CHECK_STATUS(wasixnet_guest_udp_receive(receiver, &guest, 64, rx_realloc, &allocator, 8), WASIXNET_SOCK_OK);
    CHECK(allocator.calls == 1 && allocator.align[0] == 4 && allocator.size[0] == 0);
    CHECK(guest.memory[8] == 0 && rx_u32(&guest, 12) == allocator.answer[0] && rx_u32(&guest, 16) == 0);
    CHECK(rx_untouched(&guest, 9, 12));

    /* Exact bytes, zero-length datagrams included, with a plain bump realloc and with one that
     * moves the memory on every call. */
    static const uint8_t alpha[] = "alpha", gamma[] = "gamma-ray", big[1200] = {7};
    const uint8_t *data[4] = {alpha, (const uint8_t *)"", gamma, big};
    const size_t lengths[4] = {5, 0, 9, 1200};
    rx_send(sender, &to, data, lengths, 4);
    rx_expect(receiver, &guest, RX_BUMP, data, lengths, 4, &from);
    rx_send(sender, &to, data, lengths, 4);
    rx_expect(receiver, &guest, RX_GROW_EVERY_CALL, data, lengths, 4, &from);
    const uint8_t *zeros[3] = {alpha, alpha, alpha};
    const size_t zero_lengths[3] = {0, 0, 0};
    rx_send(sender, &to, zeros, zero_lengths, 3);
    rx_expect(receiver, &guest, RX_BUMP, zeros, zero_lengths, 3, &from);

    /* max_results 0: an empty list with its realloc; what is queued stays for the next call. */
    rx_send(sender, &to, data, lengths, 1);
    rx_wait_readable(receiver);
    allocator = (rx_allocator_t){.mode = RX_BUMP, .bad_call = -1, .next = 64};
    CHECK_STATUS(wasixnet_guest_udp_receive(receiver, &guest, 0, rx_realloc, &allocator, 8), WASIXNET_SOCK_OK);
    CHECK(allocator.calls == 1 && allocator.size[0] == 0 && rx_u32(&guest, 16) == 0);
    /* max_results beyond 1024 is served (as 1024): the queued datagram comes, whole */
    allocator = (rx_allocator_t){.mode = RX_BUMP, .bad_call = -1, .next = 64};
    CHECK_STATUS(wasixnet_guest_udp_receive(receiver, &guest, UINT64_MAX, rx_realloc, &allocator, 8), WASIXNET_SOCK_OK);
    CHECK(guest.memory[8] == 0 && rx_u32(&guest, 16) == 1 && allocator.calls == 2);
    {
        const uint32_t element = rx_u32(&guest, 12);
        CHECK(rx_u32(&guest, element + 4) == lengths[0]);
        CHECK(memcmp(guest.memory + rx_u32(&guest, element), data[0], lengths[0]) == 0);
    }

    /* A bad ret_ptr traps before anything is received: the datagram is still there after it. */
    const uint64_t bad_results[] = {guest.memory_size - 8, guest.memory_size, 10, 2, UINT64_MAX - 3, UINT64_MAX};
    rx_send(sender, &to, data, lengths, 1);
    rx_wait_readable(receiver);
    for (size_t i = 0; i < sizeof bad_results / sizeof bad_results[0]; i++) {
        allocator = (rx_allocator_t){.mode = RX_BUMP, .bad_call = -1, .next = 64};
        memset(guest.memory, RX_FILL, guest.memory_size);
        CHECK_STATUS(wasixnet_guest_udp_receive(receiver, &guest, 64, rx_realloc, &allocator, bad_results[i]), WASIXNET_SOCK_TRAP);
        CHECK(allocator.calls == 0 && rx_untouched(&guest, 0, guest.memory_size));
    }
    rx_expect(receiver, &guest, RX_BUMP, data, lengths, 1, &from);
    /* The last 12 bytes of memory are a valid place for the result. */
    rx_send(sender, &to, data, lengths, 1);
    rx_wait_readable(receiver);
    guest.memory_size &= ~(uint64_t)3;
    allocator = (rx_allocator_t){.mode = RX_BUMP, .bad_call = -1, .next = 64};
    const uint64_t last = guest.memory_size - 12;
    CHECK_STATUS(wasixnet_guest_udp_receive(receiver, &guest, 64, rx_realloc, &allocator, last), WASIXNET_SOCK_OK);
    CHECK(guest.memory[last] == 0 && rx_u32(&guest, last + 8) == 1);

    /* A realloc that breaks the rules, at the array's call or a datagram's: TRAP, and the socket
     * goes on working for the host. A block that ends exactly at the end of memory is fine. */
    const struct { rx_mode_t mode; int call; wasixnet_sock_status_t status; } rules[] = {
        {RX_FAIL, 0, WASIXNET_SOCK_TRAP},          {RX_FAIL, 2, WASIXNET_SOCK_TRAP},
        {RX_OUT_OF_BOUNDS, 0, WASIXNET_SOCK_TRAP}, {RX_OUT_OF_BOUNDS, 1, WASIXNET_SOCK_TRAP},
        {RX_MISALIGNED, 0, WASIXNET_SOCK_TRAP},    {RX_END_OF_MEMORY, 0, WASIXNET_SOCK_OK},
        {RX_END_OF_MEMORY, 3, WASIXNET_SOCK_OK},
    };
    /* Four datagrams of one size: one GSO message, coalesced where the kernel does, so one call
     * gets all four and every realloc call of the rules is reached. */
    static uint8_t run[4][100];
    const uint8_t *run_data[4];
    const size_t run_lengths[4] = {100, 100, 100, 100};
    for (int i = 0; i < 4; i++) {
        memset(run[i], 0x40 + i, sizeof run[i]);
        run_data[i] = run[i];
    }
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        rx_send(sender, &to, run_data, run_lengths, 4);
        size_t seen = 0;
        int broken = 0;
        for (int round = 0; round < 40 && seen < 4; round++) {
            rx_wait_readable(receiver);
            allocator = (rx_allocator_t){.mode = rules[i].mode, .bad_call = rules[i].call, .next = 64};
            const wasixnet_sock_status_t status = wasixnet_guest_udp_receive(receiver, &guest, 64, rx_realloc, &allocator, 8);
            const uint32_t n = status == WASIXNET_SOCK_OK ? rx_u32(&guest, 16) : (uint32_t)(allocator.calls - 1);
            if (allocator.calls > rules[i].call && n + 1 > (uint32_t)rules[i].call) {
                CHECK_STATUS(status, rules[i].status);
                if (status == WASIXNET_SOCK_TRAP) CHECK(allocator.calls == rules[i].call + 1); /* stops at once */
                seen = 4; /* the trapped call's datagrams are dropped with it */
                broken = 1;
            } else {
                CHECK_STATUS(status, WASIXNET_SOCK_OK);
                seen += n;
            }
        }
        CHECK(broken); /* the rule was broken, not dodged by a short batch */
        /* drop whatever is left of the batch, then the socket still works */
        for (int round = 0; round < 5; round++) {
            allocator = (rx_allocator_t){.mode = RX_BUMP, .bad_call = -1, .next = 64};
            CHECK_STATUS(wasixnet_guest_udp_receive(receiver, &guest, 64, rx_realloc, &allocator, 8), WASIXNET_SOCK_OK);
            struct pollfd entry = {.fd = wasixnet_udp_fd(receiver), .events = POLLIN};
            if (wasixnet_udp_pending(receiver) == 0 && poll(&entry, 1, 20) == 0) break;
        }
        rx_send(sender, &to, data + 2, lengths + 2, 1);
        rx_expect(receiver, &guest, RX_BUMP, data + 2, lengths + 2, 1, &from);
    }

    /* Connected: other senders' datagrams are dropped, those queued before stream included. */
    wasixnet_udp_socket_t *stranger = streaming(NULL, family, NULL);
    rx_send(stranger, &to, data, lengths, 2);
    rx_wait_readable(receiver);
    CHECK_STATUS(wasixnet_udp_stream(receiver, &from), WASIXNET_SOCK_OK);
    rx_send(sender, &to, data + 2, lengths + 2, 2);
    rx_expect(receiver, &guest, RX_BUMP, data + 2, lengths + 2, 2, &from);
    wasixnet_udp_free(stranger);

    free(guest.memory);
    wasixnet_udp_free(sender);
    wasixnet_udp_free(receiver);
}

static void plugin_table(void) {
    const wasixnet_plugin_v1_t *plugin = wasixnet_plugin_v1();
    CHECK(plugin->struct_size == sizeof(wasixnet_plugin_v1_t));
    CHECK(plugin->sock_status_name == wasixnet_sock_status_name);
    CHECK(plugin->udp_create == wasixnet_udp_create);
    CHECK(plugin->udp_send == wasixnet_udp_send);
    CHECK(plugin->udp_receive == wasixnet_udp_receive);
    CHECK(plugin->guest_udp_send == wasixnet_guest_udp_send);
    CHECK(plugin->udp_pending == wasixnet_udp_pending);
    CHECK(plugin->guest_udp_receive == wasixnet_guest_udp_receive);
}

int main(void) {
    null_handling();
    status_names();
    plugin_table();
    for (uint8_t family = 0; family <= 1; family++) {
        host_round_trip(family);
        guest_lists(family);
        enforced_routes(family);
        pending_and_readiness(family);
        guest_receive(family);
    }
    printf("%d passed, 0 failed\n", checks);
    return 0;
}
