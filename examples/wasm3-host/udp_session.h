/*
 * udp_session.h: the UDP guest's three imports and the loopback check of what it sent, with no
 * runtime in them.
 *
 * guests/udp_batch.wat calls demo.udp_stream, then wasi:sockets'
 * [method]outgoing-datagram-stream.check-send and .send as a component's core module calls them
 * once lowered. Each function below is one of those imports given guest memory as the runtime
 * sees it on that call and the guest's i32 arguments, cut to their 32 bits by the caller: a
 * runtime wraps each in its own host-function shape (udp.c does it for wasm3's raw functions).
 * They return 0 when the guest may go on, or 1 with why the guest must trap written to `why`.
 *
 * The setup is the demo's shortcut: instead of create-udp-socket / bind / stream and their
 * resource handles, demo.udp_stream opens the guest's socket (bound to 127.0.0.1, streams open to
 * any peer) and a receiver of the host's on 127.0.0.1, and answers stream handle 1.
 */
#ifndef WASIXNET_WASM3_UDP_SESSION_H
#define WASIXNET_WASM3_UDP_SESSION_H

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

/* After the guest's run: receives what it sent on the loopback receiver, prints it, and returns 0
 * when every datagram arrived from the guest's socket, byte for byte, and nothing else came. */
int udp_session_finish(udp_session_t *udp);

/* NULL is a no-op. */
void udp_session_free(udp_session_t *udp);

#endif
