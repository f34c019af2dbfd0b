/* A family full to its 16,777,215 entries (wasixnet.h [port.validation]), through the installed
 * library: route_add, gateway_set and addr_add that would need one more entry answer ENOMEM and
 * change nothing; the other family is not affected; a removed entry counts until readers have
 * moved past it, then serves again.
 *
 * It fills a port with every IPv4 /24 but the last (16,777,215 routes: about 350 MB and a few
 * seconds), which is why it is a program of its own and not a Swift test (the Swift tests run
 * unoptimized) or a libffi one. Built through pkg-config (make test-family-limit). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wasixnet.h>

#include "checks.h"

enum { FAMILY_ENTRIES = 16777215 };

#define CHECK_ERRNO(call, expected)                                                                \
    do {                                                                                           \
        wasixnet_errno_t got_ = (call);                                                            \
        checks++;                                                                                  \
        if (got_ != (expected)) {                                                                  \
            fprintf(stderr, "%s:%d: %s answered %s, expected %s\n", __FILE__, __LINE__, #call,     \
                    wasixnet_errno_name(got_), wasixnet_errno_name(expected));                     \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

static const wasixnet_addr_t ON_LINK;
static const wasixnet_option_timestamp_t NONE;

static wasixnet_addr_cidr_t cidr4(uint32_t network, uint8_t prefix)
{
    wasixnet_addr_cidr_t cidr;
    memset(&cidr, 0, sizeof cidr);
    cidr.tag = WASIXNET_ADDRESS_FAMILY_INET4;
    for (int k = 0; k < 4; k++)
        cidr.u.inet4.addr[k] = (uint8_t)(network >> (24 - 8 * k));
    cidr.u.inet4.prefix = prefix;
    return cidr;
}

static wasixnet_addr_t addr4(uint32_t address)
{
    wasixnet_addr_t addr;
    memset(&addr, 0, sizeof addr);
    addr.tag = WASIXNET_ADDRESS_FAMILY_INET4;
    for (int k = 0; k < 4; k++)
        addr.u.inet4[k] = (uint8_t)(address >> (24 - 8 * k));
    return addr;
}

static wasixnet_addr_cidr_t cidr6(uint16_t group1, uint16_t last, uint8_t prefix)
{
    wasixnet_addr_cidr_t cidr;
    memset(&cidr, 0, sizeof cidr);
    cidr.tag = WASIXNET_ADDRESS_FAMILY_INET6;
    cidr.u.inet6.addr.octets[0] = 0x20; /* 2001:db8:<group1>::<last> */
    cidr.u.inet6.addr.octets[1] = 0x01;
    cidr.u.inet6.addr.octets[2] = 0x0d;
    cidr.u.inet6.addr.octets[3] = 0xb8;
    cidr.u.inet6.addr.octets[4] = (uint8_t)(group1 >> 8);
    cidr.u.inet6.addr.octets[5] = (uint8_t)group1;
    cidr.u.inet6.addr.octets[14] = (uint8_t)(last >> 8);
    cidr.u.inet6.addr.octets[15] = (uint8_t)last;
    cidr.u.inet6.prefix = prefix;
    return cidr;
}

static uint32_t route_count(wasixnet_port_t *port)
{
    uint32_t count = 0;
    wasixnet_route_t none;
    wasixnet_errno_t err = wasixnet_port_route_list(port, &none, &count);
    CHECK(err == WASIXNET_ESUCCESS || err == WASIXNET_EOVERFLOW);
    return count;
}

static uint32_t address_count(wasixnet_port_t *port)
{
    uint32_t count = 0;
    wasixnet_addr_cidr_t none;
    wasixnet_errno_t err = wasixnet_port_addr_list(port, &none, &count);
    CHECK(err == WASIXNET_ESUCCESS || err == WASIXNET_EOVERFLOW);
    return count;
}

/* The prefix length route_lookup answers for `address`, or -1 for ENETUNREACH. */
static int looked_up(wasixnet_port_t *port, uint32_t address)
{
    wasixnet_addr_t destination = addr4(address);
    wasixnet_route_t route;
    wasixnet_errno_t err = wasixnet_port_route_lookup(port, &destination, &route, NULL);
    CHECK(err == WASIXNET_ESUCCESS || err == WASIXNET_ENETUNREACH);
    return err == WASIXNET_ESUCCESS ? route.cidr.u.inet4.prefix : -1;
}

int main(void)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    wasixnet_port_config_t config;
    memset(&config, 0, sizeof config);
    config.struct_size = sizeof config;
    config.max_routes = 1u << 25; /* well past the family's entries: that limit, not this, is met */
    wasixnet_port_t *port = NULL;
    CHECK_ERRNO(wasixnet_port_new(&config, &port), WASIXNET_ESUCCESS);

    /* Every /24 from 0.0.0.0/24 to 255.255.254.0/24. */
    for (uint32_t i = 0; i < FAMILY_ENTRIES; i++) {
        wasixnet_addr_cidr_t cidr = cidr4(i << 8, 24);
        wasixnet_errno_t err = wasixnet_port_route_add(port, &cidr, &ON_LINK, &NONE, &NONE);
        if (err != WASIXNET_ESUCCESS) {
            fprintf(stderr, "family_limit_test: route %u of %d: %s\n", i, FAMILY_ENTRIES, wasixnet_errno_name(err));
            return 1;
        }
    }
    CHECK(route_count(port) == FAMILY_ENTRIES);

    /* One more IPv4 entry, by each call that makes one: ENOMEM, and nothing changes. */
    wasixnet_addr_cidr_t last = cidr4(0xffffff00u, 24);
    CHECK_ERRNO(wasixnet_port_route_add(port, &last, &ON_LINK, &NONE, &NONE), WASIXNET_ENOMEM);
    wasixnet_addr_t gateway = addr4(0x0a000001u); /* 10.0.0.1: no default route yet, so a new one */
    CHECK_ERRNO(wasixnet_port_gateway_set(port, &gateway), WASIXNET_ENOMEM);
    wasixnet_addr_cidr_t own = cidr4(0xffffff01u, 24); /* 255.255.255.1/24: its prefix is new */
    CHECK_ERRNO(wasixnet_port_addr_add(port, &own), WASIXNET_ENOMEM);
    wasixnet_addr_cidr_t own_in_routed = cidr4(0x0a010203u, 24); /* 10.1.2.3/24: routed, not yet own */
    CHECK_ERRNO(wasixnet_port_addr_add(port, &own_in_routed), WASIXNET_ENOMEM);
    CHECK(route_count(port) == FAMILY_ENTRIES);
    CHECK(address_count(port) == 0);
    CHECK(looked_up(port, 0x0a010203u) == 24);
    CHECK(looked_up(port, 0xffffff01u) == -1);
    CHECK(looked_up(port, 0x08080808u) == 24);

    /* The other family has its own entries. */
    wasixnet_addr_cidr_t own6 = cidr6(1, 1, 64);
    CHECK_ERRNO(wasixnet_port_addr_add(port, &own6), WASIXNET_ESUCCESS);
    CHECK(address_count(port) == 1);

    /* A removed entry counts until readers have moved past it: writes of the other family move
     * them on, then the entry serves again. */
    wasixnet_addr_t removed = addr4(0x0a010200u);
    CHECK_ERRNO(wasixnet_port_route_remove(port, &removed), WASIXNET_ESUCCESS);
    CHECK(looked_up(port, 0x0a010203u) == -1);
    int writes = 0;
    wasixnet_errno_t err;
    while ((err = wasixnet_port_route_add(port, &last, &ON_LINK, &NONE, &NONE)) == WASIXNET_ENOMEM && writes < 10000) {
        wasixnet_addr_cidr_t route6 = cidr6(2, (uint16_t)writes, 128);
        wasixnet_addr_t address6;
        memset(&address6, 0, sizeof address6);
        address6.tag = WASIXNET_ADDRESS_FAMILY_INET6;
        memcpy(&address6.u.inet6, &route6.u.inet6.addr, sizeof route6.u.inet6.addr);
        CHECK_ERRNO(wasixnet_port_route_add(port, &route6, &ON_LINK, &NONE, &NONE), WASIXNET_ESUCCESS);
        CHECK_ERRNO(wasixnet_port_route_remove(port, &address6), WASIXNET_ESUCCESS);
        writes += 2;
    }
    CHECK_ERRNO(err, WASIXNET_ESUCCESS);
    CHECK(looked_up(port, 0xffffff01u) == 24);
    CHECK(route_count(port) == FAMILY_ENTRIES);
    CHECK_ERRNO(wasixnet_port_route_add(port, &last, &ON_LINK, &NONE, &NONE), WASIXNET_EEXIST);
    CHECK_ERRNO(wasixnet_port_addr_add(port, &own), WASIXNET_ENOMEM);

    wasixnet_port_free(port);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("family_limit_test: %d checks passed; %d IPv4 routes filled the family, each extra entry was ENOMEM "
           "with nothing changed, a removed one served again after %d writes of IPv6 routes (%.1f s)\n",
           checks, FAMILY_ENTRIES, writes, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    return 0;
}
