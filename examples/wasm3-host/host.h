/*
 * host.h: what the parts of the wasm3 example runtime share.
 *
 *   host.c          embeds wasm3: links wasixnet_imports() in one loop through one raw-function
 *                   trampoline, runs the guests
 *   udp.c           the UDP guest's imports as wasm3 raw functions, over ../common/udp_session.c
 *
 * and, shared with examples/wasmtime-host/ and with no runtime in them (../common/demo.h):
 *
 *   ../common/story.c         prints each port call as the guest made it, decoded from guest memory
 *   ../common/udp_session.c   the UDP guests' imports on guest memory, and the loopback receiver
 *                             that checks what arrived
 *   ../common/demo.c          guest_bytes, reading a file, the port on the demo's clock
 */
#ifndef WASIXNET_WASM3_HOST_H
#define WASIXNET_WASM3_HOST_H

#include "../common/demo.h"
#include "../common/udp_session.h"

#include <wasm3.h>
#include <wasixnet.h>

/* wasm3's stack slots are read as little-endian too (an i32 in the low half of its 64-bit slot):
 * demo.h already stops a big-endian build, for the guest structs' sake. */

/* One guest instance's host state: its runtime's userdata, so every raw function reaches it with
 * m3_GetUserData. */
typedef struct guest_ctx {
    wasixnet_port_t *port;        /* the guest's network interface */
    wasixnet_timestamp_t now;     /* the port's clock: demo.wait moves it, so lifetimes play out at once */
    unsigned checks_passed;       /* demo.check calls that held */
    udp_session_t *udp;           /* made by the demo.udp_stream call */
    unsigned i32_args;            /* i32 arguments wasm3 handed to wasixnet's imports */
    unsigned stale_high_halves;   /* how many of them had a non-zero high half in their slot */
    const uint8_t *seen_base;     /* linear memory's base at the last host call */
    unsigned memory_moves;        /* how often it had moved since the call before (memory.grow) */
    char trap[256];               /* why the guest trapped: wasm3 hands this pointer back from m3_CallV */
} guest_ctx_t;

/* The runtime's linear memory as wasixnet wants it, for wasix_32v1 (4-byte count cells). Looked
 * up on every call, never cached: a memory.grow may have moved it since the last one. A guest
 * with no memory gets a trap: the returned message, NULL when all is well. */
const char *guest_memory(IM3Runtime runtime, wasixnet_guest_t *out);

/* Writes a printf-style message into the guest's ctx->trap and returns it, for a raw function to
 * return: wasm3 stops the guest with any non-NULL result. */
const char *trap_printf(IM3Runtime runtime, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One host function of the demo's own, in wasm3's signature notation ("i(ii)": result, then
 * params; 'i' i32, 'I' i64, 'v' none). A raw function finds its results first on the stack, one
 * 64-bit slot each, then its arguments. */
typedef struct host_import {
    const char *module, *name, *signature;
    M3RawCall function;
} host_import_t;

/* The UDP guest's imports (udp.c), linked with the demo's own ones. */
extern const host_import_t UDP_IMPORTS[];
extern const size_t UDP_IMPORTS_COUNT;

#endif
