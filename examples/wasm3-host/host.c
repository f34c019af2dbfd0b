/*
 * examples/wasm3-host/host.c: a second real WebAssembly runtime, the wasm3 interpreter embedded
 * through its C API, giving its guests the WASIX port_* calls with wasixnet.
 *
 * wasm3 has no typed host functions: an import is a "raw function" that gets the runtime, its
 * userdata and a pointer into wasm3's value stack, where the results' slots come first and the
 * arguments follow, one 64-bit slot each. That is almost exactly the shape of wasixnet's
 * `call(port, guest, const uint64_t *args)`, so the part to copy into a runtime is
 * link_wasixnet() and call_wasixnet(): every entry of wasixnet_imports() is linked in ONE loop
 * to ONE trampoline, with the entry as userdata and the signature built from its letters, and
 * the trampoline hands wasm3's argument slots to the entry's `call` as they are, with a view of
 * linear memory taken on that very call. Nothing in it knows what a route is.
 *
 * Two things wasm3 does differently from wasmtime, and what the host does about them:
 *   - An i32 argument is written into the low half of its slot and the high half is left as it
 *     was. The slots go to wasixnet untouched: wasixnet's entries of wasix_32v1 read only the low
 *     32 bits (wasixnet.h). The host counts the slots it saw with a stale high half, to show that
 *     this run exercised it.
 *   - wasm3 has no memory64, so no guest can have 64-bit pointers: the wasix_64v1 entries are
 *     skipped, saying so. A guest that imports one fails to compile, naming the import.
 *
 * The rest is the demo, the same as the wasmtime host's: a fake clock for the port, the "demo"
 * imports through which a guest narrates and checks, the UDP guest's imports (udp.c, over
 * ../common/udp_session.c), and ../common/story.c, which prints each port call decoded from guest
 * memory. What has no runtime in it lives in ../common/, built by the wasmtime host too.
 *
 *   wasixnet-wasm3-host GUEST.wasm ...    runs each guest's exported `run`; exit 1 on any trap,
 *                                         failed check or missing datagram
 */
#define _POSIX_C_SOURCE 200809L

#include "host.h"

#include "../common/story.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* wasm3's value stack for one guest: its operands and call frames (a C guest's own stack lives in
 * its linear memory). */
#define STACK_BYTES (256 * 1024)
/* The most params and results together one import here may have, far more than wasixnet's take:
 * it sizes the signature string. */
#define MAX_SIGNATURE 32

/* ---------------------------------------------------------------------------------------------
 * Guest memory and traps
 * ------------------------------------------------------------------------------------------- */

const char *trap_printf(IM3Runtime runtime, const char *fmt, ...)
{
    guest_ctx_t *ctx = m3_GetUserData(runtime);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->trap, sizeof ctx->trap, fmt, ap);
    va_end(ap);
    return ctx->trap;
}

const char *guest_memory(IM3Runtime runtime, wasixnet_guest_t *out)
{
    guest_ctx_t *ctx = m3_GetUserData(runtime);
    uint32_t size = 0;
    uint8_t *memory = m3_GetMemory(runtime, &size, 0);
    memset(out, 0, sizeof *out);
    if (!memory)
        return trap_printf(runtime, "the guest has no linear memory");
    ctx->memory_moves += ctx->seen_base && memory != ctx->seen_base; /* only told, never relied on */
    ctx->seen_base = memory;
    out->memory = memory;
    out->memory_size = size;
    out->pointer_size = 4;                  /* wasix_32v1: wasm3 has no memory64 */
    out->layout = WASIXNET_LAYOUT_WASIX_V1; /* guests built with wasix-libc */
    return NULL;
}

/* ---------------------------------------------------------------------------------------------
 * wasixnet's imports: one loop, one trampoline
 * ------------------------------------------------------------------------------------------- */

/* The trampoline behind every wasixnet import. wasm3 has checked the guest's import against the
 * signature it was linked with, so the stack holds len(results) result slots, then one slot per
 * letter of params. */
static const void *call_wasixnet(IM3Runtime runtime, IM3ImportContext context, uint64_t *slots, void *base)
{
    (void)base; /* the memory's base as the call began; guest_memory() asks wasm3 for base and size */
    const wasixnet_import_t *import = context->userdata;
    guest_ctx_t *ctx = m3_GetUserData(runtime);
    uint64_t *results = slots, *args = slots + m3_GetRetCount(context->function);
    wasixnet_guest_t guest;
    story_call_t story;

    const char *trap = guest_memory(runtime, &guest);
    if (trap)
        return trap;
    /* Only counted: the slots go to wasixnet as wasm3 left them. */
    for (size_t i = 0; import->params[i]; i++)
        if (import->params[i] == 'i') {
            ctx->i32_args++;
            ctx->stale_high_halves += (args[i] >> 32) != 0;
        }

    story_before(&story, import, &guest, args);
    wasixnet_errno_t err = import->call(ctx->port, &guest, args);
    story_after(&story, import, &guest, args, err);

    if (import->results[0]) /* the errno, as the import's "i" result */
        results[0] = err;
    return m3Err_none;
}

/* wasm3's signature for an import, from wasixnet's letters: results "i" and params "iiii" make
 * "i(iiii)", no result makes "v(...)". wasm3 uses the same letters ('i' i32, 'I' i64). Returns 0
 * when a letter is not one of those or the signature does not fit. */
static int signature_of(const char *params, const char *results, char *out, size_t size)
{
    size_t np = strlen(params), nr = strlen(results);
    if (strspn(params, "iI") != np || strspn(results, "iI") != nr || np + nr > MAX_SIGNATURE)
        return 0;
    int n = snprintf(out, size, "%s(%s)", nr ? results : "v", params);
    return n > 0 && (size_t)n < size;
}

/* Links one host function if the guest imports it. 1: linked; 0: the guest does not import it;
 * -1: it does, with another signature or under a name wasm3 cannot link (printed). */
static int link_import(IM3Module module, const char *module_name, const char *name, const char *signature,
                       M3RawCall function, const void *userdata)
{
    M3Result result = m3_LinkRawFunctionEx(module, module_name, name, signature, function, userdata);
    if (result == m3Err_none)
        return 1;
    if (result == m3Err_functionLookupFailed)
        return 0;
    fflush(stdout);
    fprintf(stderr, "linking %s.%s as %s: %s\n", module_name, name, signature, result);
    return -1;
}

/* What link_wasixnet() did with wasixnet_imports(). */
typedef struct import_links {
    size_t offered;  /* wasix_32v1 entries, each linked wherever the guest imports it */
    size_t imported; /* of those, the ones the guest imports */
    size_t skipped;  /* wasix_64v1 entries: 64-bit pointers need memory64, which wasm3 lacks */
} import_links_t;

/* Links every wasix_32v1 import wasixnet has, whatever this program was compiled against. The
 * entries themselves are the userdata: the table is static. 0 when one cannot be linked (printed). */
static int link_wasixnet(IM3Module module, import_links_t *links)
{
    size_t count = 0;
    const wasixnet_import_t *imports = wasixnet_imports(&count);
    memset(links, 0, sizeof *links);
    for (size_t i = 0; i < count; i++) {
        const wasixnet_import_t *import = &imports[i];
        char signature[MAX_SIGNATURE + 8];
        if (strcmp(import->module, "wasix_32v1") != 0) {
            links->skipped++;
            continue;
        }
        if (!signature_of(import->params, import->results, signature, sizeof signature)) {
            fprintf(stderr, "%s.%s: cannot express the signature (%s) -> (%s)\n", import->module, import->name,
                    import->params, import->results);
            return 0;
        }
        links->offered++;
        int linked = link_import(module, import->module, import->name, signature, call_wasixnet, import);
        if (linked < 0)
            return 0;
        links->imported += (size_t)linked;
    }
    return 1;
}

/* ---------------------------------------------------------------------------------------------
 * The demo's own imports (module "demo"): the guest narrates, checks, and lets time pass
 * ------------------------------------------------------------------------------------------- */

/* A NUL-terminated string the guest keeps at `off`, at most size - 1 bytes long. */
static const char *guest_text(IM3Runtime runtime, uint32_t off, char *buf, size_t size)
{
    wasixnet_guest_t guest;
    const char *trap = guest_memory(runtime, &guest);
    if (trap)
        return trap;
    if (guest_string(&guest, off, buf, size))
        return NULL;
    return trap_printf(runtime, "the guest's text at %#x is not a string of fewer than %zu bytes", (unsigned)off,
                       size);
}

/* demo.say(text): a line of the guest's story. "v(i)". */
static const void *demo_say(IM3Runtime runtime, IM3ImportContext context, uint64_t *slots, void *base)
{
    (void)context, (void)base;
    char text[200];
    const char *trap = guest_text(runtime, (uint32_t)slots[0], text, sizeof text);
    if (!trap)
        printf("guest: %s\n", text);
    return trap;
}

/* demo.check(ok, text): the guest compared what it got with what it expects. A failed check
 * traps the guest, and the host reports the run as failed. "v(ii)". */
static const void *demo_check(IM3Runtime runtime, IM3ImportContext context, uint64_t *slots, void *base)
{
    (void)context, (void)base;
    guest_ctx_t *ctx = m3_GetUserData(runtime);
    char text[200];
    const char *trap = guest_text(runtime, (uint32_t)slots[1], text, sizeof text);
    if (trap)
        return trap;
    if ((uint32_t)slots[0] == 0) {
        printf("guest check FAILED: %s\n", text);
        return trap_printf(runtime, "guest check failed: %s", text);
    }
    ctx->checks_passed++;
    return m3Err_none;
}

/* demo.wait(seconds): moves the port's clock, as if the guest had slept that long. "v(I)". */
static const void *demo_wait(IM3Runtime runtime, IM3ImportContext context, uint64_t *slots, void *base)
{
    (void)context, (void)base;
    guest_ctx_t *ctx = m3_GetUserData(runtime);
    demo_wait_seconds(&ctx->now, (int64_t)slots[0]);
    return m3Err_none;
}

static const host_import_t DEMO_IMPORTS[] = {
    {"demo", "say", "v(i)", demo_say},
    {"demo", "check", "v(ii)", demo_check},
    {"demo", "wait", "v(I)", demo_wait},
};

static int link_demo(IM3Module module)
{
    const host_import_t *tables[] = {DEMO_IMPORTS, UDP_IMPORTS};
    const size_t sizes[] = {sizeof DEMO_IMPORTS / sizeof DEMO_IMPORTS[0], UDP_IMPORTS_COUNT};
    for (size_t t = 0; t < 2; t++)
        for (size_t i = 0; i < sizes[t]; i++)
            if (link_import(module, tables[t][i].module, tables[t][i].name, tables[t][i].signature,
                            tables[t][i].function, NULL) < 0)
                return 0;
    return 1;
}

/* ---------------------------------------------------------------------------------------------
 * Running one guest
 * ------------------------------------------------------------------------------------------- */

/* The whole file; wasm3 keeps pointing into these bytes for as long as the module lives. */
static uint8_t *read_file(const char *path, uint32_t *len_out)
{
    size_t len = 0;
    uint8_t *bytes = read_whole_file(path, &len);
    if (!bytes)
        return NULL;
    if (len > UINT32_MAX) {
        fprintf(stderr, "%s: too large for wasm3\n", path);
        free(bytes);
        return NULL;
    }
    *len_out = (uint32_t)len;
    return bytes;
}

/* Prints what wasm3 said went wrong: its result, the detail it keeps for that result (which
 * import is missing, for one), and for a trap the wasm functions it went through. */
static void report(IM3Runtime runtime, const char *what, M3Result result)
{
    M3ErrorInfo info;
    m3_GetErrorInfo(runtime, &info);
    fflush(stdout);
    fprintf(stderr, "%s: %s", what, result);
    if (info.result == result && info.message && info.message[0])
        fprintf(stderr, " (%s)", info.message);
    IM3BacktraceInfo backtrace = m3_GetBacktrace(runtime);
    if (backtrace && backtrace->frames) {
        fprintf(stderr, "; wasm stack:");
        for (IM3BacktraceFrame frame = backtrace->frames; frame && frame != M3_BACKTRACE_TRUNCATED; frame = frame->next)
            fprintf(stderr, " %s%s", m3_GetFunctionName(frame->function), frame->next ? " <-" : "");
    }
    fputc('\n', stderr);
}

/* Loads the guest into its runtime with every import, compiles it whole (so a missing import is
 * found now, not when first called), and returns its `run`, or NULL after saying why. */
static IM3Function load_guest(IM3Environment env, IM3Runtime runtime, const char *path, const uint8_t *wasm,
                              uint32_t len)
{
    const guest_ctx_t *ctx = m3_GetUserData(runtime);
    import_links_t links;
    IM3Module module = NULL;
    IM3Function run = NULL;
    M3Result result = m3_ParseModule(env, &module, wasm, len);
    if (result) {
        report(runtime, path, result);
        return NULL;
    }
    result = m3_LoadModule(runtime, module);
    if (result) {
        m3_FreeModule(module); /* still the host's: only a loaded module belongs to the runtime */
        report(runtime, path, result);
        return NULL;
    }
    if (!link_wasixnet(module, &links) || !link_demo(module))
        return NULL;
    printf("host: %zu wasixnet imports linked (wasixnet_imports(), wasix_32v1), %zu taken by the guest, "
           "%zu of wasix_64v1 skipped: wasm3 has no memory64; port clock at t=%" PRIu64 "s\n",
           links.offered, links.imported, links.skipped, ctx->now / SEC);
    if ((result = m3_CompileModule(module))) {
        report(runtime, path, result);
        return NULL;
    }
    if ((result = m3_FindFunction(&run, runtime, "run"))) {
        fprintf(stderr, "%s exports no function \"run\": %s\n", path, result);
        return NULL;
    }
    if (m3_GetArgCount(run) != 0 || m3_GetRetCount(run) != 0) {
        fprintf(stderr, "%s: \"run\" must take and return nothing\n", path);
        return NULL;
    }
    return run;
}

/* Runs the guest's `run` in a runtime of its own, and checks the outcome. */
static int run_guest(IM3Environment env, const char *path)
{
    printf("\n== %s ==\n", path);
    uint32_t len = 0;
    uint8_t *wasm = read_file(path, &len);
    if (!wasm)
        return 0;

    /* The guest's own network interface, on a clock the demo moves. */
    guest_ctx_t ctx = {.now = 1000 * SEC};
    ctx.port = demo_port_new(&ctx.now);

    IM3Runtime runtime = m3_NewRuntime(env, STACK_BYTES, &ctx);
    if (!runtime) {
        fprintf(stderr, "m3_NewRuntime: out of memory\n");
        exit(1);
    }
    int ok = 0;
    IM3Function run = load_guest(env, runtime, path, wasm, len);
    if (run) {
        M3Result result = m3_CallV(run);
        if (result)
            report(runtime, "the guest trapped", result);
        else
            ok = ctx.udp == NULL || udp_session_finish(ctx.udp) == 0;
    }
    if (ok) {
        if (ctx.memory_moves)
            printf("host: the guest's memory moved %u time(s) under it (memory.grow); every call saw it where it was\n",
                   ctx.memory_moves);
        if (ctx.i32_args)
            printf("host: %u of the %u i32 arguments wasm3 handed to wasixnet had a stale high half in their slot, "
                   "passed on as they were\n",
                   ctx.stale_high_halves, ctx.i32_args);
        printf("host: %s ran to the end, %u checks held\n", path, ctx.checks_passed);
    }

    m3_FreeRuntime(runtime); /* and the module it loaded */
    free(wasm);
    udp_session_free(ctx.udp);
    wasixnet_port_free(ctx.port);
    return ok;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s GUEST.wasm ...\n", argv[0]);
        return 2;
    }
    if (!demo_abi_matches())
        return 1;
    setvbuf(stdout, NULL, _IOLBF, 0); /* keep the story in order with the messages on stderr */
    printf("wasixnet %s in wasm3 %s (C API, raw functions): WebAssembly guests on their own network interface\n",
           wasixnet_version(), M3_VERSION);

    IM3Environment env = m3_NewEnvironment();
    if (!env) {
        fprintf(stderr, "m3_NewEnvironment: out of memory\n");
        return 1;
    }
    int failed = 0;
    for (int i = 1; i < argc; i++)
        failed += !run_guest(env, argv[i]);
    m3_FreeEnvironment(env);

    if (failed) {
        printf("\nwasm3 host FAILED: %d of %d guests\n", failed, argc - 1);
        return 1;
    }
    printf("\nwasm3 host OK: %d guests\n", argc - 1);
    return 0;
}
