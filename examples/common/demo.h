/*
 * demo.h: what both example hosts' demos share that has no runtime in it (demo.c): reading guest
 * memory, reading a guest's file, the port on the demo's clock. Each host's runtime-specific part
 * (host.c) calls these; story.c and udp_session.c, also shared, read guest memory through
 * guest_bytes.
 *
 *   examples/common/demo.c          this
 *   examples/common/story.c         prints each port call as the guest made it, decoded from
 *                                   guest memory
 *   examples/common/udp_session.c   the UDP guest's imports on guest memory, and the loopback
 *                                   receiver that checks what arrived
 */
#ifndef WASIXNET_EXAMPLE_DEMO_H
#define WASIXNET_EXAMPLE_DEMO_H

#include <stddef.h>
#include <stdint.h>

#include <wasixnet.h>

/* wasm memory is little-endian. On a little-endian host the structs of wasixnet.h have the guest's
 * layout byte for byte (the header pins every offset), so story.c and udp_session.c copy them out
 * of guest memory with memcpy. A big-endian host would have to swap every multi-byte field. */
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the examples read guest structs with memcpy: little-endian hosts only"
#endif

#define SEC UINT64_C(1000000000) /* the port's clock counts nanoseconds */

/* [off, off + len) of guest memory, or NULL when it does not lie whole inside. */
uint8_t *guest_bytes(const wasixnet_guest_t *guest, uint64_t off, uint64_t len);

/* Copies the NUL-terminated string the guest keeps at `off` into buf; 0 when it is not one of at
 * most size - 1 bytes inside guest memory. */
int guest_string(const wasixnet_guest_t *guest, uint32_t off, char *buf, size_t size);

/* The whole file, malloc'd (free it), or NULL after saying why. */
uint8_t *read_whole_file(const char *path, size_t *len_out);

/* A guest's own network interface, on the clock *now, which the demo moves (demo.wait). Its MAC is
 * the port's random locally administered one. Exits when the port cannot be made. */
wasixnet_port_t *demo_port_new(wasixnet_timestamp_t *now);

/* demo.wait(seconds): moves the port's clock, as if the guest had slept that long, and says so. */
void demo_wait_seconds(wasixnet_timestamp_t *now, int64_t seconds);

/* 1 when the libwasixnet loaded is the ABI this host was built for; 0 after saying it is not. */
int demo_abi_matches(void);

#endif
