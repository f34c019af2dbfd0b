/*
 * harness.c — reporting, the function table and the one place that calls into the library
 * (declared in harness.h).
 */
#include "harness.h"

#include <dlfcn.h>
#include <stdarg.h>

/* ============================================================================================
 * Reporting
 * ========================================================================================== */

unsigned n_pass, n_fail;
const char *via = "";         /* "plugin table: " while the plugin table drives the calls */
const char *section = "startup";
char context[256];

void set_context(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(context, sizeof context, fmt, ap);
    va_end(ap);
}

void clear_context(void) { context[0] = '\0'; }

bool report(where_t w, bool ok, const char *fmt, ...)
{
    if (ok) {
        n_pass++;
        return true;
    }
    n_fail++;
    printf("%s:%d: FAIL [%s%s%s%s] ", w.file, w.line, via, section, context[0] ? ": " : "", context);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    return false;
}

_Noreturn void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("test bug: ", stdout);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n%u passed, %u failed\n", n_pass, n_fail + 1);
    exit(1);
}

#define ERRNO_NAME_(number, name) [number] = #name,
const char *const errno_names[WASIXNET_ERRNO_COUNT] = { WASIXNET_ERRNO_MAP(ERRNO_NAME_) };
#undef ERRNO_NAME_

static const char *ename(unsigned e) { return e < WASIXNET_ERRNO_COUNT ? errno_names[e] : "not an errno"; }

bool check_true(where_t w, const char *what, bool ok)
{
    return report(w, ok, "%s: expected true, got false", what);
}

bool check_u64(where_t w, const char *what, uint64_t expected, uint64_t got)
{
    return report(w, expected == got, "%s: expected %" PRIu64 " (0x%" PRIx64 "), got %" PRIu64 " (0x%" PRIx64 ")",
                  what, expected, expected, got, got);
}

bool check_err(where_t w, const char *what, unsigned expected, unsigned got)
{
    return report(w, expected == got, "%s: expected errno %u (%s), got %u (%s)", what, expected, ename(expected), got,
                  ename(got));
}

bool check_str(where_t w, const char *what, const char *expected, const char *got)
{
    return report(w, got != NULL && strcmp(expected, got) == 0, "%s: expected \"%s\", got %s%s%s", what, expected,
                  got ? "\"" : "", got ? got : "NULL", got ? "\"" : "");
}

bool check_mem(where_t w, const char *what, const void *expected, const void *got, size_t n)
{
    const uint8_t *e = expected, *g = got;
    size_t i = 0;
    while (i < n && e[i] == g[i])
        i++;
    if (i == n)
        return report(w, true, "");
    char eh[64] = "", gh[64] = "";
    for (size_t k = i; k < n && k < i + 8; k++) {
        snprintf(eh + strlen(eh), sizeof eh - strlen(eh), "%02x ", e[k]);
        snprintf(gh + strlen(gh), sizeof gh - strlen(gh), "%02x ", g[k]);
    }
    return report(w, false, "%s: %zu bytes differ first at byte %zu: expected %s..., got %s...", what, n, i, eh, gh);
}

bool check_filled(where_t w, const char *what, const uint8_t *p, uint8_t byte, size_t n)
{
    size_t i = 0;
    while (i < n && p[i] == byte)
        i++;
    return report(w, i == n, "%s: expected every byte %02x, byte %zu is %02x", what, byte, i, i < n ? p[i] : 0);
}

/* ============================================================================================
 * The library's functions (the table in harness.h), called through ffi_call
 * ========================================================================================== */

/* A type's signature letter (see harness.h), chosen by _Generic on a function-pointer type so
 * that `void` (no parameters, or no result) has one too. Any type not listed is a pointer. */
#define RESULT_LETTER_(type)                                                                      \
    _Generic((type(*)(void))0, void (*)(void): 'v', uint8_t (*)(void): 'b', uint16_t (*)(void): 'h', \
             int32_t (*)(void): 'i', uint32_t (*)(void): 'w', uint64_t (*)(void): 'q', default: 'p')
#define PARAMETER_LETTER_(type)                                                                   \
    _Generic((void (*)(type))0, void (*)(void): '\0', void (*)(uint8_t): 'b', void (*)(uint16_t): 'h', \
             void (*)(int32_t): 'i', void (*)(uint32_t): 'w', void (*)(uint64_t): 'q', default: 'p')
/* PARAMETER_LETTERS_(t1, t2, ...): one letter per type, for up to 8 parameters. */
#define PARAMETER_LETTERS_(...) PICK_9TH_(__VA_ARGS__, PL8_, PL7_, PL6_, PL5_, PL4_, PL3_, PL2_, PL1_)(__VA_ARGS__)
#define PICK_9TH_(a1, a2, a3, a4, a5, a6, a7, a8, n, ...) n
#define PL1_(t) PARAMETER_LETTER_(t)
#define PL2_(t, ...) PARAMETER_LETTER_(t), PL1_(__VA_ARGS__)
#define PL3_(t, ...) PARAMETER_LETTER_(t), PL2_(__VA_ARGS__)
#define PL4_(t, ...) PARAMETER_LETTER_(t), PL3_(__VA_ARGS__)
#define PL5_(t, ...) PARAMETER_LETTER_(t), PL4_(__VA_ARGS__)
#define PL6_(t, ...) PARAMETER_LETTER_(t), PL5_(__VA_ARGS__)
#define PL7_(t, ...) PARAMETER_LETTER_(t), PL6_(__VA_ARGS__)
#define PL8_(t, ...) PARAMETER_LETTER_(t), PL7_(__VA_ARGS__)
#define SIGNATURE_(ret, params) ((const char[]){ RESULT_LETTER_(ret), PARAMETER_LETTERS_ params, '\0' })

#define FN_ROW_(ret, name, params) { .field = #name, .symbol = "wasixnet_" #name, .sig = SIGNATURE_(ret, params) },
fn_t fns[F_COUNT] = {
    { .field = "abi_version_fn", .symbol = "wasixnet_abi_version", .sig = SIGNATURE_(uint32_t, (void)) },
    WASIXNET_PLUGIN_FUNCTIONS(FN_ROW_)
    { .field = "plugin_v1", .symbol = "wasixnet_plugin_v1", .sig = "p" },
    { .field = "host_fn", .symbol = NULL, .sig = SIGNATURE_(wasixnet_errno_t, (wasixnet_port_t *, const wasixnet_guest_t *, const uint64_t *)) },
};
#undef FN_ROW_

void *active[F_COUNT]; /* the function pointers calls go to: dlsym's, or the plugin table's */

static ffi_type *sig_type(char c)
{
    switch (c) {
    case 'v': return &ffi_type_void;
    case 'p': return &ffi_type_pointer;
    case 'b': return &ffi_type_uint8;
    case 'h': return &ffi_type_uint16;
    case 'i': return &ffi_type_sint32;
    case 'w': return &ffi_type_uint32;
    case 'q': return &ffi_type_uint64;
    default: die("bad signature letter '%c'", c);
    }
}

/* The one place that calls into the library. libffi 3.4 rewrites avalue[] entries of by-value
 * structs > 16 bytes, so it always gets a fresh copy. */
static ret_t call_fn(int id, void *fn, void **avalues)
{
    fn_t *f = &fns[id];
    void *scratch[8];
    ret_t r;
    memset(&r, 0, sizeof r);
    if (f->nargs > 0 && avalues != NULL) /* NULL only for calls without arguments */
        memcpy(scratch, avalues, f->nargs * sizeof *avalues);
    ffi_call(&f->cif, FFI_FN(fn), &r, scratch);
    return r;
}

ret_t call_id(int id, void **avalues)
{
    if (active[id] == NULL) { /* reported at load; answer something no check expects */
        ret_t r;
        memset(&r, 0, sizeof r);
        if (fns[id].sig[0] == 'h')
            r.i = 0xFFFF;
        else if (fns[id].sig[0] == 'i')
            r.i = (ffi_arg)(uint32_t)INT32_MIN;
        else if (fns[id].sig[0] == 'b')
            r.i = 0xEE;
        return r;
    }
    return call_fn(id, active[id], avalues);
}

wasixnet_errno_t E(ret_t r) { return (wasixnet_errno_t)r.i; }

uint32_t w_abi_version(void) { return (uint32_t)call_id(F_abi_version_fn, NULL).i; }
const char *w_version(void) { return call_id(F_version, NULL).p; }
const char *w_errno_name(wasixnet_errno_t e) { return call_id(F_errno_name, AV(&e)).p; }
const wasixnet_import_t *w_imports(size_t *count) { return call_id(F_imports, AV(&count)).p; }
const uint8_t *w_plugin(void) { return call_id(F_plugin_v1, NULL).p; }
wasixnet_errno_t w_port_new(const wasixnet_port_config_t *c, wasixnet_port_t **out)
{
    return E(call_id(F_port_new, AV(&c, &out)));
}
void w_port_free(wasixnet_port_t *p) { call_id(F_port_free, AV(&p)); }
wasixnet_errno_t w_bridge(wasixnet_port_t *p, const char *net, size_t net_len, const char *tok, size_t tok_len,
                          uint8_t security)
{
    return E(call_id(F_port_bridge, AV(&p, &net, &net_len, &tok, &tok_len, &security)));
}
wasixnet_errno_t w_port_only(int id, wasixnet_port_t *p) { return E(call_id(id, AV(&p))); }
wasixnet_errno_t w_addr_add(wasixnet_port_t *p, const wasixnet_addr_cidr_t *c)
{
    return E(call_id(F_port_addr_add, AV(&p, &c)));
}
wasixnet_errno_t w_addr_remove(wasixnet_port_t *p, const wasixnet_addr_t *a)
{
    return E(call_id(F_port_addr_remove, AV(&p, &a)));
}
wasixnet_errno_t w_addr_list(wasixnet_port_t *p, wasixnet_addr_cidr_t *buf, uint32_t *n)
{
    return E(call_id(F_port_addr_list, AV(&p, &buf, &n)));
}
wasixnet_errno_t w_mac(wasixnet_port_t *p, wasixnet_hardware_address_t *out)
{
    return E(call_id(F_port_mac, AV(&p, &out)));
}
wasixnet_errno_t w_gateway_set(wasixnet_port_t *p, const wasixnet_addr_t *a)
{
    return E(call_id(F_port_gateway_set, AV(&p, &a)));
}
wasixnet_errno_t w_route_add(wasixnet_port_t *p, const wasixnet_addr_cidr_t *c, const wasixnet_addr_t *v,
                             const wasixnet_option_timestamp_t *pu, const wasixnet_option_timestamp_t *ea)
{
    return E(call_id(F_port_route_add, AV(&p, &c, &v, &pu, &ea)));
}
wasixnet_errno_t w_route_remove(wasixnet_port_t *p, const wasixnet_addr_t *a)
{
    return E(call_id(F_port_route_remove, AV(&p, &a)));
}
wasixnet_errno_t w_route_list(wasixnet_port_t *p, wasixnet_route_t *buf, uint32_t *n)
{
    return E(call_id(F_port_route_list, AV(&p, &buf, &n)));
}
wasixnet_errno_t w_route_lookup(wasixnet_port_t *p, const wasixnet_addr_t *dst, wasixnet_route_t *out,
                                uint8_t *deprecated)
{
    return E(call_id(F_port_route_lookup, AV(&p, &dst, &out, &deprecated)));
}
/* A guest-memory call: args are the import's parameters (fns[id].nargs - 2 of them). */
wasixnet_errno_t gcall(int id, wasixnet_port_t *p, const wasixnet_guest_t *g, uint64_t *args)
{
    void *av[8] = { &p, &g };
    for (unsigned i = 2; i < fns[id].nargs; i++)
        av[i] = &args[i - 2];
    return E(call_id(id, av));
}
/* An import table entry's host function. */
wasixnet_errno_t hcall(wasixnet_host_fn fn, wasixnet_port_t *p, const wasixnet_guest_t *g, uint64_t *args)
{
    void *fp;
    memcpy(&fp, &fn, sizeof fp);
    return E(call_fn(F_host_fn, fp, AV(&p, &g, &args)));
}

bool load_library(const char *path)
{
    section = "dlopen";
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!report(HERE, lib != NULL, "dlopen(\"%s\"): %s", path, lib ? "" : dlerror()))
        return false;
    for (int i = 0; i < F_COUNT; i++) {
        fn_t *f = &fns[i];
        f->nargs = (unsigned)strlen(f->sig) - 1;
        for (unsigned k = 0; k < f->nargs; k++)
            f->types[k] = sig_type(f->sig[k + 1]);
        if (ffi_prep_cif(&f->cif, FFI_DEFAULT_ABI, f->nargs, sig_type(f->sig[0]), f->types) != FFI_OK)
            die("ffi_prep_cif failed for %s", f->field);
        if (f->symbol != NULL) {
            f->sym = dlsym(lib, f->symbol);
            report(HERE, f->sym != NULL, "dlsym(\"%s\"): not exported", f->symbol);
            active[i] = f->sym;
        }
    }
    return true;
}
