/*
 * udp_session.h: the UDP guest's three imports and the loopback check of what it sent, with no
 * runtime in them.
 *
 * examples/wasmtime-host/guests/udp_batch.wat calls demo.udp_stream, then wasi:sockets'
 * [method]outgoing-datagram-stream.check-send and .send as a component's core module calls them
 * once lowered; udp_roundtrip.wat there sends to itself and calls
 * [method]incoming-datagram-stream.receive too. Each function below is one of those imports,
 * given guest memory as the runtime sees it on that call and the guest's i32 arguments, cut to
 * their 32 bits by the caller. A runtime wraps each in its own host-function shape:
 * examples/wasmtime-host/udp.c does it for wasmtime's host functions, examples/wasm3-host/udp.c
 * for wasm3's raw functions. They return 0 when the guest may go on, or 1 with why the guest must
 * trap written to `why`.
 *
 * The setup is the demo's shortcut: instead of create-udp-socket / bind / stream and their
 * resource handles, demo.udp_stream opens the guest's socket (bound to 127.0.0.1, streams open to
 * any peer) and a receiver of the host's on 127.0.0.1, and answers handle 1 for both streams.
 */
#ifndef WASIXNET_EXAMPLE_UDP_SESSION_H
#define WASIXNET_EXAMPLE_UDP_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include <wasixnet.h>

typedef struct udp_session udp_session_t;

/* demo.udp_stream(peer_ptr) -> handle. Opens the session into *out (free it with
 * udp_session_free, also after a trap) and writes the receiver's ip-socket-address (canonical
 * ABI, 32 bytes) at peer_ptr. *out must be NULL: one stream per guest. */
int udp_session_open(udp_session_t **out, wasixnet_port_t *port, const wasixnet_guest_t *guest, uint32_t peer_ptr,
                     uint32_t *handle, char *why, size_t why_size);

/* [method]outgoing-datagram-stream.check-send(self, retptr): result<u64, error-code> at retptr. */
int udp_session_check_send(udp_session_t *udp, const wasixnet_guest_t *guest, uint32_t self, uint32_t retptr,
                           char *why, size_t why_size);

/* [method]outgoing-datagram-stream.send(self, list_ptr, list_len, retptr): the guest's
 * list<outgoing-datagram> handed as it lies to wasixnet_guest_udp_send (no copy, one sendmmsg),
 * result<u64, error-code> at retptr. Keeps a copy of what was sent for udp_session_finish. */
int udp_session_send(udp_session_t *udp, const wasixnet_guest_t *guest, uint32_t self, uint32_t list_ptr,
                     uint32_t list_len, uint32_t retptr, char *why, size_t why_size);

/* demo.udp_own_address(ptr): the guest's own socket address (canonical ABI, 32 bytes) at ptr. */
int udp_session_own_address(udp_session_t *udp, const wasixnet_guest_t *guest, uint32_t ptr, char *why,
                            size_t why_size);

/* demo.udp_ready(self, timeout_ms) -> ready: what the incoming stream's `subscribe` pollable
 * answers to `block`, with a timeout: datagrams the socket holds (wasixnet_udp_pending) leave its
 * descriptor unreadable, so they count first; then poll(POLLIN). */
int udp_session_ready(udp_session_t *udp, uint32_t self, int32_t timeout_ms, uint32_t *ready, char *why,
                      size_t why_size);

/* [method]incoming-datagram-stream.receive(self, max_results, retptr): wasixnet_guest_udp_receive
 * lowers result<list<incoming-datagram>, error-code> at retptr, allocating through `realloc`
 * (the runtime's call of the guest's cabi_realloc, which must refresh *guest after it). */
int udp_session_receive(udp_session_t *udp, wasixnet_guest_t *guest, uint32_t self, uint64_t max_results,
                        uint32_t retptr, wasixnet_guest_realloc_t realloc, void *realloc_ctx, char *why,
                        size_t why_size);

/* After the guest's run: receives what it sent on the loopback receiver, prints it, and returns 0
 * when every datagram arrived from the guest's socket, byte for byte, and nothing else came. */
int udp_session_finish(udp_session_t *udp);

/* NULL is a no-op. */
void udp_session_free(udp_session_t *udp);

#endif
