/*
 * udp.c: the UDP guest's imports as wasmtime host functions. Each takes the caller's memory as it
 * is on this call and the guest's arguments, and hands them to ../common/udp_session.c, which does
 * the work with no runtime in it: the guest's socket, wasixnet_guest_udp_send and
 * wasixnet_guest_udp_receive on guest memory, the return areas, and the loopback receiver that
 * checks what the guest sent (udp_session.h says what each import does and why).
 *
 * What stays here is wasmtime's: reading the arguments, calling the guest's exported cabi_realloc
 * through wasmtime when wasixnet_guest_udp_receive allocates, and turning the session's reason to
 * trap into a wasmtime trap.
 */
#include "host.h"

#include <string.h>

/* The session's reason to trap (written to ctx->why), as the host function's result. */
static wasm_trap_t *trap_if(guest_ctx_t *ctx, int trapped)
{
    return trapped ? trap_printf("%s", ctx->why) : NULL;
}

/* demo.udp_stream(peer_ptr) -> handle: opens the guest's socket and the host's receiver. */
static wasm_trap_t *demo_udp_stream(void *env, wasmtime_caller_t *caller, const wasmtime_val_t *args, size_t nargs,
                                    wasmtime_val_t *results, size_t nresults)
{
    (void)nargs, (void)nresults;
    guest_ctx_t *ctx = env;
    uint32_t handle = 0;
    wasixnet_guest_t guest;
    wasm_trap_t *trap = guest_memory(caller, 4, &guest);
    if (trap)
        return trap;
    int trapped =
        udp_session_open(&ctx->udp, ctx->port, &guest, (uint32_t)args[0].of.i32, &handle, ctx->why, sizeof ctx->why);
    results[0].kind = WASMTIME_I32;
    results[0].of.i32 = (int32_t)handle;
    return trap_if(ctx, trapped);
}

/* [method]outgoing-datagram-stream.check-send(self, retptr): result<u64, error-code>. */
static wasm_trap_t *datagram_check_send(void *env, wasmtime_caller_t *caller, const wasmtime_val_t *args, size_t nargs,
                                        wasmtime_val_t *results, size_t nresults)
{
    (void)nargs, (void)results, (void)nresults;
    guest_ctx_t *ctx = env;
    wasixnet_guest_t guest;
    wasm_trap_t *trap = guest_memory(caller, 4, &guest);
    return trap ? trap
                : trap_if(ctx, udp_session_check_send(ctx->udp, &guest, (uint32_t)args[0].of.i32,
                                                      (uint32_t)args[1].of.i32, ctx->why, sizeof ctx->why));
}

/* [method]outgoing-datagram-stream.send(self, list_ptr, list_len, retptr): result<u64, error-code>. */
static wasm_trap_t *datagram_send(void *env, wasmtime_caller_t *caller, const wasmtime_val_t *args, size_t nargs,
                                  wasmtime_val_t *results, size_t nresults)
{
    (void)nargs, (void)results, (void)nresults;
    guest_ctx_t *ctx = env;
    wasixnet_guest_t guest;
    wasm_trap_t *trap = guest_memory(caller, 4, &guest);
    return trap ? trap
                : trap_if(ctx, udp_session_send(ctx->udp, &guest, (uint32_t)args[0].of.i32, (uint32_t)args[1].of.i32,
                                                (uint32_t)args[2].of.i32, (uint32_t)args[3].of.i32, ctx->why,
                                                sizeof ctx->why));
}

/* demo.udp_own_address(ptr): the guest's own socket address, for a guest that sends to itself. */
static wasm_trap_t *demo_udp_own_address(void *env, wasmtime_caller_t *caller, const wasmtime_val_t *args,
                                         size_t nargs, wasmtime_val_t *results, size_t nresults)
{
    (void)nargs, (void)results, (void)nresults;
    guest_ctx_t *ctx = env;
    wasixnet_guest_t guest;
    wasm_trap_t *trap = guest_memory(caller, 4, &guest);
    return trap ? trap
                : trap_if(ctx, udp_session_own_address(ctx->udp, &guest, (uint32_t)args[0].of.i32, ctx->why,
                                                       sizeof ctx->why));
}

/* demo.udp_ready(self, timeout_ms) -> 1 when receive has something to hand out. */
static wasm_trap_t *demo_udp_ready(void *env, wasmtime_caller_t *caller, const wasmtime_val_t *args, size_t nargs,
                                   wasmtime_val_t *results, size_t nresults)
{
    (void)caller, (void)nargs, (void)nresults;
    guest_ctx_t *ctx = env;
    uint32_t ready = 0;
    int trapped =
        udp_session_ready(ctx->udp, (uint32_t)args[0].of.i32, args[1].of.i32, &ready, ctx->why, sizeof ctx->why);
    results[0].kind = WASMTIME_I32;
    results[0].of.i32 = (int32_t)ready;
    return trap_if(ctx, trapped);
}

/* The guest's cabi_realloc, as wasixnet_guest_udp_receive calls it: through wasmtime, then the
 * guest's memory looked up again, since the guest may have grown (and so moved) it. */
typedef struct realloc_call {
    wasmtime_caller_t *caller;
    wasmtime_func_t cabi_realloc;
    wasm_trap_t *trap; /* the guest trapped inside its realloc */
} realloc_call_t;

static uint64_t call_cabi_realloc(void *env, wasixnet_guest_t *guest, uint64_t old_ptr, uint64_t old_size,
                                  uint64_t align, uint64_t new_size)
{
    realloc_call_t *call = env;
    const uint64_t values[4] = {old_ptr, old_size, align, new_size};
    wasmtime_val_t args[4], result;
    for (int i = 0; i < 4; i++) {
        args[i].kind = WASMTIME_I32;
        args[i].of.i32 = (int32_t)(uint32_t)values[i];
    }
    wasm_trap_t *trap = NULL;
    wasmtime_error_t *error = wasmtime_func_call(wasmtime_caller_context(call->caller), &call->cabi_realloc, args, 4,
                                                 &result, 1, &trap);
    if (error) {
        wasm_byte_vec_t message;
        wasmtime_error_message(error, &message);
        trap = trap_printf("cabi_realloc: %.*s", (int)message.size, message.data);
        wasm_byte_vec_delete(&message);
        wasmtime_error_delete(error);
    }
    if (!trap)
        trap = guest_memory(call->caller, 4, guest);
    if (trap) {
        call->trap = trap;
        return UINT64_MAX;
    }
    return (uint32_t)result.of.i32;
}

/* [method]incoming-datagram-stream.receive(self, max_results: u64, retptr): wasixnet lowers
 * result<list<incoming-datagram>, error-code> at retptr itself, allocating through the guest's
 * cabi_realloc. */
static wasm_trap_t *datagram_receive(void *env, wasmtime_caller_t *caller, const wasmtime_val_t *args, size_t nargs,
                                     wasmtime_val_t *results, size_t nresults)
{
    (void)nargs, (void)results, (void)nresults;
    guest_ctx_t *ctx = env;
    wasixnet_guest_t guest;
    wasm_trap_t *trap = guest_memory(caller, 4, &guest);
    if (trap)
        return trap;
    realloc_call_t call = {.caller = caller};
    wasmtime_extern_t item;
    if (!wasmtime_caller_export_get(caller, "cabi_realloc", strlen("cabi_realloc"), &item))
        return trap_printf("receive: the guest exports no cabi_realloc");
    if (item.kind != WASMTIME_EXTERN_FUNC) {
        wasmtime_extern_delete(&item);
        return trap_printf("receive: the guest's cabi_realloc is not a function");
    }
    call.cabi_realloc = item.of.func;
    int trapped = udp_session_receive(ctx->udp, &guest, (uint32_t)args[0].of.i32, (uint64_t)args[1].of.i64,
                                      (uint32_t)args[2].of.i32, call_cabi_realloc, &call, ctx->why,
                                      sizeof ctx->why);
    wasmtime_extern_delete(&item);
    if (call.trap)
        return call.trap;
    return trap_if(ctx, trapped);
}

const host_import_t UDP_IMPORTS[] = {
    {"demo", "udp_stream", "i", "i", demo_udp_stream},
    {"demo", "udp_own_address", "i", "", demo_udp_own_address},
    {"demo", "udp_ready", "ii", "i", demo_udp_ready},
    {"wasi:sockets/udp@0.2.0", "[method]outgoing-datagram-stream.check-send", "ii", "", datagram_check_send},
    {"wasi:sockets/udp@0.2.0", "[method]outgoing-datagram-stream.send", "iiii", "", datagram_send},
    {"wasi:sockets/udp@0.2.0", "[method]incoming-datagram-stream.receive", "iIi", "", datagram_receive},
};
const size_t UDP_IMPORTS_COUNT = sizeof UDP_IMPORTS / sizeof UDP_IMPORTS[0];
