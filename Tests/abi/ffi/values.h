/*
 * values.h — addresses, CIDRs, timestamps and routes written as literals, and the bytes a struct
 * must hold in host or guest memory (its "byte image"), with their text for failure messages.
 */
#ifndef WASIXNET_FFI_VALUES_H
#define WASIXNET_FFI_VALUES_H

#include "harness.h"

#define T0 UINT64_C(1700000000000000000) /* the fake clock's start (ns) */
#define V4 WASIXNET_ADDRESS_FAMILY_INET4
#define V6 WASIXNET_ADDRESS_FAMILY_INET6

/* "10.0.0.1", "2001:db8::1", "" (unspec: all zero) or "#N" (tag N, all other bytes zero). */
wasixnet_addr_t ip(const char *s);
wasixnet_addr_t ip_fs(const char *s, uint32_t flow, uint32_t scope);
/* "10.0.0.0/8", "2001:db8::/32" or "#N". */
wasixnet_addr_cidr_t net(const char *s);
wasixnet_addr_cidr_t net_fs(const char *s, uint32_t flow, uint32_t scope);

wasixnet_option_timestamp_t ots(uint8_t tag, uint64_t value);
#define NONE ots(0, 0)
#define AT(rel) ots(1, T0 + (uint64_t)(int64_t)(rel))

wasixnet_route_t RX(wasixnet_addr_cidr_t c, wasixnet_addr_t v, wasixnet_option_timestamp_t pu,
                    wasixnet_option_timestamp_t ea);
wasixnet_route_t R(const char *cidr, const char *via_router, wasixnet_option_timestamp_t pu,
                   wasixnet_option_timestamp_t ea);

/* Byte images (values.c says what they hold). */
enum { LAYOUT_V1 = WASIXNET_LAYOUT_WASIX_V1, LAYOUT_WASMER = WASIXNET_LAYOUT_WASMER, TS_SIZE = 16, MAX_IMG = 176 };
/* Sizes and offsets of the guest-memory structs in each layout. */
typedef struct {
    size_t addr, cidr, route, via, pu, ea, v6_prefix;
} shape_t;
extern const shape_t shapes[2];

void put_le(uint8_t *p, uint64_t v, unsigned n);
size_t img_addr(int layout, bool input, const wasixnet_addr_t *a, uint8_t *out);
size_t img_cidr(int layout, bool input, const wasixnet_addr_cidr_t *c, uint8_t *out);
size_t img_ts(bool input, const wasixnet_option_timestamp_t *t, uint8_t *out);
size_t img_route(int layout, const wasixnet_route_t *r, uint8_t *out);

/* Text of a wasix_v1 image, for failure messages. */
void fmt_cidr_img(const uint8_t *b, char *out, size_t n);
void fmt_route_img(const uint8_t *b, char *out, size_t n);

#endif
