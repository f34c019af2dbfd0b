/*
 * udp.c: the UDP guest's imports as wasm3 raw functions. Each takes guest memory as it is on this
 * call and its i32 arguments from their slots, and hands them to udp_session.c, which does the
 * work with no runtime in it.
 *
 * An i32 argument is the low half of its 64-bit slot; wasm3 leaves the high half as it was, so
 * these functions read each one as a uint32_t (what the i32 means here: an offset or a count).
 */
#include "host.h"

/* The session's reason to trap, as the raw function's result. */
static const char *trap_if(guest_ctx_t *ctx, int trapped)
{
    return trapped ? ctx->trap : m3Err_none;
}

/* demo.udp_stream(peer_ptr) -> handle: "i(i)", the result's slot first. */
static const void *demo_udp_stream(IM3Runtime runtime, IM3ImportContext import, uint64_t *slots, void *base)
{
    (void)import, (void)base;
    guest_ctx_t *ctx = m3_GetUserData(runtime);
    uint32_t peer_ptr = (uint32_t)slots[1], handle = 0;
    wasixnet_guest_t guest;
    const char *trap = guest_memory(runtime, &guest);
    if (trap)
        return trap;
    int trapped = udp_session_open(&ctx->udp, ctx->port, &guest, peer_ptr, &handle, ctx->trap, sizeof ctx->trap);
    slots[0] = handle;
    return trap_if(ctx, trapped);
}

/* [method]outgoing-datagram-stream.check-send(self, retptr): "v(ii)". */
static const void *datagram_check_send(IM3Runtime runtime, IM3ImportContext import, uint64_t *slots, void *base)
{
    (void)import, (void)base;
    guest_ctx_t *ctx = m3_GetUserData(runtime);
    uint32_t self = (uint32_t)slots[0], retptr = (uint32_t)slots[1];
    wasixnet_guest_t guest;
    const char *trap = guest_memory(runtime, &guest);
    if (trap)
        return trap;
    return trap_if(ctx, udp_session_check_send(ctx->udp, &guest, self, retptr, ctx->trap, sizeof ctx->trap));
}

/* [method]outgoing-datagram-stream.send(self, list_ptr, list_len, retptr): "v(iiii)". */
static const void *datagram_send(IM3Runtime runtime, IM3ImportContext import, uint64_t *slots, void *base)
{
    (void)import, (void)base;
    guest_ctx_t *ctx = m3_GetUserData(runtime);
    uint32_t self = (uint32_t)slots[0], list_ptr = (uint32_t)slots[1], list_len = (uint32_t)slots[2],
             retptr = (uint32_t)slots[3];
    wasixnet_guest_t guest;
    const char *trap = guest_memory(runtime, &guest);
    if (trap)
        return trap;
    return trap_if(ctx, udp_session_send(ctx->udp, &guest, self, list_ptr, list_len, retptr, ctx->trap,
                                         sizeof ctx->trap));
}

const host_import_t UDP_IMPORTS[] = {
    {"demo", "udp_stream", "i(i)", demo_udp_stream},
    {"wasi:sockets/udp@0.2.0", "[method]outgoing-datagram-stream.check-send", "v(ii)", datagram_check_send},
    {"wasi:sockets/udp@0.2.0", "[method]outgoing-datagram-stream.send", "v(iiii)", datagram_send},
};
const size_t UDP_IMPORTS_COUNT = sizeof UDP_IMPORTS / sizeof UDP_IMPORTS[0];
