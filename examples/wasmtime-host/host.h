/*
 * host.h: what the parts of the example runtime share.
 *
 *   host.c    embeds wasmtime: registers wasixnet_imports() in one loop, runs the guests
 *   story.c   prints each port call as the guest made it, decoded from guest memory
 *   udp.c     the UDP guests' imports: a canonical-ABI list<outgoing-datagram> handed to
 *             wasixnet_guest_udp_send; receive lowered by wasixnet_guest_udp_receive through the
 *             guest's cabi_realloc; readiness; a loopback receiver that checks what arrived
 */
#ifndef WASIXNET_EXAMPLE_HOST_H
#define WASIXNET_EXAMPLE_HOST_H

#include "wasmtime_min.h"

#include <wasixnet.h>

/* wasm memory is little-endian. On a little-endian host the structs of wasixnet.h have the guest's
 * layout byte for byte (the header pins every offset), so story.c and udp.c copy them out of guest
 * memory with memcpy. A big-endian host would have to swap every multi-byte field instead. */
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "this example reads guest structs with memcpy: little-endian hosts only"
#endif

typedef struct udp_session udp_session_t;

/* One guest instance's host state: every host function of that instance reaches it. */
typedef struct guest_ctx {
    wasixnet_port_t *port;     /* the guest's network interface */
    wasixnet_timestamp_t now;  /* the port's clock: demo.wait moves it, so lifetimes play out at once */
    unsigned checks_passed;    /* demo.check calls that held */
    udp_session_t *udp;        /* made by the first demo.udp_stream call */
} guest_ctx_t;

#define SEC UINT64_C(1000000000) /* the port's clock counts nanoseconds */

/* The caller's linear memory as wasixnet wants it. Looked up on every call, never cached: a
 * memory.grow may have moved it since the last one. A guest that exports no memory gets a trap. */
wasm_trap_t *guest_memory(wasmtime_caller_t *caller, uint8_t pointer_size, wasixnet_guest_t *out);

/* [off, off + len) of guest memory, or NULL when it does not lie whole inside. */
uint8_t *guest_bytes(const wasixnet_guest_t *guest, uint64_t off, uint64_t len);

/* A trap with a printf-style message: what a host function returns to stop the guest. */
wasm_trap_t *trap_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The most parameters a host function here takes (wasixnet's imports take at most 7). */
#define HOST_MAX_PARAMS 16

/* One host function by name and wasm signature, in wasixnet's letters: params "iiI" ('i' i32,
 * 'I' i64), results "" or "i". */
typedef struct host_import {
    const char *module, *name, *params, *results;
    wasmtime_func_callback_t callback;
} host_import_t;

/* The UDP guest's imports (udp.c), registered with the demo's own ones. */
extern const host_import_t UDP_IMPORTS[];
extern const size_t UDP_IMPORTS_COUNT;

/* After the UDP guest's run: receives what it sent on the loopback receiver, prints it, and
 * returns 0 when every datagram arrived, byte for byte (udp.c). */
int udp_session_finish(udp_session_t *udp);
void udp_session_free(udp_session_t *udp);

#endif
