/*
 * host.h: what the parts of the example runtime share.
 *
 *   host.c    embeds wasmtime: registers wasixnet_imports() in one loop, runs the guests
 *   udp.c     the UDP guests' imports as wasmtime host functions, over ../common/udp_session.c:
 *             a canonical-ABI list<outgoing-datagram> handed to wasixnet_guest_udp_send; receive
 *             lowered by wasixnet_guest_udp_receive through the guest's cabi_realloc; readiness;
 *             a loopback receiver that checks what arrived
 *
 * and, shared with examples/wasm3-host/ and with no runtime in them (../common/demo.h):
 *
 *   ../common/story.c         prints each port call as the guest made it, decoded from guest memory
 *   ../common/udp_session.c   the UDP guests' imports on guest memory, and the loopback receiver
 *   ../common/demo.c          guest_bytes, reading a file, the port on the demo's clock
 */
#ifndef WASIXNET_EXAMPLE_HOST_H
#define WASIXNET_EXAMPLE_HOST_H

#include "wasmtime_min.h"

#include "../common/demo.h"
#include "../common/udp_session.h"

#include <wasixnet.h>

/* One guest instance's host state: every host function of that instance reaches it. */
typedef struct guest_ctx {
    wasixnet_port_t *port;     /* the guest's network interface */
    wasixnet_timestamp_t now;  /* the port's clock: demo.wait moves it, so lifetimes play out at once */
    unsigned checks_passed;    /* demo.check calls that held */
    udp_session_t *udp;        /* made by the first demo.udp_stream call */
    char why[256];             /* why the UDP session says the guest must trap (udp.c) */
} guest_ctx_t;

/* The caller's linear memory as wasixnet wants it. Looked up on every call, never cached: a
 * memory.grow may have moved it since the last one. A guest that exports no memory gets a trap. */
wasm_trap_t *guest_memory(wasmtime_caller_t *caller, uint8_t pointer_size, wasixnet_guest_t *out);

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

#endif
