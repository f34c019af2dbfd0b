/*
 * examples/wasmtime-host/host.c: a real WebAssembly runtime, wasmtime embedded through its C API,
 * giving its guests the WASIX port_* calls with wasixnet.
 *
 * The part to copy into a runtime is register_wasixnet() and call_wasixnet(): every entry of
 * wasixnet_imports() becomes a host function in ONE loop, from the entry's module, name and wasm
 * signature, and every call hands the guest's own arguments, widened to uint64_t, to the entry's
 * `call` with a view of the caller's linear memory taken on that very call. Nothing in it knows
 * what a route is: a later wasixnet with more entries needs no change here.
 *
 * The rest is the demo: a fake clock for the port (so route lifetimes play out at once), a few
 * "demo" imports through which a guest narrates and checks what it saw, the UDP guest's imports
 * (udp.c, over ../common/udp_session.c), and ../common/story.c, which prints each port call decoded
 * from guest memory. What has no runtime in it lives in ../common/, built by the wasm3 host too.
 *
 *   wasixnet-host GUEST.wasm|GUEST.wat ...    runs each guest's exported `run`; exit 1 on any trap,
 *                                           failed check or missing datagram
 */
#define _POSIX_C_SOURCE 200809L

#include "host.h"

#include "../common/story.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------------
 * Small wasmtime helpers
 * ------------------------------------------------------------------------------------------- */

/* Prints what went wrong (an error or a trap: wasmtime reports either) and releases it. */
static void report(const char *what, wasmtime_error_t *error, wasm_trap_t *trap)
{
    wasm_byte_vec_t message = {0, NULL};
    if (error) {
        wasmtime_error_message(error, &message);
        wasmtime_error_delete(error);
    } else if (trap) {
        wasm_trap_message(trap, &message);
        wasm_trap_delete(trap);
    }
    fflush(stdout);
    fprintf(stderr, "%s: %.*s\n", what, (int)message.size, message.data ? (const char *)message.data : "");
    wasm_byte_vec_delete(&message);
}

/* For the host's own setup, where a failure is a bug in this program or its environment. */
static void check_setup(const char *what, wasmtime_error_t *error)
{
    if (error) {
        report(what, error, NULL);
        exit(1);
    }
}

wasm_trap_t *trap_printf(const char *fmt, ...)
{
    char message[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    return wasmtime_trap_new(message, strlen(message));
}

/* wasixnet's letters for wasm value types: 'i' i32, 'I' i64. */
static int known_letters(const char *letters)
{
    size_t n = strlen(letters);
    return n <= HOST_MAX_PARAMS && strspn(letters, "iI") == n;
}

static void valtypes(const char *letters, wasm_valtype_vec_t *out)
{
    wasm_valtype_t *types[HOST_MAX_PARAMS];
    size_t n = strlen(letters);
    for (size_t i = 0; i < n; i++)
        types[i] = wasm_valtype_new(letters[i] == 'i' ? WASM_I32 : WASM_I64);
    wasm_valtype_vec_new(out, n, types);
}

/* A wasm function type from letters; NULL when a letter is not one of them. */
static wasm_functype_t *functype(const char *params, const char *results)
{
    wasm_valtype_vec_t p, r;
    if (!known_letters(params) || !known_letters(results))
        return NULL;
    valtypes(params, &p);
    valtypes(results, &r);
    return wasm_functype_new(&p, &r);
}

static void define(wasmtime_linker_t *linker, const char *module, const char *name, const char *params,
                   const char *results, wasmtime_func_callback_t callback, void *env)
{
    char what[160];
    snprintf(what, sizeof what, "defining %s.%s", module, name);
    wasm_functype_t *type = functype(params, results);
    if (!type) {
        fprintf(stderr, "%s: cannot express the signature (%s) -> (%s)\n", what, params, results);
        exit(1);
    }
    check_setup(what, wasmtime_linker_define_func(linker, module, strlen(module), name, strlen(name), type,
                                                  callback, env, NULL));
    wasm_functype_delete(type);
}

/* ---------------------------------------------------------------------------------------------
 * Guest memory
 * ------------------------------------------------------------------------------------------- */

wasm_trap_t *guest_memory(wasmtime_caller_t *caller, uint8_t pointer_size, wasixnet_guest_t *out)
{
    wasmtime_extern_t item;
    if (!wasmtime_caller_export_get(caller, "memory", strlen("memory"), &item))
        return trap_printf("the guest exports no \"memory\"");
    if (item.kind != WASMTIME_EXTERN_MEMORY) {
        wasmtime_extern_delete(&item);
        return trap_printf("the guest's \"memory\" export is not a memory");
    }
    wasmtime_context_t *context = wasmtime_caller_context(caller);
    out->memory = wasmtime_memory_data(context, &item.of.memory);
    out->memory_size = wasmtime_memory_data_size(context, &item.of.memory);
    out->pointer_size = pointer_size;
    out->layout = WASIXNET_LAYOUT_WASIX_V1; /* guests built with wasix-libc */
    wasmtime_extern_delete(&item);
    return NULL;
}

/* ---------------------------------------------------------------------------------------------
 * wasixnet's imports: one loop, one callback
 * ------------------------------------------------------------------------------------------- */

/* What a registered import needs when the guest calls it. */
typedef struct wasixnet_binding {
    const wasixnet_import_t *import;
    guest_ctx_t *ctx;
    uint8_t pointer_size; /* the width of the module's pointers: 4 (wasix_32v1) or 8 (wasix_64v1) */
} wasixnet_binding_t;

static wasm_trap_t *call_wasixnet(void *env, wasmtime_caller_t *caller, const wasmtime_val_t *args, size_t nargs,
                                  wasmtime_val_t *results, size_t nresults)
{
    const wasixnet_binding_t *binding = env;
    uint64_t wide[HOST_MAX_PARAMS];
    wasixnet_guest_t guest;
    story_call_t story;

    wasm_trap_t *trap = guest_memory(caller, binding->pointer_size, &guest);
    if (trap)
        return trap;
    /* wasmtime has checked the arguments against the registered signature, so nargs is the
     * length of `params` and each kind is the letter's. An i32 offset is unsigned: zero-extend. */
    for (size_t i = 0; i < nargs; i++)
        wide[i] = args[i].kind == WASMTIME_I64 ? (uint64_t)args[i].of.i64 : (uint32_t)args[i].of.i32;

    story_before(&story, binding->import, &guest, wide);
    wasixnet_errno_t err = binding->import->call(binding->ctx->port, &guest, wide);
    story_after(&story, binding->import, &guest, wide, err);

    if (nresults == 1) { /* the errno, as the import's "i" result */
        results[0].kind = WASMTIME_I32;
        results[0].of.i32 = err;
    }
    return NULL;
}

/* Defines every import wasixnet has, whatever this program was compiled against. The returned
 * array holds each callback's env: free it after the linker and the store. */
static wasixnet_binding_t *register_wasixnet(wasmtime_linker_t *linker, guest_ctx_t *ctx, size_t *count)
{
    const wasixnet_import_t *imports = wasixnet_imports(count);
    wasixnet_binding_t *bindings = calloc(*count, sizeof *bindings);
    if (!bindings)
        abort();
    for (size_t i = 0; i < *count; i++) {
        const wasixnet_import_t *import = &imports[i];
        bindings[i].import = import;
        bindings[i].ctx = ctx;
        bindings[i].pointer_size = strcmp(import->module, "wasix_64v1") == 0 ? 8 : 4;
        define(linker, import->module, import->name, import->params, import->results, call_wasixnet, &bindings[i]);
    }
    return bindings;
}

/* ---------------------------------------------------------------------------------------------
 * The demo's own imports (module "demo"): the guest narrates, checks, and lets time pass
 * ------------------------------------------------------------------------------------------- */

/* A NUL-terminated string the guest keeps at `off`, at most size - 1 bytes long. */
static wasm_trap_t *guest_text(wasmtime_caller_t *caller, const wasmtime_val_t *off, char *buf, size_t size)
{
    wasixnet_guest_t guest;
    wasm_trap_t *trap = guest_memory(caller, 4, &guest);
    if (trap)
        return trap;
    if (guest_string(&guest, (uint32_t)off->of.i32, buf, size))
        return NULL;
    return trap_printf("the guest's text at %#x is not a string of fewer than %zu bytes", (unsigned)off->of.i32, size);
}

/* demo.say(text): a line of the guest's story. */
static wasm_trap_t *demo_say(void *env, wasmtime_caller_t *caller, const wasmtime_val_t *args, size_t nargs,
                             wasmtime_val_t *results, size_t nresults)
{
    (void)env, (void)nargs, (void)results, (void)nresults;
    char text[200];
    wasm_trap_t *trap = guest_text(caller, &args[0], text, sizeof text);
    if (!trap)
        printf("guest: %s\n", text);
    return trap;
}

/* demo.check(ok, text): the guest compared what it got with what it expects. A failed check
 * traps the guest, and the host reports the run as failed. */
static wasm_trap_t *demo_check(void *env, wasmtime_caller_t *caller, const wasmtime_val_t *args, size_t nargs,
                               wasmtime_val_t *results, size_t nresults)
{
    (void)nargs, (void)results, (void)nresults;
    guest_ctx_t *ctx = env;
    char text[200];
    wasm_trap_t *trap = guest_text(caller, &args[1], text, sizeof text);
    if (trap)
        return trap;
    if (args[0].of.i32 == 0) {
        printf("guest check FAILED: %s\n", text);
        return trap_printf("guest check failed: %s", text);
    }
    ctx->checks_passed++;
    return NULL;
}

/* demo.wait(seconds): moves the port's clock, as if the guest had slept that long. */
static wasm_trap_t *demo_wait(void *env, wasmtime_caller_t *caller, const wasmtime_val_t *args, size_t nargs,
                              wasmtime_val_t *results, size_t nresults)
{
    (void)caller, (void)nargs, (void)results, (void)nresults;
    guest_ctx_t *ctx = env;
    demo_wait_seconds(&ctx->now, args[0].of.i64);
    return NULL;
}

static const host_import_t DEMO_IMPORTS[] = {
    {"demo", "say", "i", "", demo_say},
    {"demo", "check", "ii", "", demo_check},
    {"demo", "wait", "I", "", demo_wait},
};

/* ---------------------------------------------------------------------------------------------
 * Running one guest
 * ------------------------------------------------------------------------------------------- */

/* The guest's module as wasm bytes: a .wat file is compiled with wasmtime's own wat2wasm. */
static int load_module(wasm_engine_t *engine, const char *path, wasmtime_module_t **out)
{
    size_t len = 0;
    uint8_t *bytes = read_whole_file(path, &len);
    if (!bytes)
        return 0;

    wasm_byte_vec_t wasm = {len, bytes};
    size_t path_len = strlen(path);
    wasmtime_error_t *error = NULL;
    if (path_len > 4 && strcmp(path + path_len - 4, ".wat") == 0)
        error = wasmtime_wat2wasm((const char *)bytes, len, &wasm);
    if (!error)
        error = wasmtime_module_new(engine, wasm.data, wasm.size, out);
    if (wasm.data != bytes)
        wasm_byte_vec_delete(&wasm);
    free(bytes);
    if (error)
        report(path, error, NULL);
    return error == NULL;
}

/* Instantiates the guest with every import, calls its `run`, and checks the outcome. */
static int run_guest(wasm_engine_t *engine, const char *path)
{
    wasmtime_module_t *module = NULL;
    printf("\n== %s ==\n", path);
    if (!load_module(engine, path, &module))
        return 0;

    /* The guest's own network interface, on a clock the demo moves. */
    guest_ctx_t ctx = {.now = 1000 * SEC};
    ctx.port = demo_port_new(&ctx.now);

    wasmtime_store_t *store = wasmtime_store_new(engine, NULL, NULL);
    wasmtime_context_t *context = wasmtime_store_context(store);
    wasmtime_linker_t *linker = wasmtime_linker_new(engine);
    size_t nwasixnet = 0;
    wasixnet_binding_t *bindings = register_wasixnet(linker, &ctx, &nwasixnet);
    const host_import_t *tables[] = {DEMO_IMPORTS, UDP_IMPORTS};
    const size_t sizes[] = {sizeof DEMO_IMPORTS / sizeof DEMO_IMPORTS[0], UDP_IMPORTS_COUNT};
    for (size_t t = 0; t < 2; t++)
        for (size_t i = 0; i < sizes[t]; i++)
            define(linker, tables[t][i].module, tables[t][i].name, tables[t][i].params, tables[t][i].results,
                   tables[t][i].callback, &ctx);
    printf("host: %zu wasixnet imports registered (wasixnet_imports()), port clock at t=%" PRIu64 "s\n", nwasixnet,
           ctx.now / SEC);

    int ok = 0;
    wasmtime_instance_t instance;
    wasm_trap_t *trap = NULL;
    wasmtime_error_t *error = wasmtime_linker_instantiate(linker, context, module, &instance, &trap);
    wasmtime_extern_t run;
    if (error || trap) {
        report("instantiate", error, trap);
    } else if (!wasmtime_instance_export_get(context, &instance, "run", 3, &run) || run.kind != WASMTIME_EXTERN_FUNC) {
        fprintf(stderr, "%s exports no function \"run\"\n", path);
    } else {
        error = wasmtime_func_call(context, &run.of.func, NULL, 0, NULL, 0, &trap);
        if (error || trap)
            report("the guest trapped", error, trap);
        else
            ok = ctx.udp == NULL || udp_session_finish(ctx.udp) == 0;
    }
    if (ok)
        printf("host: %s ran to the end, %u checks held\n", path, ctx.checks_passed);

    wasmtime_linker_delete(linker);
    wasmtime_store_delete(store);
    wasmtime_module_delete(module);
    free(bindings);
    udp_session_free(ctx.udp);
    wasixnet_port_free(ctx.port);
    return ok;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s GUEST.wasm|GUEST.wat ...\n", argv[0]);
        return 2;
    }
    if (!demo_abi_matches())
        return 1;
    setvbuf(stdout, NULL, _IOLBF, 0); /* keep the story in order with wasmtime's messages on stderr */
    printf("wasixnet %s in wasmtime %s (C API): WebAssembly guests on their own network interface\n",
           wasixnet_version(), WASMTIME_PINNED_VERSION);

    wasm_engine_t *engine = wasm_engine_new();
    int failed = 0;
    for (int i = 1; i < argc; i++)
        failed += !run_guest(engine, argv[i]);
    wasm_engine_delete(engine);

    if (failed) {
        printf("\nwasmtime host FAILED: %d of %d guests\n", failed, argc - 1);
        return 1;
    }
    printf("\nwasmtime host OK: %d guests\n", argc - 1);
    return 0;
}
