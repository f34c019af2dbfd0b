/*
 * guest_bytes.h: the one function the wasmtime host's story.c needs from the runtime around it.
 *
 * The wasm3 host prints each port call with examples/wasmtime-host/story.c, compiled unchanged, so
 * both runtimes tell their guests' stories line for line alike. story.c declares guest_bytes
 * through the wasmtime host's host.h; wasm3.mk compiles story.c with this header forced in front
 * (-include), so if the two declarations ever part, the compiler says so instead of the call
 * going wrong at run time.
 */
#ifndef WASIXNET_WASM3_GUEST_BYTES_H
#define WASIXNET_WASM3_GUEST_BYTES_H

#include <stdint.h>

#include <wasixnet.h>

/* [off, off + len) of guest memory, or NULL when it does not lie whole inside. */
uint8_t *guest_bytes(const wasixnet_guest_t *guest, uint64_t off, uint64_t len);

#endif
