/*
 * udp.c: the UDP guest's imports as wasm3 raw functions. Each takes guest memory as it is on this
 * call and its i32 arguments from their slots, and hands them to ../common/udp_session.c, which
 * does the work with no runtime in it (the wasmtime host's udp.c wraps the same functions).
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

/* demo.udp_own_address(ptr): "v(i)". */
static const void *demo_udp_own_address(IM3Runtime runtime, IM3ImportContext import, uint64_t *slots, void *base)
{
    (void)import, (void)base;
    guest_ctx_t *ctx = m3_GetUserData(runtime);
    wasixnet_guest_t guest;
    const char *trap = guest_memory(runtime, &guest);
    if (trap)
        return trap;
    return trap_if(ctx, udp_session_own_address(ctx->udp, &guest, (uint32_t)slots[0], ctx->trap, sizeof ctx->trap));
}

/* demo.udp_ready(self, timeout_ms) -> ready: "i(ii)". */
static const void *demo_udp_ready(IM3Runtime runtime, IM3ImportContext import, uint64_t *slots, void *base)
{
    (void)import, (void)base;
    guest_ctx_t *ctx = m3_GetUserData(runtime);
    uint32_t ready = 0;
    int trapped = udp_session_ready(ctx->udp, (uint32_t)slots[1], (int32_t)(uint32_t)slots[2], &ready, ctx->trap,
                                    sizeof ctx->trap);
    slots[0] = ready;
    return trap_if(ctx, trapped);
}

/* The guest's cabi_realloc, called from inside a raw function: wasm3 0.5.0 lets an imported
 * function call back into its module (it moves the runtime's stack base above the caller's
 * frame, so the callee's arguments land in this raw function's slots: read them first), and
 * refreshes the caller's memory register when the import returns, so the guest may grow its
 * memory here. After the call the guest's memory is looked up again. */
typedef struct realloc_call {
    IM3Runtime runtime;
    IM3Function cabi_realloc;
    const char *trap; /* the guest trapped inside its realloc */
} realloc_call_t;

static uint64_t call_cabi_realloc(void *env, wasixnet_guest_t *guest, uint64_t old_ptr, uint64_t old_size,
                                  uint64_t align, uint64_t new_size)
{
    realloc_call_t *call = env;
    uint32_t block = 0;
    M3Result result = m3_CallV(call->cabi_realloc, (int32_t)(uint32_t)old_ptr, (int32_t)(uint32_t)old_size,
                               (int32_t)(uint32_t)align, (int32_t)(uint32_t)new_size);
    if (!result)
        result = m3_GetResultsV(call->cabi_realloc, &block);
    if (result) {
        call->trap = trap_printf(call->runtime, "cabi_realloc: %s", result);
        return UINT64_MAX;
    }
    if ((call->trap = guest_memory(call->runtime, guest)))
        return UINT64_MAX;
    return block;
}

/* [method]incoming-datagram-stream.receive(self, max_results, retptr): "v(iIi)". */
static const void *datagram_receive(IM3Runtime runtime, IM3ImportContext import, uint64_t *slots, void *base)
{
    (void)import, (void)base;
    guest_ctx_t *ctx = m3_GetUserData(runtime);
    /* Read before any call back into the guest: its arguments go where these slots are. */
    uint32_t self = (uint32_t)slots[0], retptr = (uint32_t)slots[2];
    uint64_t max_results = slots[1];
    realloc_call_t call = {.runtime = runtime};
    M3Result found = m3_FindFunction(&call.cabi_realloc, runtime, "cabi_realloc");
    if (found)
        return trap_printf(runtime, "receive: the guest exports no cabi_realloc (%s)", found);
    wasixnet_guest_t guest;
    const char *trap = guest_memory(runtime, &guest);
    if (trap)
        return trap;
    int trapped = udp_session_receive(ctx->udp, &guest, self, max_results, retptr, call_cabi_realloc, &call, ctx->trap,
                                      sizeof ctx->trap);
    if (call.trap)
        return call.trap;
    return trap_if(ctx, trapped);
}

const host_import_t UDP_IMPORTS[] = {
    {"demo", "udp_stream", "i(i)", demo_udp_stream},
    {"demo", "udp_own_address", "v(i)", demo_udp_own_address},
    {"demo", "udp_ready", "i(ii)", demo_udp_ready},
    {"wasi:sockets/udp@0.2.0", "[method]outgoing-datagram-stream.check-send", "v(ii)", datagram_check_send},
    {"wasi:sockets/udp@0.2.0", "[method]outgoing-datagram-stream.send", "v(iiii)", datagram_send},
    {"wasi:sockets/udp@0.2.0", "[method]incoming-datagram-stream.receive", "v(iIi)", datagram_receive},
};
const size_t UDP_IMPORTS_COUNT = sizeof UDP_IMPORTS / sizeof UDP_IMPORTS[0];
