/*
 * ffi_abi_test.c — libwasixnet's C ABI exercised through libffi against the installed shared library.
 *
 *   gcc -std=c11 -O1 -g -Wall -Wextra -Werror -Iinclude Tests/abi/ffi_abi_test.c \
 *       $(pkg-config --cflags --libs libffi) -ldl -o ffi_abi_test
 *   ./ffi_abi_test $PREFIX/lib/libwasixnet.so.0
 *
 * The library is dlopen'ed (RTLD_NOW | RTLD_LOCAL). Every function is taken with dlsym (or from the
 * plugin table / the imports table) and called only through ffi_call, with one ffi_cif per function
 * built from a signature string. The header is used for its types and constants, never to link.
 * Expected values come from CONTRACT.md (hard-coded numbers) and the header (sizeof/offsetof).
 *
 * Sections (in run order):
 *   layouts        every ABI struct as an ffi_type: size, alignment, field offsets vs CONTRACT and header
 *   exports        the .so's global dynamic symbols are exactly the wasixnet_* functions this test calls
 *   versions       abi_version, version, errno_name
 *   port_new       config validation, configured and random MAC
 *   null pointers  NULL port / NULL required pointer -> EFAULT for every call, nothing changed
 *   route_add      validation in the contract's order, EEXIST, a failed call changes nothing
 *   limits         max_routes, max_addrs, their defaults, expired routes not counted
 *   lists          list protocol (capacity, count, EOVERFLOW, order, zeroed unused bytes)
 *   route_remove   removal by address, route_clear
 *   gateway        default routes, replacement in place, validation
 *   addresses      addr_add / addr_remove / addr_clear
 *   lookup         longest prefix match, own prefixes, lifetimes on the port's clock
 *   default clock  CLOCK_REALTIME when no clock hook is given
 *   hooks          bridge / unbridge / dhcp_acquire, re-entrant hooks and clock
 *   guest          wasixnet_guest_port_* on a fake linear memory: both pointer sizes, both layouts,
 *                  every memory edge, overflow, "nothing written on EFAULT"
 *   sock status    wasixnet_sock_status_name and the status numbers (CONTRACT §5)
 *   udp create     wasixnet_udp_create / free / address_family / fd, with and without a port
 *   udp states     every state-dependent call in every socket state (table)
 *   udp bind       start_bind addresses: loopback, other family, IPv4-mapped, not bindable, in use
 *   udp options    hop limit, receive / send buffer sizes
 *   udp null       NULL socket / NULL required pointer -> INVALID_ARGUMENT for every call
 *   udp io         stream, check_send grants, send / receive on loopback, traps, bad datagrams
 *                  (IPv4 and IPv6)
 *   udp guest      wasixnet_guest_udp_send on a fake guest memory: lifting, traps, NOT_SUPPORTED
 *   imports        wasixnet_imports table, entries called through ffi
 *   plugin         wasixnet_plugin_v1 table, a port and UDP sockets driven through it
 *
 * Output: one line per failed check (file:line, expected, got), then "N passed, M failed".
 * Exit status 0 only when M == 0.
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <dlfcn.h>
#include <elf.h>
#include <ffi.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "wasixnet.h"

/* ============================================================================================
 * Reporting
 * ========================================================================================== */

static unsigned n_pass, n_fail;
static const char *via = "";         /* "plugin table: " while the plugin table drives the calls */
static const char *section = "startup";
static char context[256];

typedef struct {
    const char *file;
    int line;
} where_t;
#define HERE ((where_t){ __FILE__, __LINE__ })

static void set_context(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(context, sizeof context, fmt, ap);
    va_end(ap);
}

static void clear_context(void) { context[0] = '\0'; }

static bool report(where_t w, bool ok, const char *fmt, ...)
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

static _Noreturn void die(const char *fmt, ...)
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
static const char *const errno_names[WASIXNET_ERRNO_COUNT] = { WASIXNET_ERRNO_MAP(ERRNO_NAME_) };
#undef ERRNO_NAME_

static const char *ename(unsigned e) { return e < WASIXNET_ERRNO_COUNT ? errno_names[e] : "not an errno"; }

static bool check_true(where_t w, const char *what, bool ok)
{
    return report(w, ok, "%s: expected true, got false", what);
}

static bool check_u64(where_t w, const char *what, uint64_t expected, uint64_t got)
{
    return report(w, expected == got, "%s: expected %" PRIu64 " (0x%" PRIx64 "), got %" PRIu64 " (0x%" PRIx64 ")",
                  what, expected, expected, got, got);
}

static bool check_err(where_t w, const char *what, unsigned expected, unsigned got)
{
    return report(w, expected == got, "%s: expected errno %u (%s), got %u (%s)", what, expected, ename(expected), got,
                  ename(got));
}

static bool check_str(where_t w, const char *what, const char *expected, const char *got)
{
    return report(w, got != NULL && strcmp(expected, got) == 0, "%s: expected \"%s\", got %s%s%s", what, expected,
                  got ? "\"" : "", got ? got : "NULL", got ? "\"" : "");
}

static bool check_mem(where_t w, const char *what, const void *expected, const void *got, size_t n)
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

static bool check_filled(where_t w, const char *what, const uint8_t *p, uint8_t byte, size_t n)
{
    size_t i = 0;
    while (i < n && p[i] == byte)
        i++;
    return report(w, i == n, "%s: expected every byte %02x, byte %zu is %02x", what, byte, i, i < n ? p[i] : 0);
}

#define CHECK(cond) check_true(HERE, #cond, (cond))
#define CHECK_EQ(expected, got) check_u64(HERE, #got, (uint64_t)(expected), (uint64_t)(got))
#define CHECK_ERR(expected, got) check_err(HERE, #got, (expected), (got))
#define CHECK_STR(expected, got) check_str(HERE, #got, (expected), (got))
#define CHECK_MEM(expected, got, n) check_mem(HERE, #got, (expected), (got), (n))

enum {
    OK = WASIXNET_ESUCCESS,
    EEXIST_ = WASIXNET_EEXIST,
    EFAULT_ = WASIXNET_EFAULT,
    EINVAL_ = WASIXNET_EINVAL,
    ENETUNREACH_ = WASIXNET_ENETUNREACH,
    ENOENT_ = WASIXNET_ENOENT,
    ENOMEM_ = WASIXNET_ENOMEM,
    ENOTSUP_ = WASIXNET_ENOTSUP,
    EOVERFLOW_ = WASIXNET_EOVERFLOW,
};

/* ============================================================================================
 * The library's functions, described by signature strings and called through ffi_call
 *
 * Signature: the return type, then one letter per argument:
 *   v void, p pointer, b uint8_t, h uint16_t, i int32_t (and int), w uint32_t, q uint64_t, z size_t.
 * The rows are in the order of wasixnet_plugin_v1_t's function pointers (53 of them).
 * ========================================================================================== */

#define PLUGIN_FUNCTIONS(X)                                                  \
    X(abi_version_fn, "wasixnet_abi_version", "w")                           \
    X(version, "wasixnet_version", "p")                                      \
    X(errno_name, "wasixnet_errno_name", "ph")                               \
    X(imports, "wasixnet_imports", "pp")                                     \
    X(port_new, "wasixnet_port_new", "hpp")                                  \
    X(port_free, "wasixnet_port_free", "vp")                                 \
    X(port_bridge, "wasixnet_port_bridge", "hppzpzb")                        \
    X(port_unbridge, "wasixnet_port_unbridge", "hp")                         \
    X(port_dhcp_acquire, "wasixnet_port_dhcp_acquire", "hp")                 \
    X(port_addr_add, "wasixnet_port_addr_add", "hpp")                        \
    X(port_addr_remove, "wasixnet_port_addr_remove", "hpp")                  \
    X(port_addr_clear, "wasixnet_port_addr_clear", "hp")                     \
    X(port_addr_list, "wasixnet_port_addr_list", "hppp")                     \
    X(port_mac, "wasixnet_port_mac", "hpp")                                  \
    X(port_gateway_set, "wasixnet_port_gateway_set", "hpp")                  \
    X(port_route_add, "wasixnet_port_route_add", "hppppp")                   \
    X(port_route_remove, "wasixnet_port_route_remove", "hpp")                \
    X(port_route_clear, "wasixnet_port_route_clear", "hp")                   \
    X(port_route_list, "wasixnet_port_route_list", "hppp")                   \
    X(port_route_lookup, "wasixnet_port_route_lookup", "hpppp")              \
    X(guest_port_bridge, "wasixnet_guest_port_bridge", "hppqqqqq")           \
    X(guest_port_unbridge, "wasixnet_guest_port_unbridge", "hpp")            \
    X(guest_port_dhcp_acquire, "wasixnet_guest_port_dhcp_acquire", "hpp")    \
    X(guest_port_addr_add, "wasixnet_guest_port_addr_add", "hppq")           \
    X(guest_port_addr_remove, "wasixnet_guest_port_addr_remove", "hppq")     \
    X(guest_port_addr_clear, "wasixnet_guest_port_addr_clear", "hpp")        \
    X(guest_port_addr_list, "wasixnet_guest_port_addr_list", "hppqq")        \
    X(guest_port_mac, "wasixnet_guest_port_mac", "hppq")                     \
    X(guest_port_gateway_set, "wasixnet_guest_port_gateway_set", "hppq")     \
    X(guest_port_route_add, "wasixnet_guest_port_route_add", "hppqqqq")      \
    X(guest_port_route_remove, "wasixnet_guest_port_route_remove", "hppq")   \
    X(guest_port_route_clear, "wasixnet_guest_port_route_clear", "hpp")      \
    X(guest_port_route_list, "wasixnet_guest_port_route_list", "hppqq")      \
    X(sock_status_name, "wasixnet_sock_status_name", "pi")                   \
    X(udp_create, "wasixnet_udp_create", "ipbp")                             \
    X(udp_free, "wasixnet_udp_free", "vp")                                   \
    X(udp_start_bind, "wasixnet_udp_start_bind", "ipp")                      \
    X(udp_finish_bind, "wasixnet_udp_finish_bind", "ip")                     \
    X(udp_stream, "wasixnet_udp_stream", "ipp")                              \
    X(udp_local_address, "wasixnet_udp_local_address", "ipp")                \
    X(udp_remote_address, "wasixnet_udp_remote_address", "ipp")              \
    X(udp_address_family, "wasixnet_udp_address_family", "bp")               \
    X(udp_unicast_hop_limit, "wasixnet_udp_unicast_hop_limit", "ipp")        \
    X(udp_set_unicast_hop_limit, "wasixnet_udp_set_unicast_hop_limit", "ipb") \
    X(udp_receive_buffer_size, "wasixnet_udp_receive_buffer_size", "ipp")    \
    X(udp_set_receive_buffer_size, "wasixnet_udp_set_receive_buffer_size", "ipq") \
    X(udp_send_buffer_size, "wasixnet_udp_send_buffer_size", "ipp")          \
    X(udp_set_send_buffer_size, "wasixnet_udp_set_send_buffer_size", "ipq")  \
    X(udp_fd, "wasixnet_udp_fd", "ip")                                       \
    X(udp_check_send, "wasixnet_udp_check_send", "ipp")                      \
    X(udp_send, "wasixnet_udp_send", "ippzp")                                \
    X(udp_receive, "wasixnet_udp_receive", "ippzp")                          \
    X(guest_udp_send, "wasixnet_guest_udp_send", "ippqqp")

#define FN_ENUM_(field, symbol, sig) F_##field,
enum {
    PLUGIN_FUNCTIONS(FN_ENUM_) F_PLUGIN_COUNT,
    F_plugin_v1 = F_PLUGIN_COUNT, /* wasixnet_plugin_v1 itself */
    F_host_fn,                    /* wasixnet_host_fn: the imports' function pointers (no symbol) */
    F_COUNT
};
#undef FN_ENUM_

/* The 13 WASIX port calls, in the order of the header, the plugin table and the imports table. */
enum { N_GUEST = 13, F_GUEST0 = F_guest_port_bridge };

typedef struct {
    const char *field;  /* field name in wasixnet_plugin_v1_t */
    const char *symbol; /* exported name; NULL for a function-pointer type */
    const char *sig;
    void *sym;          /* dlsym's answer */
    unsigned nargs;
    ffi_type *types[8];
    ffi_cif cif;
} fn_t;

#define FN_ROW_(f, s, g) { .field = #f, .symbol = s, .sig = g },
static fn_t fns[F_COUNT] = {
    PLUGIN_FUNCTIONS(FN_ROW_)
    { .field = "plugin_v1", .symbol = "wasixnet_plugin_v1", .sig = "p" },
    { .field = "host_fn", .symbol = NULL, .sig = "hppp" },
};
#undef FN_ROW_

static void *active[F_COUNT]; /* the function pointers calls go to: dlsym's, or the plugin table's */

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
    case 'z': return sizeof(size_t) == 8 ? &ffi_type_uint64 : &ffi_type_uint32;
    default: die("bad signature letter '%c'", c);
    }
}

typedef union {
    ffi_arg i; /* small integers are widened to ffi_arg by libffi */
    void *p;
} ret_t;

/* The one place that calls into the library. libffi 3.4 rewrites avalue[] entries of by-value
 * structs > 16 bytes, so it always gets a fresh copy. */
static ret_t call_fn(int id, void *fn, void **avalues)
{
    fn_t *f = &fns[id];
    void *scratch[8];
    ret_t r;
    memset(&r, 0, sizeof r);
    if (f->nargs > 0)
        memcpy(scratch, avalues, f->nargs * sizeof *avalues);
    ffi_call(&f->cif, FFI_FN(fn), &r, scratch);
    return r;
}

static ret_t call_id(int id, void **avalues)
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

#define AV(...) ((void *[]){ __VA_ARGS__ })
static wasixnet_errno_t E(ret_t r) { return (wasixnet_errno_t)r.i; }

static uint32_t w_abi_version(void) { return (uint32_t)call_id(F_abi_version_fn, NULL).i; }
static const char *w_version(void) { return call_id(F_version, NULL).p; }
static const char *w_errno_name(wasixnet_errno_t e) { return call_id(F_errno_name, AV(&e)).p; }
static const wasixnet_import_t *w_imports(size_t *count) { return call_id(F_imports, AV(&count)).p; }
static const uint8_t *w_plugin(void) { return call_id(F_plugin_v1, NULL).p; }
static wasixnet_errno_t w_port_new(const wasixnet_port_config_t *c, wasixnet_port_t **out)
{
    return E(call_id(F_port_new, AV(&c, &out)));
}
static void w_port_free(wasixnet_port_t *p) { call_id(F_port_free, AV(&p)); }
static wasixnet_errno_t w_bridge(wasixnet_port_t *p, const char *net, size_t net_len, const char *tok, size_t tok_len,
                                 uint8_t security)
{
    return E(call_id(F_port_bridge, AV(&p, &net, &net_len, &tok, &tok_len, &security)));
}
static wasixnet_errno_t w_port_only(int id, wasixnet_port_t *p) { return E(call_id(id, AV(&p))); }
static wasixnet_errno_t w_addr_add(wasixnet_port_t *p, const wasixnet_addr_cidr_t *c)
{
    return E(call_id(F_port_addr_add, AV(&p, &c)));
}
static wasixnet_errno_t w_addr_remove(wasixnet_port_t *p, const wasixnet_addr_t *a)
{
    return E(call_id(F_port_addr_remove, AV(&p, &a)));
}
static wasixnet_errno_t w_addr_list(wasixnet_port_t *p, wasixnet_addr_cidr_t *buf, uint32_t *n)
{
    return E(call_id(F_port_addr_list, AV(&p, &buf, &n)));
}
static wasixnet_errno_t w_mac(wasixnet_port_t *p, wasixnet_hardware_address_t *out)
{
    return E(call_id(F_port_mac, AV(&p, &out)));
}
static wasixnet_errno_t w_gateway_set(wasixnet_port_t *p, const wasixnet_addr_t *a)
{
    return E(call_id(F_port_gateway_set, AV(&p, &a)));
}
static wasixnet_errno_t w_route_add(wasixnet_port_t *p, const wasixnet_addr_cidr_t *c, const wasixnet_addr_t *v,
                                    const wasixnet_option_timestamp_t *pu, const wasixnet_option_timestamp_t *ea)
{
    return E(call_id(F_port_route_add, AV(&p, &c, &v, &pu, &ea)));
}
static wasixnet_errno_t w_route_remove(wasixnet_port_t *p, const wasixnet_addr_t *a)
{
    return E(call_id(F_port_route_remove, AV(&p, &a)));
}
static wasixnet_errno_t w_route_list(wasixnet_port_t *p, wasixnet_route_t *buf, uint32_t *n)
{
    return E(call_id(F_port_route_list, AV(&p, &buf, &n)));
}
static wasixnet_errno_t w_route_lookup(wasixnet_port_t *p, const wasixnet_addr_t *dst, wasixnet_route_t *out,
                                       uint8_t *deprecated)
{
    return E(call_id(F_port_route_lookup, AV(&p, &dst, &out, &deprecated)));
}
/* A guest-memory call: args are the import's parameters (fns[id].nargs - 2 of them). */
static wasixnet_errno_t gcall(int id, wasixnet_port_t *p, const wasixnet_guest_t *g, uint64_t *args)
{
    void *av[8] = { &p, &g };
    for (unsigned i = 2; i < fns[id].nargs; i++)
        av[i] = &args[i - 2];
    return E(call_id(id, av));
}
/* An import table entry's host function. */
static wasixnet_errno_t hcall(wasixnet_host_fn fn, wasixnet_port_t *p, const wasixnet_guest_t *g, uint64_t *args)
{
    void *fp;
    memcpy(&fp, &fn, sizeof fp);
    return E(call_fn(F_host_fn, fp, AV(&p, &g, &args)));
}
#define GARGS(...) ((uint64_t[]){ __VA_ARGS__ })

static bool load_library(const char *path)
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

/* ============================================================================================
 * Section: exports. CONTRACT §1: nothing but wasixnet_* leaves the library. The global defined
 * symbols of the file's .dynsym must be exactly the functions of the table above (so every
 * exported function is one this test calls).
 * ========================================================================================== */

static void test_exports(const char *path)
{
    section = "exports";
    FILE *f = fopen(path, "rb");
    if (!report(HERE, f != NULL, "cannot open %s", path))
        return;
    fseek(f, 0, SEEK_END);
    const long size = ftell(f);
    uint8_t *img = size > 0 ? malloc((size_t)size) : NULL;
    const bool read_ok = img != NULL && fseek(f, 0, SEEK_SET) == 0 && fread(img, 1, (size_t)size, f) == (size_t)size;
    fclose(f);
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img;
    if (!report(HERE, read_ok && (size_t)size >= sizeof *eh && memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0 &&
                          eh->e_ident[EI_CLASS] == ELFCLASS64 &&
                          eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) <= (uint64_t)size,
                "%s is not a readable ELF64 file", path)) {
        free(img);
        return;
    }
    const Elf64_Shdr *sh = (const Elf64_Shdr *)(img + eh->e_shoff);
    unsigned found[F_COUNT] = { 0 }, globals = 0;
    for (unsigned i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_type != SHT_DYNSYM || sh[i].sh_link >= eh->e_shnum ||
            sh[i].sh_offset + sh[i].sh_size > (uint64_t)size)
            continue;
        const Elf64_Sym *sym = (const Elf64_Sym *)(img + sh[i].sh_offset);
        const char *str = (const char *)img + sh[sh[i].sh_link].sh_offset;
        for (size_t k = 0; k < sh[i].sh_size / sizeof *sym; k++) {
            const unsigned bind = ELF64_ST_BIND(sym[k].st_info);
            if (sym[k].st_shndx == SHN_UNDEF || sym[k].st_shndx == SHN_ABS /* version nodes */ ||
                (bind != STB_GLOBAL && bind != STB_WEAK))
                continue;
            const char *name = str + sym[k].st_name;
            int id = -1;
            for (int j = 0; j < F_COUNT; j++)
                if (fns[j].symbol != NULL && strcmp(fns[j].symbol, name) == 0)
                    id = j;
            globals++;
            report(HERE, strncmp(name, "wasixnet_", 9) == 0, "exported symbol %s is not wasixnet_*", name);
            report(HERE, id >= 0, "exported symbol %s is not a function this test knows (and calls)", name);
            if (id >= 0)
                found[id]++;
        }
    }
    for (int j = 0; j < F_COUNT; j++)
        if (fns[j].symbol != NULL)
            report(HERE, found[j] == 1, "%s exported %u times in .dynsym, expected once", fns[j].symbol, found[j]);
    check_u64(HERE, "global defined symbols in .dynsym", F_COUNT - 1, globals);
    free(img);
}

/* ============================================================================================
 * Section: layouts. Each struct is described to libffi as a list of runs of elements (an array
 * is its element repeated; a union is described by the flattened fields of one member).
 * ffi_get_struct_offsets gives size, alignment and every offset; each is compared with the
 * CONTRACT.md number and with the header's sizeof / _Alignof / offsetof.
 * ========================================================================================== */

typedef struct {
    ffi_type *type;
    unsigned count;    /* the element repeated count times */
    const char *field; /* NULL: filler, not checked */
    long contract;     /* CONTRACT.md's offset */
    long header;       /* offsetof in the header; -1: no C counterpart (Wasmer's guest layouts) */
} run_t;
#define FIELD(t, n, name, c, h) { (t), (n), (name), (c), (long)(h) }
#define FILL(t, n) { (t), (n), NULL, -1, -1 }
#define U8 (&ffi_type_uint8)
#define U16 (&ffi_type_uint16)
#define U32 (&ffi_type_uint32)
#define U64 (&ffi_type_uint64)
#define PTR (&ffi_type_pointer)
#define PS ((long)sizeof(void *))
#if SIZE_MAX == UINT64_MAX
#define ZT U64 /* size_t */
#else
#define ZT U32
#endif

static ffi_type T_ts, T_mac, T_ip6, T_addr4, T_addr6, T_cidr4, T_cidr6, T_aport4, T_aport6, T_route, T_guest,
    T_config, T_import, T_plugin, T_wm_addr, T_wm_cidr, T_wm_route, T_sa4rec, T_sa6rec, T_sa4, T_sa6, T_outdg,
    T_indg, T_guest_outdg;

#define OFF(type, member) offsetof(type, member)
static const run_t R_ts[] = {
    FIELD(U8, 1, "tag", 0, OFF(wasixnet_option_timestamp_t, tag)),
    FIELD(U64, 1, "value", 8, OFF(wasixnet_option_timestamp_t, value)),
};
static const run_t R_mac[] = { FIELD(U8, 6, "octets", 0, OFF(wasixnet_hardware_address_t, octets)) };
static const run_t R_ip6[] = {
    FIELD(U8, 16, "octets", 0, OFF(wasixnet_addr_ip6_t, octets)),
    FIELD(U16, 1, "flow_info1", 16, OFF(wasixnet_addr_ip6_t, flow_info1)),
    FIELD(U16, 1, "flow_info0", 18, OFF(wasixnet_addr_ip6_t, flow_info0)),
    FIELD(U16, 1, "scope_id1", 20, OFF(wasixnet_addr_ip6_t, scope_id1)),
    FIELD(U16, 1, "scope_id0", 22, OFF(wasixnet_addr_ip6_t, scope_id0)),
};
static const run_t R_addr4[] = {
    FIELD(U8, 1, "tag", 0, OFF(wasixnet_addr_t, tag)), FILL(U8, 1),
    FIELD(U8, 4, "u.inet4", 2, OFF(wasixnet_addr_t, u.inet4)), FILL(U16, 52),
};
static const run_t R_addr6[] = {
    FIELD(U8, 1, "tag", 0, OFF(wasixnet_addr_t, tag)), FILL(U8, 1),
    FIELD(U8, 16, "u.inet6.octets", 2, OFF(wasixnet_addr_t, u.inet6.octets)),
    FIELD(U16, 1, "u.inet6.flow_info1", 18, OFF(wasixnet_addr_t, u.inet6.flow_info1)),
    FIELD(U16, 1, "u.inet6.flow_info0", 20, OFF(wasixnet_addr_t, u.inet6.flow_info0)),
    FIELD(U16, 1, "u.inet6.scope_id1", 22, OFF(wasixnet_addr_t, u.inet6.scope_id1)),
    FIELD(U16, 1, "u.inet6.scope_id0", 24, OFF(wasixnet_addr_t, u.inet6.scope_id0)), FILL(U16, 42),
};
static const run_t R_cidr4[] = {
    FIELD(U8, 1, "tag", 0, OFF(wasixnet_addr_cidr_t, tag)), FILL(U8, 1),
    FIELD(U8, 4, "u.inet4.addr", 2, OFF(wasixnet_addr_cidr_t, u.inet4.addr)),
    FIELD(U8, 1, "u.inet4.prefix", 6, OFF(wasixnet_addr_cidr_t, u.inet4.prefix)), FILL(U8, 1), FILL(U16, 10),
};
static const run_t R_cidr6[] = {
    FIELD(U8, 1, "tag", 0, OFF(wasixnet_addr_cidr_t, tag)), FILL(U8, 1),
    FIELD(U8, 16, "u.inet6.addr.octets", 2, OFF(wasixnet_addr_cidr_t, u.inet6.addr.octets)),
    FIELD(U16, 1, "u.inet6.addr.flow_info1", 18, OFF(wasixnet_addr_cidr_t, u.inet6.addr.flow_info1)),
    FIELD(U16, 1, "u.inet6.addr.flow_info0", 20, OFF(wasixnet_addr_cidr_t, u.inet6.addr.flow_info0)),
    FIELD(U16, 1, "u.inet6.addr.scope_id1", 22, OFF(wasixnet_addr_cidr_t, u.inet6.addr.scope_id1)),
    FIELD(U16, 1, "u.inet6.addr.scope_id0", 24, OFF(wasixnet_addr_cidr_t, u.inet6.addr.scope_id0)),
    FIELD(U8, 1, "u.inet6.prefix", 26, OFF(wasixnet_addr_cidr_t, u.inet6.prefix)), FILL(U8, 1),
};
static const run_t R_aport4[] = {
    FIELD(U8, 1, "tag", 0, OFF(wasixnet_addr_port_t, tag)), FILL(U8, 1),
    FIELD(U16, 1, "u.inet4.port", 2, OFF(wasixnet_addr_port_t, u.inet4.port)),
    FIELD(U8, 4, "u.inet4.addr", 4, OFF(wasixnet_addr_port_t, u.inet4.addr)), FILL(U16, 51),
};
static const run_t R_aport6[] = {
    FIELD(U8, 1, "tag", 0, OFF(wasixnet_addr_port_t, tag)), FILL(U8, 1),
    FIELD(U16, 1, "u.inet6.port", 2, OFF(wasixnet_addr_port_t, u.inet6.port)),
    FIELD(U8, 16, "u.inet6.addr.octets", 4, OFF(wasixnet_addr_port_t, u.inet6.addr.octets)),
    FIELD(U16, 1, "u.inet6.addr.flow_info1", 20, OFF(wasixnet_addr_port_t, u.inet6.addr.flow_info1)),
    FIELD(U16, 1, "u.inet6.addr.flow_info0", 22, OFF(wasixnet_addr_port_t, u.inet6.addr.flow_info0)),
    FIELD(U16, 1, "u.inet6.addr.scope_id1", 24, OFF(wasixnet_addr_port_t, u.inet6.addr.scope_id1)),
    FIELD(U16, 1, "u.inet6.addr.scope_id0", 26, OFF(wasixnet_addr_port_t, u.inet6.addr.scope_id0)),
    FILL(U16, 41),
};
static const run_t R_route[] = {
    FIELD(&T_cidr6, 1, "cidr", 0, OFF(wasixnet_route_t, cidr)),
    FIELD(&T_addr6, 1, "via_router", 28, OFF(wasixnet_route_t, via_router)),
    FIELD(&T_ts, 1, "preferred_until", 144, OFF(wasixnet_route_t, preferred_until)),
    FIELD(&T_ts, 1, "expires_at", 160, OFF(wasixnet_route_t, expires_at)),
};
static const run_t R_guest[] = {
    FIELD(PTR, 1, "memory", 0, OFF(wasixnet_guest_t, memory)),
    FIELD(U64, 1, "memory_size", 8, OFF(wasixnet_guest_t, memory_size)),
    FIELD(U8, 1, "pointer_size", 16, OFF(wasixnet_guest_t, pointer_size)),
    FIELD(U8, 1, "layout", 17, OFF(wasixnet_guest_t, layout)),
};
static const run_t R_config[] = {
    FIELD(U32, 1, "struct_size", 0, OFF(wasixnet_port_config_t, struct_size)),
    FIELD(U32, 1, "flags", 4, OFF(wasixnet_port_config_t, flags)),
    FIELD(U32, 1, "max_routes", 8, OFF(wasixnet_port_config_t, max_routes)),
    FIELD(U32, 1, "max_addrs", 12, OFF(wasixnet_port_config_t, max_addrs)),
    FIELD(U8, 6, "mac", 16, OFF(wasixnet_port_config_t, mac)),
    FIELD(U8, 1, "has_mac", 22, OFF(wasixnet_port_config_t, has_mac)),
    FIELD(PTR, 1, "clock", 24, OFF(wasixnet_port_config_t, clock)),
    FIELD(PTR, 1, "clock_ctx", 32, OFF(wasixnet_port_config_t, clock_ctx)),
    FIELD(PTR, 1, "bridge", 40, OFF(wasixnet_port_config_t, bridge)),
    FIELD(PTR, 1, "unbridge", 48, OFF(wasixnet_port_config_t, unbridge)),
    FIELD(PTR, 1, "dhcp_acquire", 56, OFF(wasixnet_port_config_t, dhcp_acquire)),
    FIELD(PTR, 1, "hooks_ctx", 64, OFF(wasixnet_port_config_t, hooks_ctx)),
};
static const run_t R_import[] = {
    FIELD(PTR, 1, "module", 0, OFF(wasixnet_import_t, module)),
    FIELD(PTR, 1, "name", PS, OFF(wasixnet_import_t, name)),
    FIELD(PTR, 1, "params", 2 * PS, OFF(wasixnet_import_t, params)),
    FIELD(PTR, 1, "results", 3 * PS, OFF(wasixnet_import_t, results)),
    FIELD(PTR, 1, "call", 4 * PS, OFF(wasixnet_import_t, call)),
};
#define PLUGIN_RUN_(f, s, g) FIELD(PTR, 1, #f, 8 + F_##f * PS, OFF(wasixnet_plugin_v1_t, f)),
static const run_t R_plugin[] = {
    FIELD(U32, 1, "abi_version", 0, OFF(wasixnet_plugin_v1_t, abi_version)),
    FIELD(U32, 1, "struct_size", 4, OFF(wasixnet_plugin_v1_t, struct_size)),
    PLUGIN_FUNCTIONS(PLUGIN_RUN_)
};
#undef PLUGIN_RUN_
/* CONTRACT §5: ip-socket-address in the canonical ABI's layout, 32 / 4, the case's record at @4. */
typedef wasixnet_ip_socket_address_t sa_t;
static const run_t R_sa4rec[] = {
    FIELD(U16, 1, "port", 0, OFF(wasixnet_ipv4_socket_address_t, port)),
    FIELD(U8, 4, "address", 2, OFF(wasixnet_ipv4_socket_address_t, address)),
};
static const run_t R_sa6rec[] = {
    FIELD(U16, 1, "port", 0, OFF(wasixnet_ipv6_socket_address_t, port)), FILL(U16, 1),
    FIELD(U32, 1, "flow_info", 4, OFF(wasixnet_ipv6_socket_address_t, flow_info)),
    FIELD(U16, 8, "address", 8, OFF(wasixnet_ipv6_socket_address_t, address)),
    FIELD(U32, 1, "scope_id", 24, OFF(wasixnet_ipv6_socket_address_t, scope_id)),
};
static const run_t R_sa4[] = {
    FIELD(U8, 1, "tag", 0, OFF(sa_t, tag)), FILL(U8, 3),
    FIELD(U16, 1, "u.ipv4.port", 4, OFF(sa_t, u.ipv4.port)),
    FIELD(U8, 4, "u.ipv4.address", 6, OFF(sa_t, u.ipv4.address)), FILL(U16, 1), FILL(U32, 5),
};
static const run_t R_sa6[] = {
    FIELD(U8, 1, "tag", 0, OFF(sa_t, tag)), FILL(U8, 3),
    FIELD(U16, 1, "u.ipv6.port", 4, OFF(sa_t, u.ipv6.port)), FILL(U16, 1),
    FIELD(U32, 1, "u.ipv6.flow_info", 8, OFF(sa_t, u.ipv6.flow_info)),
    FIELD(U16, 8, "u.ipv6.address", 12, OFF(sa_t, u.ipv6.address)),
    FIELD(U32, 1, "u.ipv6.scope_id", 28, OFF(sa_t, u.ipv6.scope_id)),
};
static const run_t R_outdg[] = {
    FIELD(PTR, 1, "data", 0, OFF(wasixnet_outgoing_datagram_t, data)),
    FIELD(ZT, 1, "len", PS, OFF(wasixnet_outgoing_datagram_t, len)),
    FIELD(PTR, 1, "remote_address", 2 * PS, OFF(wasixnet_outgoing_datagram_t, remote_address)),
};
static const run_t R_indg[] = {
    FIELD(PTR, 1, "data", 0, OFF(wasixnet_incoming_datagram_t, data)),
    FIELD(ZT, 1, "capacity", PS, OFF(wasixnet_incoming_datagram_t, capacity)),
    FIELD(ZT, 1, "len", 2 * PS, OFF(wasixnet_incoming_datagram_t, len)),
    FIELD(U8, 1, "truncated", 3 * PS, OFF(wasixnet_incoming_datagram_t, truncated)),
    FIELD(&T_sa6, 1, "remote_address", 3 * PS + 4, OFF(wasixnet_incoming_datagram_t, remote_address)),
};
/* A list<outgoing-datagram> element in guest memory (CONTRACT §5); no C struct in the header. */
static const run_t R_guest_outdg[] = {
    FIELD(U32, 1, "data ptr", 0, -1), FIELD(U32, 1, "data len", 4, -1), FIELD(U8, 1, "option tag", 8, -1),
    FIELD(&T_sa4, 1, "ip-socket-address", 12, -1),
};
/* WASIXNET_LAYOUT_WASMER's guest-memory shapes (CONTRACT §3.2); no C struct in the header. */
static const run_t R_wm_addr[] = { FIELD(U8, 1, "tag", 0, -1), FILL(U8, 1), FIELD(U8, 16, "octets", 2, -1) };
static const run_t R_wm_cidr[] = {
    FIELD(U8, 1, "tag", 0, -1), FILL(U8, 1), FIELD(U8, 4, "inet4 addr", 2, -1),
    FIELD(U8, 1, "inet4 prefix", 6, -1), FILL(U8, 11), FIELD(U8, 1, "inet6 prefix", 18, -1),
};
static const run_t R_wm_route[] = {
    FIELD(&T_wm_cidr, 1, "cidr", 0, -1), FIELD(&T_wm_addr, 1, "via_router", 19, -1),
    FIELD(&T_ts, 1, "preferred_until", 40, -1), FIELD(&T_ts, 1, "expires_at", 56, -1),
};

typedef struct {
    const char *name;
    ffi_type *type;
    const run_t *runs;
    size_t nruns;
    long c_size, c_align; /* CONTRACT.md */
    long h_size, h_align; /* header sizeof / _Alignof; -1: none */
} layout_t;
#define LAYOUT(name, T, R, cs, ca, ctype) \
    { name, &T, R, sizeof R / sizeof R[0], cs, ca, (long)sizeof(ctype), (long)_Alignof(ctype) }
#define LAYOUT_NOH(name, T, R, cs, ca) { name, &T, R, sizeof R / sizeof R[0], cs, ca, -1, -1 }

/* Nested types come before the structs that contain them. */
static const layout_t layouts[] = {
    LAYOUT("wasixnet_option_timestamp_t", T_ts, R_ts, 16, 8, wasixnet_option_timestamp_t),
    LAYOUT("wasixnet_hardware_address_t", T_mac, R_mac, 6, 1, wasixnet_hardware_address_t),
    LAYOUT("wasixnet_addr_ip6_t", T_ip6, R_ip6, 24, 2, wasixnet_addr_ip6_t),
    LAYOUT("wasixnet_addr_t (inet4)", T_addr4, R_addr4, 110, 2, wasixnet_addr_t),
    LAYOUT("wasixnet_addr_t (inet6)", T_addr6, R_addr6, 110, 2, wasixnet_addr_t),
    LAYOUT("wasixnet_addr_cidr_t (inet4)", T_cidr4, R_cidr4, 28, 2, wasixnet_addr_cidr_t),
    LAYOUT("wasixnet_addr_cidr_t (inet6)", T_cidr6, R_cidr6, 28, 2, wasixnet_addr_cidr_t),
    LAYOUT("wasixnet_addr_port_t (inet4)", T_aport4, R_aport4, 110, 2, wasixnet_addr_port_t),
    LAYOUT("wasixnet_addr_port_t (inet6)", T_aport6, R_aport6, 110, 2, wasixnet_addr_port_t),
    LAYOUT("wasixnet_route_t", T_route, R_route, 176, 8, wasixnet_route_t),
    LAYOUT("wasixnet_guest_t", T_guest, R_guest, 24, 8, wasixnet_guest_t),
    LAYOUT("wasixnet_port_config_t", T_config, R_config, 72, 8, wasixnet_port_config_t),
    LAYOUT("wasixnet_import_t", T_import, R_import, 5 * PS, PS, wasixnet_import_t),
    LAYOUT("wasixnet_plugin_v1_t", T_plugin, R_plugin, 8 + 53 * PS, PS, wasixnet_plugin_v1_t),
    LAYOUT_NOH("Wasmer addr (guest)", T_wm_addr, R_wm_addr, 18, 1),
    LAYOUT_NOH("Wasmer cidr (guest)", T_wm_cidr, R_wm_cidr, 19, 1),
    LAYOUT_NOH("Wasmer route (guest)", T_wm_route, R_wm_route, 72, 8),
    LAYOUT("wasixnet_ipv4_socket_address_t", T_sa4rec, R_sa4rec, 6, 2, wasixnet_ipv4_socket_address_t),
    LAYOUT("wasixnet_ipv6_socket_address_t", T_sa6rec, R_sa6rec, 28, 4, wasixnet_ipv6_socket_address_t),
    LAYOUT("wasixnet_ip_socket_address_t (ipv4)", T_sa4, R_sa4, 32, 4, wasixnet_ip_socket_address_t),
    LAYOUT("wasixnet_ip_socket_address_t (ipv6)", T_sa6, R_sa6, 32, 4, wasixnet_ip_socket_address_t),
    LAYOUT("wasixnet_outgoing_datagram_t", T_outdg, R_outdg, 3 * PS, PS, wasixnet_outgoing_datagram_t),
    LAYOUT("wasixnet_incoming_datagram_t", T_indg, R_indg, 3 * PS + 36 + (PS == 8 ? 4 : 0), PS,
           wasixnet_incoming_datagram_t),
    LAYOUT_NOH("outgoing-datagram (guest list element)", T_guest_outdg, R_guest_outdg, 44, 4),
};
enum { N_LAYOUTS = sizeof layouts / sizeof layouts[0], MAX_ELEMS = 128 };

static ffi_type *elem_storage[N_LAYOUTS][MAX_ELEMS + 1];
static size_t plugin_offsets[MAX_ELEMS]; /* element offsets of wasixnet_plugin_v1_t, as libffi computes them */

static void check_layout(const layout_t *L, ffi_type **elems)
{
    size_t first[MAX_ELEMS], n = 0, offs[MAX_ELEMS];
    char what[160];
    for (size_t r = 0; r < L->nruns; r++) {
        first[r] = n;
        for (unsigned k = 0; k < L->runs[r].count; k++) {
            if (n >= MAX_ELEMS)
                die("layout %s has too many elements", L->name);
            elems[n++] = L->runs[r].type;
        }
    }
    elems[n] = NULL;
    L->type->size = 0;
    L->type->alignment = 0;
    L->type->type = FFI_TYPE_STRUCT;
    L->type->elements = elems;
    set_context("%s", L->name);
    if (!check_err(HERE, "ffi_get_struct_offsets", FFI_OK, ffi_get_struct_offsets(FFI_DEFAULT_ABI, L->type, offs)))
        return;
    check_u64(HERE, "size (CONTRACT)", (uint64_t)L->c_size, L->type->size);
    check_u64(HERE, "alignment (CONTRACT)", (uint64_t)L->c_align, L->type->alignment);
    if (L->h_size >= 0) {
        check_u64(HERE, "size (header sizeof)", (uint64_t)L->h_size, L->type->size);
        check_u64(HERE, "alignment (header _Alignof)", (uint64_t)L->h_align, L->type->alignment);
    }
    for (size_t r = 0; r < L->nruns; r++) {
        const run_t *run = &L->runs[r];
        if (run->field == NULL)
            continue;
        snprintf(what, sizeof what, "offset of %s (CONTRACT)", run->field);
        check_u64(HERE, what, (uint64_t)run->contract, offs[first[r]]);
        if (run->header >= 0) {
            snprintf(what, sizeof what, "offset of %s (header offsetof)", run->field);
            check_u64(HERE, what, (uint64_t)run->header, offs[first[r]]);
        }
    }
    if (L->type == &T_plugin)
        memcpy(plugin_offsets, offs, n * sizeof *offs);
}

static void test_layouts(void)
{
    section = "layouts";
    for (size_t i = 0; i < N_LAYOUTS; i++)
        check_layout(&layouts[i], elem_storage[i]);
    clear_context();
    CHECK_EQ(44, WASIXNET_GUEST_OUTGOING_DATAGRAM_SIZE);
    CHECK_EQ(T_guest_outdg.size, WASIXNET_GUEST_OUTGOING_DATAGRAM_SIZE);
}

/* ============================================================================================
 * Values: addresses, CIDRs, timestamps, routes, and their byte images
 * ========================================================================================== */

#define T0 UINT64_C(1700000000000000000) /* the fake clock's start (ns) */
#define V4 WASIXNET_ADDRESS_FAMILY_INET4
#define V6 WASIXNET_ADDRESS_FAMILY_INET6

static void set_fs(wasixnet_addr_ip6_t *a, uint32_t flow, uint32_t scope)
{
    a->flow_info1 = (uint16_t)(flow >> 16);
    a->flow_info0 = (uint16_t)flow;
    a->scope_id1 = (uint16_t)(scope >> 16);
    a->scope_id0 = (uint16_t)scope;
}

/* "10.0.0.1", "2001:db8::1", "" (unspec: all zero) or "#N" (tag N, all other bytes zero). */
static wasixnet_addr_t ip(const char *s)
{
    wasixnet_addr_t a;
    memset(&a, 0, sizeof a);
    if (s[0] == '\0')
        return a;
    if (s[0] == '#') {
        a.tag = (uint8_t)strtoul(s + 1, NULL, 0);
        return a;
    }
    int ok;
    if (strchr(s, ':')) {
        a.tag = V6;
        ok = inet_pton(AF_INET6, s, a.u.inet6.octets);
    } else {
        a.tag = V4;
        ok = inet_pton(AF_INET, s, a.u.inet4);
    }
    if (ok != 1)
        die("bad address literal \"%s\"", s);
    return a;
}

static wasixnet_addr_t ip_fs(const char *s, uint32_t flow, uint32_t scope)
{
    wasixnet_addr_t a = ip(s);
    if (a.tag == V6)
        set_fs(&a.u.inet6, flow, scope);
    return a;
}

/* "10.0.0.0/8", "2001:db8::/32" or "#N". */
static wasixnet_addr_cidr_t net(const char *s)
{
    wasixnet_addr_cidr_t c;
    memset(&c, 0, sizeof c);
    if (s[0] == '#') {
        c.tag = (uint8_t)strtoul(s + 1, NULL, 0);
        return c;
    }
    char buf[64];
    snprintf(buf, sizeof buf, "%s", s);
    char *slash = strchr(buf, '/');
    if (slash == NULL)
        die("bad CIDR literal \"%s\"", s);
    *slash = '\0';
    const uint8_t prefix = (uint8_t)strtoul(slash + 1, NULL, 10);
    const wasixnet_addr_t a = ip(buf);
    c.tag = a.tag;
    if (a.tag == V6) {
        memcpy(&c.u.inet6.addr, &a.u.inet6, sizeof c.u.inet6.addr);
        c.u.inet6.prefix = prefix;
    } else {
        memcpy(c.u.inet4.addr, a.u.inet4, 4);
        c.u.inet4.prefix = prefix;
    }
    return c;
}

static wasixnet_addr_cidr_t net_fs(const char *s, uint32_t flow, uint32_t scope)
{
    wasixnet_addr_cidr_t c = net(s);
    if (c.tag == V6)
        set_fs(&c.u.inet6.addr, flow, scope);
    return c;
}

static wasixnet_option_timestamp_t ots(uint8_t tag, uint64_t value)
{
    wasixnet_option_timestamp_t t;
    memset(&t, 0, sizeof t);
    t.tag = tag;
    t.value = value;
    return t;
}
#define NONE ots(0, 0)
#define AT(rel) ots(1, T0 + (uint64_t)(int64_t)(rel))

static wasixnet_route_t RX(wasixnet_addr_cidr_t c, wasixnet_addr_t v, wasixnet_option_timestamp_t pu,
                           wasixnet_option_timestamp_t ea)
{
    wasixnet_route_t r;
    memset(&r, 0, sizeof r);
    r.cidr = c;
    r.via_router = v;
    r.preferred_until = pu;
    r.expires_at = ea;
    return r;
}
static wasixnet_route_t R(const char *cidr, const char *via_router, wasixnet_option_timestamp_t pu,
                          wasixnet_option_timestamp_t ea)
{
    return RX(net(cidr), ip(via_router), pu, ea);
}

/* --- Byte images -----------------------------------------------------------------------------
 * What a struct must look like in memory, built from its meaningful fields only: every other byte
 * is zero (CONTRACT §3.3 "bytes with no meaning ... are zero"). `input` images are what a guest
 * writes (Wasmer layout: IPv6 groups as little-endian u16s); output images are what the library
 * writes (network-order IPv6 bytes). */

enum { LAYOUT_V1 = WASIXNET_LAYOUT_WASIX_V1, LAYOUT_WASMER = WASIXNET_LAYOUT_WASMER, TS_SIZE = 16, MAX_IMG = 176 };
static const struct {
    size_t addr, cidr, route, via, pu, ea, v6_prefix;
} shapes[2] = {
    [LAYOUT_V1] = { 110, 28, 176, 28, 144, 160, 26 },  /* CONTRACT §2 */
    [LAYOUT_WASMER] = { 18, 19, 72, 19, 40, 56, 18 },  /* CONTRACT §3.2 */
};

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static uint64_t get_le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = n; i-- > 0;)
        v = v << 8 | p[i];
    return v;
}

static void img_ip6(int layout, bool input, const wasixnet_addr_ip6_t *a, uint8_t *out)
{
    for (unsigned k = 0; k < 16; k++)
        out[k] = layout == LAYOUT_WASMER && input ? a->octets[k ^ 1] : a->octets[k];
    if (layout == LAYOUT_V1) {
        put_le(out + 16, a->flow_info1, 2);
        put_le(out + 18, a->flow_info0, 2);
        put_le(out + 20, a->scope_id1, 2);
        put_le(out + 22, a->scope_id0, 2);
    }
}
static size_t img_addr(int layout, bool input, const wasixnet_addr_t *a, uint8_t *out)
{
    memset(out, 0, shapes[layout].addr);
    out[0] = a->tag;
    if (a->tag == V4)
        memcpy(out + 2, a->u.inet4, 4);
    else if (a->tag == V6)
        img_ip6(layout, input, &a->u.inet6, out + 2);
    return shapes[layout].addr;
}
static size_t img_cidr(int layout, bool input, const wasixnet_addr_cidr_t *c, uint8_t *out)
{
    memset(out, 0, shapes[layout].cidr);
    out[0] = c->tag;
    if (c->tag == V4) {
        memcpy(out + 2, c->u.inet4.addr, 4);
        out[6] = c->u.inet4.prefix;
    } else if (c->tag == V6) {
        img_ip6(layout, input, &c->u.inet6.addr, out + 2);
        out[shapes[layout].v6_prefix] = c->u.inet6.prefix;
    }
    return shapes[layout].cidr;
}
static size_t img_ts(bool input, const wasixnet_option_timestamp_t *t, uint8_t *out)
{
    memset(out, 0, TS_SIZE);
    out[0] = t->tag;
    if (input || t->tag == WASIXNET_OPTION_SOME)
        put_le(out + 8, t->value, 8);
    return TS_SIZE;
}
static size_t img_route(int layout, const wasixnet_route_t *r, uint8_t *out)
{
    memset(out, 0, shapes[layout].route);
    img_cidr(layout, false, &r->cidr, out);
    img_addr(layout, false, &r->via_router, out + shapes[layout].via);
    img_ts(false, &r->preferred_until, out + shapes[layout].pu);
    img_ts(false, &r->expires_at, out + shapes[layout].ea);
    return shapes[layout].route;
}

/* Text of a wasix_v1 image, for failure messages. */
static void fmt_addr_img(const uint8_t *b, char *out, size_t n)
{
    char s[INET6_ADDRSTRLEN] = "?";
    if (b[0] == V4) {
        inet_ntop(AF_INET, b + 2, s, sizeof s);
        snprintf(out, n, "%s", s);
    } else if (b[0] == V6) {
        inet_ntop(AF_INET6, b + 2, s, sizeof s);
        const uint64_t flow = get_le(b + 18, 2) << 16 | get_le(b + 20, 2);
        const uint64_t scope = get_le(b + 22, 2) << 16 | get_le(b + 24, 2);
        if (flow || scope)
            snprintf(out, n, "%s(flow 0x%" PRIx64 ", scope 0x%" PRIx64 ")", s, flow, scope);
        else
            snprintf(out, n, "%s", s);
    } else {
        snprintf(out, n, b[0] == 0 ? "unspec" : "tag %u", b[0]);
    }
}
static void fmt_cidr_img(const uint8_t *b, char *out, size_t n)
{
    char a[96];
    fmt_addr_img(b, a, sizeof a);
    snprintf(out, n, "%s/%u", a, b[0] == V4 ? b[6] : b[0] == V6 ? b[26] : 0);
}
static void fmt_ts_img(const uint8_t *b, char *out, size_t n)
{
    const uint64_t v = get_le(b + 8, 8);
    if (b[0] == 0 && v == 0)
        snprintf(out, n, "none");
    else if (b[0] == 1)
        snprintf(out, n, "T0%+" PRId64, (int64_t)(v - T0));
    else
        snprintf(out, n, "tag %u value %" PRIu64, b[0], v);
}
static void fmt_route_img(const uint8_t *b, char *out, size_t n)
{
    char c[112], v[112], p[48], e[48];
    fmt_cidr_img(b, c, sizeof c);
    fmt_addr_img(b + 28, v, sizeof v);
    fmt_ts_img(b + 144, p, sizeof p);
    fmt_ts_img(b + 160, e, sizeof e);
    snprintf(out, n, "{%s via %s, preferred %s, expires %s}", c, v, p, e);
}

/* ============================================================================================
 * Fake clock, embedder hooks, ports, state snapshots, list checks
 * ========================================================================================== */

typedef struct {
    uint64_t now;
    unsigned calls, bad_ctx;
    wasixnet_port_t *reenter; /* when set, every clock call first lists this port's routes */
    unsigned depth;
} fake_clock_t;
static fake_clock_t clk;

static wasixnet_timestamp_t clock_hook(void *ctx)
{
    if (ctx != &clk) {
        clk.bad_ctx++;
        return clk.now;
    }
    clk.calls++;
    if (clk.reenter != NULL && clk.depth == 0) {
        wasixnet_route_t r;
        uint32_t n = 1;
        clk.depth++;
        (void)w_route_list(clk.reenter, &r, &n);
        clk.depth--;
    }
    return clk.now;
}

typedef struct {
    unsigned bridge_calls, unbridge_calls, dhcp_calls, bad_ctx;
    char network[64], token[64];
    size_t network_len, token_len;
    uint8_t security;
    wasixnet_errno_t bridge_ret, unbridge_ret;
    wasixnet_port_t *dhcp_port;
} hooks_t;
static hooks_t hk;
#define DHCP_ADDR "10.77.0.9/16"

static void copy_str(char *dst, size_t cap, const char *src, size_t len)
{
    memset(dst, 0, cap);
    if (src != NULL)
        memcpy(dst, src, len < cap - 1 ? len : cap - 1);
}
static wasixnet_errno_t bridge_hook(void *ctx, const char *network, size_t network_len, const char *token,
                                    size_t token_len, uint8_t security)
{
    if (ctx != &hk) {
        hk.bad_ctx++;
        return WASIXNET_EIO;
    }
    hk.bridge_calls++;
    copy_str(hk.network, sizeof hk.network, network, network_len);
    copy_str(hk.token, sizeof hk.token, token, token_len);
    hk.network_len = network_len;
    hk.token_len = token_len;
    hk.security = security;
    return hk.bridge_ret;
}
static wasixnet_errno_t unbridge_hook(void *ctx)
{
    if (ctx != &hk) {
        hk.bad_ctx++;
        return WASIXNET_EIO;
    }
    hk.unbridge_calls++;
    return hk.unbridge_ret;
}
/* Re-enters the library: adds DHCP_ADDR to the port it is given and returns that call's errno. */
static wasixnet_errno_t dhcp_hook(void *ctx, wasixnet_port_t *port)
{
    if (ctx != &hk) {
        hk.bad_ctx++;
        return WASIXNET_EIO;
    }
    hk.dhcp_calls++;
    hk.dhcp_port = port;
    const wasixnet_addr_cidr_t c = net(DHCP_ADDR);
    return w_addr_add(port, &c);
}
static unsigned hook_calls(void) { return hk.bridge_calls + hk.unbridge_calls + hk.dhcp_calls; }

static const uint8_t MAC1[6] = { 0x00, 0x1b, 0x21, 0x0a, 0x0b, 0x0c };

static wasixnet_port_config_t cfg_basic(void)
{
    wasixnet_port_config_t c;
    memset(&c, 0, sizeof c);
    c.struct_size = sizeof c;
    c.clock = clock_hook;
    c.clock_ctx = &clk;
    return c;
}
static wasixnet_port_config_t cfg_hooks(void)
{
    wasixnet_port_config_t c = cfg_basic();
    c.has_mac = 1;
    memcpy(c.mac, MAC1, 6);
    c.bridge = bridge_hook;
    c.unbridge = unbridge_hook;
    c.dhcp_acquire = dhcp_hook;
    c.hooks_ctx = &hk;
    return c;
}

static wasixnet_port_t *new_port_(where_t w, const wasixnet_port_config_t *c)
{
    wasixnet_port_t *p = NULL;
    check_err(w, "port_new", OK, w_port_new(c, &p));
    check_true(w, "port_new stored a port", p != NULL);
    return p;
}
#define NEW_PORT(cfg) new_port_(HERE, (cfg))

/* Adds a route / an address that a test needs as a precondition. */
static void add_route_(where_t w, wasixnet_port_t *p, const wasixnet_route_t *r)
{
    char what[420], t[400];
    uint8_t img[MAX_IMG];
    img_route(LAYOUT_V1, r, img);
    fmt_route_img(img, t, sizeof t);
    snprintf(what, sizeof what, "route_add %s", t);
    check_err(w, what, OK, w_route_add(p, &r->cidr, &r->via_router, &r->preferred_until, &r->expires_at));
}
static void add_addr_(where_t w, wasixnet_port_t *p, const wasixnet_addr_cidr_t *c)
{
    char what[160], t[120];
    uint8_t img[MAX_IMG];
    img_cidr(LAYOUT_V1, false, c, img);
    fmt_cidr_img(img, t, sizeof t);
    snprintf(what, sizeof what, "addr_add %s", t);
    check_err(w, what, OK, w_addr_add(p, c));
}
#define ADD_ROUTE(p, r) add_route_(HERE, (p), (const wasixnet_route_t[]){ r })
#define ADD_ADDR(p, s) add_addr_(HERE, (p), (const wasixnet_addr_cidr_t[]){ net(s) })

/* Everything observable about a port, to check that a failed call changed nothing. */
enum { SNAP_MAX = 64 };
typedef struct {
    wasixnet_errno_t er, ea, em;
    uint32_t nr, na;
    wasixnet_route_t r[SNAP_MAX];
    wasixnet_addr_cidr_t a[SNAP_MAX];
    wasixnet_hardware_address_t mac;
} state_t;

static void get_state(wasixnet_port_t *p, state_t *s)
{
    memset(s, 0, sizeof *s);
    s->nr = s->na = SNAP_MAX;
    s->er = w_route_list(p, s->r, &s->nr);
    s->ea = w_addr_list(p, s->a, &s->na);
    s->em = w_mac(p, &s->mac);
}
static bool same_state_(where_t w, wasixnet_port_t *p, const state_t *before)
{
    static state_t now;
    get_state(p, &now);
    if (now.nr != before->nr || now.na != before->na)
        return report(w, false, "port changed by a failed call: %u routes / %u addresses before, %u / %u after",
                      before->nr, before->na, now.nr, now.na);
    return check_true(w, "port unchanged by a failed call (route_list, addr_list, mac byte-identical)",
                      memcmp(&now, before, sizeof now) == 0);
}
#define SAME_STATE(p, before) same_state_(HERE, (p), (before))

enum { LIST_ROUTES, LIST_ADDRS };
static const struct {
    int fn, guest_fn;
    const char *name;
} list_kinds[2] = {
    [LIST_ROUTES] = { F_port_route_list, F_guest_port_route_list, "route_list" },
    [LIST_ADDRS] = { F_port_addr_list, F_guest_port_addr_list, "addr_list" },
};
static size_t stride_of(int which, int layout)
{
    return which == LIST_ROUTES ? shapes[layout].route : shapes[layout].cidr;
}
static size_t img_entry(int which, int layout, const void *entries, size_t i, uint8_t *out)
{
    if (which == LIST_ROUTES)
        return img_route(layout, &((const wasixnet_route_t *)entries)[i], out);
    return img_cidr(layout, false, &((const wasixnet_addr_cidr_t *)entries)[i], out);
}
static void fmt_entry(int which, const uint8_t *img, char *out, size_t n)
{
    if (which == LIST_ROUTES)
        fmt_route_img(img, out, n);
    else
        fmt_cidr_img(img, out, n);
}

/* Entries in host memory (wasix_v1 layout) against the expected ones, byte for byte. */
static bool check_entries(where_t w, const char *what, int which, const void *exp, const uint8_t *got, uint32_t n)
{
    const size_t s = stride_of(which, LAYOUT_V1);
    uint8_t img[MAX_IMG];
    for (uint32_t i = 0; i < n; i++) {
        img_entry(which, LAYOUT_V1, exp, i, img);
        if (memcmp(img, got + i * s, s) != 0) {
            size_t j = 0;
            while (img[j] == got[i * s + j])
                j++;
            char te[400], tg[400];
            fmt_entry(which, img, te, sizeof te);
            fmt_entry(which, got + i * s, tg, sizeof tg);
            return report(w, false, "%s: entry %u: expected %s, got %s (first difference at byte %zu: %02x vs %02x)",
                          what, i, te, tg, j, img[j], got[i * s + j]);
        }
    }
    return report(w, true, "");
}

/* A host list call against the expected entries: with capacity n only, or with every capacity
 * around n (0 .. n+1). The buffer is pre-filled with 0xAA, one entry larger than the capacity. */
static void expect_list_(where_t w, int which, wasixnet_port_t *p, const void *exp, uint32_t n, bool all_caps)
{
    const size_t stride = stride_of(which, LAYOUT_V1);
    uint32_t caps[8];
    size_t ncaps = 0;
    if (!all_caps)
        caps[ncaps++] = n;
    else if (n <= 5)
        for (uint32_t c = 0; c <= n + 1; c++)
            caps[ncaps++] = c;
    else {
        const uint32_t c5[5] = { 0, 1, n - 1, n, n + 1 };
        memcpy(caps, c5, sizeof c5);
        ncaps = 5;
    }
    for (size_t ci = 0; ci < ncaps; ci++) {
        const uint32_t cap = caps[ci], written = cap < n ? cap : n;
        uint8_t *buf = malloc((cap + 1) * stride);
        char what[160];
        if (buf == NULL)
            die("out of memory");
        memset(buf, 0xAA, (cap + 1) * stride);
        uint32_t count = cap;
        void *vbuf = buf;
        const wasixnet_errno_t e = E(call_id(list_kinds[which].fn, AV(&p, &vbuf, &(uint32_t *){ &count })));
        snprintf(what, sizeof what, "%s with capacity %u: errno", list_kinds[which].name, cap);
        check_err(w, what, cap < n ? EOVERFLOW_ : OK, e);
        snprintf(what, sizeof what, "%s with capacity %u: count written back", list_kinds[which].name, cap);
        check_u64(w, what, n, count);
        snprintf(what, sizeof what, "%s with capacity %u: entries", list_kinds[which].name, cap);
        check_entries(w, what, which, exp, buf, written);
        snprintf(what, sizeof what, "%s with capacity %u: the entry past the capacity untouched",
                 list_kinds[which].name, cap);
        check_filled(w, what, buf + cap * stride, 0xAA, stride);
        free(buf);
    }
}
#define EXPECT_ROUTES(p, ...)                                                                                \
    expect_list_(HERE, LIST_ROUTES, (p), (const wasixnet_route_t[]){ __VA_ARGS__ },                          \
                 (uint32_t)(sizeof((const wasixnet_route_t[]){ __VA_ARGS__ }) / sizeof(wasixnet_route_t)), false)
#define EXPECT_ADDRS(p, ...)                                                                                 \
    expect_list_(HERE, LIST_ADDRS, (p), (const wasixnet_addr_cidr_t[]){ __VA_ARGS__ },                       \
                 (uint32_t)(sizeof((const wasixnet_addr_cidr_t[]){ __VA_ARGS__ }) / sizeof(wasixnet_addr_cidr_t)), \
                 false)
#define EXPECT_NO_ROUTES(p) expect_list_(HERE, LIST_ROUTES, (p), NULL, 0, false)
#define EXPECT_NO_ADDRS(p) expect_list_(HERE, LIST_ADDRS, (p), NULL, 0, false)

/* route_lookup(dst): errno, and on success the whole route (byte image) and the deprecated flag.
 * The same lookup is repeated with deprecated = NULL (nullable). */
static void expect_lookup_(where_t w, wasixnet_port_t *p, const char *dst, wasixnet_errno_t want,
                           const wasixnet_route_t *want_route, uint8_t want_dep)
{
    const wasixnet_addr_t d = ip(dst);
    wasixnet_route_t out;
    uint8_t dep = 0xAA, img[MAX_IMG];
    char what[200], te[400], tg[400];
    memset(&out, 0xAA, sizeof out);
    snprintf(what, sizeof what, "route_lookup(%s): errno", dst);
    const bool ok = check_err(w, what, want, w_route_lookup(p, &d, &out, &dep));
    if (ok && want == OK) {
        img_route(LAYOUT_V1, want_route, img);
        fmt_route_img(img, te, sizeof te);
        fmt_route_img((const uint8_t *)&out, tg, sizeof tg);
        report(w, memcmp(img, &out, sizeof out) == 0, "route_lookup(%s): expected %s, got %s (byte image differs)",
               dst, te, tg);
        snprintf(what, sizeof what, "route_lookup(%s): deprecated", dst);
        check_u64(w, what, want_dep, dep);
    }
    snprintf(what, sizeof what, "route_lookup(%s) with deprecated = NULL: errno", dst);
    check_err(w, what, want, w_route_lookup(p, &d, &out, NULL));
}
#define EXPECT_LOOKUP(p, dst, route, dep) \
    expect_lookup_(HERE, (p), (dst), OK, (const wasixnet_route_t[]){ route }, (dep))
#define EXPECT_NO_LOOKUP(p, dst, err) expect_lookup_(HERE, (p), (dst), (err), NULL, 0)

/* ============================================================================================
 * Section: versions and error names
 * ========================================================================================== */

static void test_versions(void)
{
    section = "versions";
    CHECK_EQ(1, w_abi_version());
    CHECK_EQ(WASIXNET_ABI_VERSION, w_abi_version());
    CHECK_STR("0.1.0", w_version());
    CHECK_STR(WASIXNET_VERSION_STRING, w_version());
    for (unsigned e = 0; e < WASIXNET_ERRNO_COUNT; e++) {
        set_context("errno %u", e);
        CHECK_STR(errno_names[e], w_errno_name((wasixnet_errno_t)e));
    }
    static const struct {
        wasixnet_errno_t e;
        const char *name;
    } named[] = {
        { 0, "SUCCESS" },        { 1, "2BIG" },           { 20, "EXIST" },         { 21, "FAULT" },
        { 28, "INVAL" },         { 40, "NETUNREACH" },    { 44, "NOENT" },         { 48, "NOMEM" },
        { 58, "NOTSUP" },        { 61, "OVERFLOW" },      { 80, "PENDING" },       { 81, "UNKNOWN_ERRNO" },
        { 82, "UNKNOWN_ERRNO" }, { 255, "UNKNOWN_ERRNO" }, { 256, "UNKNOWN_ERRNO" }, { 65535, "UNKNOWN_ERRNO" },
    };
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++) {
        set_context("errno_name(%u)", named[i].e);
        CHECK_STR(named[i].name, w_errno_name(named[i].e));
    }
    clear_context();
}

/* ============================================================================================
 * Section: port_new and the MAC
 * ========================================================================================== */

static bool local_unicast(const wasixnet_hardware_address_t *m) { return (m->octets[0] & 3) == 2; }

static void test_port_new(void)
{
    section = "port_new";
    wasixnet_hardware_address_t m1, m2, m3;
    wasixnet_port_t *p = NULL;

    /* NULL config: every default; a random locally administered unicast MAC, stable */
    CHECK_ERR(OK, w_port_new(NULL, &p));
    CHECK(p != NULL);
    CHECK_ERR(OK, w_mac(p, &m1));
    CHECK(local_unicast(&m1));
    CHECK_ERR(OK, w_mac(p, &m2));
    CHECK_MEM(&m1, &m2, 6);
    wasixnet_port_t *q = NEW_PORT(NULL);
    CHECK_ERR(OK, w_mac(q, &m3));
    CHECK(local_unicast(&m3));
    report(HERE, memcmp(&m1, &m3, 6) != 0, "two ports got the same random MAC");
    w_port_free(p);
    w_port_free(q);
    w_port_free(NULL); /* a no-op */

    wasixnet_port_config_t c = cfg_basic();
    CHECK_ERR(EFAULT_, w_port_new(NULL, NULL));
    CHECK_ERR(EFAULT_, w_port_new(&c, NULL));

    /* configured MAC; has_mac == 0 ignores the mac bytes */
    c.has_mac = 1;
    memcpy(c.mac, MAC1, 6);
    p = NEW_PORT(&c);
    CHECK_ERR(OK, w_mac(p, &m1));
    CHECK_MEM(MAC1, &m1, 6);
    CHECK_ERR(OK, w_mac(p, &m2));
    CHECK_MEM(MAC1, &m2, 6);
    w_port_free(p);
    c.has_mac = 0;
    p = NEW_PORT(&c);
    CHECK_ERR(OK, w_mac(p, &m1));
    CHECK(local_unicast(&m1));
    CHECK_ERR(OK, w_mac(p, &m2));
    CHECK_MEM(&m1, &m2, 6);
    w_port_free(p);

    /* struct_size and flags */
    const long S = (long)sizeof(wasixnet_port_config_t);
    static const struct {
        const char *what;
        long size_delta; /* struct_size = sizeof(wasixnet_port_config_t) + size_delta */
        uint32_t flags;
        wasixnet_errno_t want;
    } cases[] = {
        { "struct_size 0", -72, 0, EINVAL_ },
        { "struct_size 4", -68, 0, EINVAL_ },
        { "struct_size sizeof - 8 (no hooks_ctx)", -8, 0, EINVAL_ },
        { "struct_size sizeof - 1", -1, 0, EINVAL_ },
        { "struct_size sizeof", 0, 0, OK },
        { "struct_size sizeof + 64 (a newer header's zeroed fields)", 64, 0, OK },
        { "flags WASIXNET_PORT_ENFORCE_ROUTES", 0, WASIXNET_PORT_ENFORCE_ROUTES, OK },
        { "flags 2 (unknown bit)", 0, 2, EINVAL_ },
        { "flags 3 (known + unknown bit)", 0, 3, EINVAL_ },
        { "flags 0x80000000", 0, 0x80000000u, EINVAL_ },
        { "flags 0xffffffff", 0, 0xffffffffu, EINVAL_ },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        union {
            wasixnet_port_config_t c;
            uint8_t bytes[sizeof(wasixnet_port_config_t) + 64];
        } big;
        memset(&big, 0, sizeof big);
        big.c = cfg_basic();
        big.c.struct_size = (uint32_t)(S + cases[i].size_delta);
        big.c.flags = cases[i].flags;
        set_context("%s", cases[i].what);
        p = NULL;
        CHECK_ERR(cases[i].want, w_port_new(&big.c, &p));
        if (cases[i].want == OK)
            CHECK(p != NULL);
        else
            report(HERE, p == NULL, "a failed port_new wrote %p to *out", (void *)p);
        w_port_free(p);
    }
    clear_context();
}

/* ============================================================================================
 * Section: NULL pointers. Every call, every required pointer argument set to NULL in turn
 * (the others valid): EFAULT, and the port and the hooks see nothing.
 * ========================================================================================== */

typedef union {
    void *p;
    uint64_t q;
    size_t z;
    uint8_t b;
} arg_t;
typedef struct {
    int fn;
    unsigned nullable; /* bit i: argument i may be NULL */
    arg_t a[8];        /* a[0], the port, is filled in at run time */
} nullcase_t;

static wasixnet_addr_cidr_t nc_cidr, nc_cidrs[4];
static wasixnet_addr_t nc_addr;
static wasixnet_option_timestamp_t nc_ts;
static wasixnet_route_t nc_route, nc_routes[4];
static wasixnet_hardware_address_t nc_mac;
static uint32_t nc_count;
static uint8_t nc_dep;
static wasixnet_guest_t nc_guest;

#define AP(x) { .p = (void *)(x) }
#define AQ(x) { .q = (x) }
static const nullcase_t null_cases[] = {
    { F_port_bridge, 0, { AP(0), AP("net0"), { .z = 4 }, AP("tok"), { .z = 3 }, { .b = 1 } } },
    { F_port_unbridge, 0, { AP(0) } },
    { F_port_dhcp_acquire, 0, { AP(0) } },
    { F_port_addr_add, 0, { AP(0), AP(&nc_cidr) } },
    { F_port_addr_remove, 0, { AP(0), AP(&nc_addr) } },
    { F_port_addr_clear, 0, { AP(0) } },
    { F_port_addr_list, 0, { AP(0), AP(nc_cidrs), AP(&nc_count) } },
    { F_port_mac, 0, { AP(0), AP(&nc_mac) } },
    { F_port_gateway_set, 0, { AP(0), AP(&nc_addr) } },
    { F_port_route_add, 0, { AP(0), AP(&nc_cidr), AP(&nc_addr), AP(&nc_ts), AP(&nc_ts) } },
    { F_port_route_remove, 0, { AP(0), AP(&nc_addr) } },
    { F_port_route_clear, 0, { AP(0) } },
    { F_port_route_list, 0, { AP(0), AP(nc_routes), AP(&nc_count) } },
    { F_port_route_lookup, 1u << 3, { AP(0), AP(&nc_addr), AP(&nc_route), AP(&nc_dep) } },
    { F_guest_port_bridge, 0, { AP(0), AP(&nc_guest), AQ(0x100), AQ(4), AQ(0x200), AQ(3), AQ(1) } },
    { F_guest_port_unbridge, 0, { AP(0), AP(&nc_guest) } },
    { F_guest_port_dhcp_acquire, 0, { AP(0), AP(&nc_guest) } },
    { F_guest_port_addr_add, 0, { AP(0), AP(&nc_guest), AQ(0x100) } },
    { F_guest_port_addr_remove, 0, { AP(0), AP(&nc_guest), AQ(0x100) } },
    { F_guest_port_addr_clear, 0, { AP(0), AP(&nc_guest) } },
    { F_guest_port_addr_list, 0, { AP(0), AP(&nc_guest), AQ(0x100), AQ(0x2000) } },
    { F_guest_port_mac, 0, { AP(0), AP(&nc_guest), AQ(0x100) } },
    { F_guest_port_gateway_set, 0, { AP(0), AP(&nc_guest), AQ(0x100) } },
    { F_guest_port_route_add, 0, { AP(0), AP(&nc_guest), AQ(0x100), AQ(0x200), AQ(0x300), AQ(0x400) } },
    { F_guest_port_route_remove, 0, { AP(0), AP(&nc_guest), AQ(0x100) } },
    { F_guest_port_route_clear, 0, { AP(0), AP(&nc_guest) } },
    { F_guest_port_route_list, 0, { AP(0), AP(&nc_guest), AQ(0x100), AQ(0x2000) } },
};

static uint8_t nc_memory[0x4000];

static void test_null_pointers(void)
{
    section = "null pointers";
    memset(&hk, 0, sizeof hk);
    clk.now = T0;
    const wasixnet_port_config_t c = cfg_hooks();
    wasixnet_port_t *port = NEW_PORT(&c);
    ADD_ADDR(port, "10.0.0.5/24");
    ADD_ROUTE(port, R("10.1.0.0/16", "10.0.0.1", NONE, NONE));
    nc_cidr = net("10.200.0.0/16");
    nc_addr = ip("192.168.9.9");
    nc_ts = NONE;
    nc_guest = (wasixnet_guest_t){ nc_memory, sizeof nc_memory, 4, LAYOUT_V1 };
    memset(nc_memory, 0, sizeof nc_memory);
    const unsigned hooks_before = hook_calls();
    static state_t before;
    for (size_t ci = 0; ci < sizeof null_cases / sizeof null_cases[0]; ci++) {
        const nullcase_t *nc = &null_cases[ci];
        const fn_t *f = &fns[nc->fn];
        for (unsigned i = 0; i < f->nargs; i++) {
            if (f->sig[1 + i] != 'p' || (nc->nullable >> i & 1u))
                continue;
            arg_t a[8];
            void *av[8];
            memcpy(a, nc->a, sizeof a);
            a[0].p = port;
            a[i].p = NULL;
            for (unsigned k = 0; k < f->nargs; k++)
                av[k] = &a[k];
            nc_count = 4;
            set_context("%s with argument %u (%s) NULL", f->symbol, i, i == 0 ? "port" : "pointer");
            get_state(port, &before);
            const uint8_t mem_before = nc_memory[0x100];
            CHECK_ERR(EFAULT_, E(call_id(nc->fn, av)));
            SAME_STATE(port, &before);
            CHECK_EQ(mem_before, nc_memory[0x100]);
        }
    }
    clear_context();
    CHECK_EQ(hooks_before, hook_calls());
    /* "Both pointers are required, even with a capacity of 0." */
    uint32_t zero = 0;
    CHECK_ERR(EFAULT_, w_route_list(port, NULL, &zero));
    zero = 0;
    CHECK_ERR(EFAULT_, w_addr_list(port, NULL, &zero));
    w_port_free(port);
}

/* ============================================================================================
 * Section: route_add validation, in the contract's order. Good and bad cases are interleaved;
 * after each bad one the port must be unchanged, and at the end the list holds exactly the
 * good ones, in order, with every meaningless byte zero.
 * ========================================================================================== */

typedef struct {
    uint8_t tag;
    int64_t rel; /* tag 1: T0 + rel; otherwise the raw value */
} tsdef_t;

static wasixnet_option_timestamp_t ts_of(tsdef_t d)
{
    return ots(d.tag, d.tag == 1 ? T0 + (uint64_t)d.rel : (uint64_t)d.rel);
}

static void scribble(void *obj, size_t from, size_t to) { memset((uint8_t *)obj + from, 0x5A, to - from); }
/* Fills every byte without meaning (padding, the unused part of unions, a none's value). */
static void scribble_cidr(wasixnet_addr_cidr_t *c)
{
    scribble(c, 1, 2);
    scribble(c, c->tag == V4 ? 7 : 27, sizeof *c);
}
static void scribble_addr(wasixnet_addr_t *a)
{
    scribble(a, 1, 2);
    scribble(a, a->tag == V4 ? 6 : a->tag == V6 ? 26 : 2, sizeof *a);
}
static void scribble_ts(wasixnet_option_timestamp_t *t)
{
    scribble(t, 1, 8);
    if (t->tag == 0)
        t->value = UINT64_C(0x5A5A5A5A5A5A5A5A);
}

typedef struct {
    const char *what, *cidr, *via;
    tsdef_t pu, ea;
    wasixnet_errno_t want;
    uint32_t flow, scope; /* IPv6 flow info and scope id, for the CIDR and the router */
    bool garbage;         /* scribble on every byte without meaning */
} radd_case_t;
#define TSOME(rel) { 1, (rel) }

static const radd_case_t radd_cases[] = {
    /* 1. family tag */
    { .what = "cidr tag unspec", .cidr = "#0", .via = "192.168.1.1", .want = EINVAL_ },
    { .what = "cidr tag unix", .cidr = "#3", .via = "192.168.1.1", .want = EINVAL_ },
    { .what = "cidr tag 200", .cidr = "#200", .via = "192.168.1.1", .want = EINVAL_ },
    /* 2. prefix length */
    { .what = "IPv4 prefix 33", .cidr = "10.1.0.0/33", .via = "192.168.1.1", .want = EINVAL_ },
    { .what = "IPv4 prefix 255", .cidr = "10.1.0.0/255", .via = "192.168.1.1", .want = EINVAL_ },
    { .what = "IPv6 prefix 129", .cidr = "2001:db8::/129", .via = "fe80::1", .want = EINVAL_ },
    { .what = "IPv4 /32 (longest prefix)", .cidr = "10.9.9.9/32", .via = "192.168.1.1", .want = OK },
    { .what = "IPv6 /128 on-link", .cidr = "2001:db8::1/128", .via = "", .want = OK },
    /* 3. host bits */
    { .what = "host bits 10.1.2.3/24", .cidr = "10.1.2.3/24", .via = "192.168.1.1", .want = EINVAL_ },
    { .what = "host bits 0.0.0.1/0", .cidr = "0.0.0.1/0", .via = "192.168.1.1", .want = EINVAL_ },
    { .what = "host bits 2001:db8::1/64", .cidr = "2001:db8::1/64", .via = "fe80::1", .want = EINVAL_ },
    { .what = "host bits 2001:db8::1/127", .cidr = "2001:db8::1/127", .via = "fe80::1", .want = EINVAL_ },
    /* 4. router family */
    { .what = "IPv6 router for an IPv4 CIDR", .cidr = "10.1.0.0/16", .via = "2001:db8::1", .want = EINVAL_ },
    { .what = "IPv4-mapped IPv6 router for an IPv4 CIDR", .cidr = "10.1.0.0/16", .via = "::ffff:192.168.1.1",
      .want = EINVAL_ },
    { .what = "IPv4 router for an IPv6 CIDR", .cidr = "2001:db8::/32", .via = "192.168.1.1", .want = EINVAL_ },
    { .what = "router tag unix", .cidr = "10.1.0.0/16", .via = "#3", .want = EINVAL_ },
    { .what = "router tag 9", .cidr = "10.1.0.0/16", .via = "#9", .want = EINVAL_ },
    /* 5. router unspecified / multicast / broadcast */
    { .what = "router 0.0.0.0", .cidr = "10.1.0.0/16", .via = "0.0.0.0", .want = EINVAL_ },
    { .what = "router ::", .cidr = "2001:db8::/32", .via = "::", .want = EINVAL_ },
    { .what = "router 224.0.0.1", .cidr = "10.1.0.0/16", .via = "224.0.0.1", .want = EINVAL_ },
    { .what = "router 239.255.255.250", .cidr = "10.1.0.0/16", .via = "239.255.255.250", .want = EINVAL_ },
    { .what = "router ff02::1", .cidr = "2001:db8::/32", .via = "ff02::1", .want = EINVAL_ },
    { .what = "router 255.255.255.255", .cidr = "10.1.0.0/16", .via = "255.255.255.255", .want = EINVAL_ },
    /* 6. option tags */
    { .what = "preferred_until tag 2", .cidr = "10.1.0.0/16", .via = "192.168.1.1", .pu = { 2, 100 },
      .want = EINVAL_ },
    { .what = "preferred_until tag 255", .cidr = "10.1.0.0/16", .via = "192.168.1.1", .pu = { 255, 0 },
      .want = EINVAL_ },
    { .what = "expires_at tag 2", .cidr = "10.1.0.0/16", .via = "192.168.1.1", .ea = { 2, 100 }, .want = EINVAL_ },
    /* 7. preferred_until > expires_at */
    { .what = "preferred_until > expires_at", .cidr = "10.1.0.0/16", .via = "192.168.1.1", .pu = TSOME(200),
      .ea = TSOME(100), .want = EINVAL_ },
    { .what = "preferred_until == expires_at", .cidr = "10.3.0.0/16", .via = "192.168.1.1", .pu = TSOME(50),
      .ea = TSOME(50), .want = OK },
    /* 8. expires_at <= now */
    { .what = "expires_at == now", .cidr = "10.1.0.0/16", .via = "192.168.1.1", .ea = TSOME(0), .want = EINVAL_ },
    { .what = "expires_at == now - 1", .cidr = "10.1.0.0/16", .via = "192.168.1.1", .ea = TSOME(-1),
      .want = EINVAL_ },
    { .what = "expires_at == 0", .cidr = "10.1.0.0/16", .via = "192.168.1.1", .ea = { 1, -(int64_t)T0 },
      .want = EINVAL_ },
    { .what = "expires_at == now + 1, preferred_until in the past", .cidr = "10.2.0.0/16", .via = "",
      .pu = TSOME(-5), .ea = TSOME(1), .want = OK },
    /* 9. duplicates, after every validation rule */
    { .what = "same CIDR as a live route", .cidr = "10.0.0.0/8", .via = "192.168.0.9", .want = EEXIST_ },
    { .what = "same CIDR, on-link", .cidr = "10.0.0.0/8", .via = "", .want = EEXIST_ },
    { .what = "same CIDR with a multicast router (EINVAL first)", .cidr = "10.0.0.0/8", .via = "224.0.0.1",
      .want = EINVAL_ },
    { .what = "same CIDR, expired expires_at (EINVAL first)", .cidr = "10.0.0.0/8", .via = "192.168.0.9",
      .ea = TSOME(0), .want = EINVAL_ },
    { .what = "same CIDR, host bits (EINVAL first)", .cidr = "10.0.0.1/8", .via = "192.168.0.9", .want = EINVAL_ },
    { .what = "10.0.0.0/9 is another CIDR", .cidr = "10.0.0.0/9", .via = "192.168.0.9", .want = OK },
    /* precision of what is listed */
    { .what = "default route via route_add", .cidr = "0.0.0.0/0", .via = "10.0.0.1", .want = OK },
    { .what = "IPv6 flow info and scope id echoed", .cidr = "2001:db8:1::/48", .via = "fe80::1",
      .ea = TSOME(1000), .flow = 0xABCDE, .scope = 0x10002, .want = OK },
    { .what = "none timestamps with non-zero values", .cidr = "10.4.0.0/16", .via = "192.168.1.1",
      .pu = { 0, 12345 }, .ea = { 0, 777 }, .want = OK },
    { .what = "garbage in every meaningless byte (v4, on-link)", .cidr = "10.5.0.0/16", .via = "", .pu = TSOME(10),
      .garbage = true, .want = OK },
    { .what = "garbage in every meaningless byte (v6, via)", .cidr = "2001:db8:5::/48", .via = "fe80::5",
      .ea = TSOME(10), .flow = 7, .scope = 9, .garbage = true, .want = OK },
};
enum { N_RADD = sizeof radd_cases / sizeof radd_cases[0] };

static void test_route_add_validation(void)
{
    section = "route_add";
    clk.now = T0;
    const wasixnet_port_config_t c = cfg_basic();
    wasixnet_port_t *p = NEW_PORT(&c);
    static wasixnet_route_t expected[N_RADD + 1];
    static state_t before;
    uint32_t n = 0;
    expected[n] = R("10.0.0.0/8", "192.168.0.1", NONE, NONE);
    add_route_(HERE, p, &expected[n++]);
    for (size_t i = 0; i < N_RADD; i++) {
        const radd_case_t *k = &radd_cases[i];
        set_context("case %zu: %s", i, k->what);
        wasixnet_addr_cidr_t cidr = net_fs(k->cidr, k->flow, k->scope);
        wasixnet_addr_t v = ip_fs(k->via, k->flow, k->scope);
        wasixnet_option_timestamp_t pu = ts_of(k->pu), ea = ts_of(k->ea);
        if (k->garbage) {
            scribble_cidr(&cidr);
            scribble_addr(&v);
            scribble_ts(&pu);
            scribble_ts(&ea);
        }
        get_state(p, &before);
        CHECK_ERR(k->want, w_route_add(p, &cidr, &v, &pu, &ea));
        if (k->want == OK)
            expected[n++] = RX(cidr, v, pu, ea);
        else
            SAME_STATE(p, &before);
    }
    clear_context();
    expect_list_(HERE, LIST_ROUTES, p, expected, n, true);
    w_port_free(p);
}

/* ============================================================================================
 * Section: limits (max_routes, max_addrs and their defaults; expired routes do not count)
 * ========================================================================================== */

static void test_limits(void)
{
    section = "limits";
    static state_t before;
    clk.now = T0;
    wasixnet_port_config_t c = cfg_basic();
    c.max_routes = 2;
    wasixnet_port_t *p = NEW_PORT(&c);
    const wasixnet_route_t A = R("10.1.0.0/16", "192.168.1.1", NONE, AT(100)), B = R("10.2.0.0/16", "", NONE, NONE),
                           C = R("10.3.0.0/16", "192.168.1.1", NONE, NONE);
    ADD_ROUTE(p, A);
    ADD_ROUTE(p, B);
    get_state(p, &before);
    CHECK_ERR(ENOMEM_, w_route_add(p, &C.cidr, &C.via_router, &C.preferred_until, &C.expires_at));
    SAME_STATE(p, &before);
    /* EEXIST and EINVAL come before ENOMEM */
    CHECK_ERR(EEXIST_, w_route_add(p, &B.cidr, &B.via_router, &B.preferred_until, &B.expires_at));
    const wasixnet_addr_cidr_t bad = net("10.3.0.1/16");
    CHECK_ERR(EINVAL_, w_route_add(p, &bad, &C.via_router, &C.preferred_until, &C.expires_at));
    /* the gateway's default route counts */
    const wasixnet_addr_t gw1 = ip("192.168.1.254"), gw2 = ip("192.168.1.253");
    CHECK_ERR(ENOMEM_, w_gateway_set(p, &gw1));
    SAME_STATE(p, &before);
    /* expired routes do not count */
    clk.now = T0 + 100;
    EXPECT_ROUTES(p, B);
    ADD_ROUTE(p, C);
    EXPECT_ROUTES(p, B, C);
    CHECK_ERR(ENOMEM_, w_route_add(p, &A.cidr, &A.via_router, &A.preferred_until, &C.expires_at)); /* full again */
    CHECK_ERR(OK, w_route_remove(p, (wasixnet_addr_t[]){ ip("10.2.0.0") }));
    CHECK_ERR(OK, w_gateway_set(p, &gw1));
    const wasixnet_route_t D1 = R("0.0.0.0/0", "192.168.1.254", NONE, NONE),
                           D2 = R("0.0.0.0/0", "192.168.1.253", NONE, NONE);
    EXPECT_ROUTES(p, C, D1);
    CHECK_ERR(ENOMEM_, w_route_add(p, &B.cidr, &B.via_router, &B.preferred_until, &B.expires_at));
    CHECK_ERR(OK, w_gateway_set(p, &gw2)); /* replacing needs no room */
    EXPECT_ROUTES(p, C, D2);
    w_port_free(p);

    /* max_addrs = 1 */
    c = cfg_basic();
    c.max_addrs = 1;
    p = NEW_PORT(&c);
    ADD_ADDR(p, "10.0.0.5/24");
    get_state(p, &before);
    const wasixnet_addr_cidr_t a2 = net("10.0.0.6/24"), a1b = net("10.0.0.5/16"), a0 = net("0.0.0.0/8");
    CHECK_ERR(ENOMEM_, w_addr_add(p, &a2));
    SAME_STATE(p, &before);
    CHECK_ERR(EEXIST_, w_addr_add(p, &a1b));
    CHECK_ERR(EINVAL_, w_addr_add(p, &a0));
    CHECK_ERR(OK, w_addr_remove(p, (wasixnet_addr_t[]){ ip("10.0.0.5") }));
    CHECK_ERR(OK, w_addr_add(p, &a2));
    EXPECT_ADDRS(p, net("10.0.0.6/24"));
    w_port_free(p);

    /* defaults (0): 4096 routes and 256 addresses */
    c = cfg_basic();
    p = NEW_PORT(&c);
    enum { NR = WASIXNET_PORT_DEFAULT_MAX_ROUTES, NA = WASIXNET_PORT_DEFAULT_MAX_ADDRS };
    CHECK_EQ(4096, NR);
    CHECK_EQ(256, NA);
    wasixnet_route_t *all = calloc(NR, sizeof *all);
    if (all == NULL)
        die("out of memory");
    const wasixnet_addr_t gw = ip("192.168.0.1");
    const wasixnet_option_timestamp_t none = NONE;
    unsigned bad_adds = 0;
    for (unsigned i = 0; i < NR; i++) {
        all[i] = RX(net("10.0.0.0/24"), gw, none, none);
        all[i].cidr.u.inet4.addr[1] = (uint8_t)(i >> 8);
        all[i].cidr.u.inet4.addr[2] = (uint8_t)i;
        bad_adds += w_route_add(p, &all[i].cidr, &gw, &none, &none) != OK;
    }
    CHECK_EQ(0, bad_adds);
    const wasixnet_addr_cidr_t extra = net("11.0.0.0/8");
    CHECK_ERR(ENOMEM_, w_route_add(p, &extra, &gw, &none, &none));
    expect_list_(HERE, LIST_ROUTES, p, all, NR, true);
    EXPECT_LOOKUP(p, "10.0.0.7", all[0], 0);
    EXPECT_LOOKUP(p, "10.4.210.7", all[1234], 0);
    EXPECT_LOOKUP(p, "10.15.255.7", all[4095], 0);
    EXPECT_NO_LOOKUP(p, "10.16.0.1", ENETUNREACH_);
    free(all);
    bad_adds = 0;
    for (unsigned i = 0; i < NA; i++) {
        wasixnet_addr_cidr_t a = net("10.100.0.1/24");
        a.u.inet4.addr[2] = (uint8_t)i;
        bad_adds += w_addr_add(p, &a) != OK;
    }
    CHECK_EQ(0, bad_adds);
    CHECK_ERR(ENOMEM_, w_addr_add(p, (wasixnet_addr_cidr_t[]){ net("10.101.0.1/24") }));
    uint32_t count = 0;
    wasixnet_addr_cidr_t one;
    CHECK_ERR(EOVERFLOW_, w_addr_list(p, &one, &count));
    CHECK_EQ(NA, count);
    w_port_free(p);
}

/* ============================================================================================
 * Section: list protocol on a mixed table
 * ========================================================================================== */

static void test_lists(void)
{
    section = "lists";
    clk.now = T0;
    const wasixnet_port_config_t c = cfg_basic();
    wasixnet_port_t *p = NEW_PORT(&c);
    expect_list_(HERE, LIST_ROUTES, p, NULL, 0, true);
    expect_list_(HERE, LIST_ADDRS, p, NULL, 0, true);
    const wasixnet_route_t routes[] = {
        R("10.1.0.0/16", "192.168.1.1", NONE, NONE),
        RX(net_fs("2001:db8:1::/48", 0x000ABCDE, 0x00010002), ip_fs("fe80::1", 0xFFFFF, 0xFFFFFFFF), AT(5), AT(500)),
        R("10.2.0.0/16", "", AT(10), AT(20)),
    };
    const wasixnet_addr_cidr_t addrs[] = { net("10.0.0.5/24"), net_fs("2001:db8::5/64", 0x12345, 0x7),
                                           net("192.168.1.10/32") };
    for (size_t i = 0; i < 3; i++) {
        add_route_(HERE, p, &routes[i]);
        add_addr_(HERE, p, &addrs[i]);
    }
    expect_list_(HERE, LIST_ROUTES, p, routes, 3, true);
    expect_list_(HERE, LIST_ADDRS, p, addrs, 3, true);
    w_port_free(p);
}

/* ============================================================================================
 * Section: route_remove and route_clear
 * ========================================================================================== */

static void test_route_remove(void)
{
    section = "route_remove";
    static state_t before;
    clk.now = T0;
    const wasixnet_port_config_t c = cfg_basic();
    wasixnet_port_t *p = NEW_PORT(&c);
    const wasixnet_route_t r8 = R("10.0.0.0/8", "192.168.0.1", NONE, NONE),
                           r16 = R("10.0.0.0/16", "192.168.0.1", NONE, NONE),
                           o16 = R("10.1.0.0/16", "192.168.0.1", NONE, NONE), r24 = R("10.0.0.0/24", "", NONE, NONE),
                           v32 = R("2001:db8::/32", "fe80::1", NONE, NONE),
                           v48 = R("2001:db8::/48", "fe80::1", NONE, NONE),
                           gw = R("0.0.0.0/0", "192.168.0.254", NONE, NONE);
    ADD_ROUTE(p, r8);
    ADD_ROUTE(p, r16);
    ADD_ROUTE(p, o16);
    ADD_ROUTE(p, r24);
    ADD_ROUTE(p, v32);
    ADD_ROUTE(p, v48);
    CHECK_ERR(OK, w_gateway_set(p, &gw.via_router));
    EXPECT_ROUTES(p, r8, r16, o16, r24, v32, v48, gw);

    static const struct {
        const char *addr;
        wasixnet_errno_t want;
    } bad[] = { { "10.0.0.1", ENOENT_ }, { "10.1.0.5", ENOENT_ }, { "11.0.0.0", ENOENT_ }, { "2001:db8::1", ENOENT_ },
                { "#0", EINVAL_ },       { "#3", EINVAL_ },       { "#7", EINVAL_ } };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        set_context("route_remove(%s)", bad[i].addr);
        const wasixnet_addr_t a = ip(bad[i].addr);
        get_state(p, &before);
        CHECK_ERR(bad[i].want, w_route_remove(p, &a));
        SAME_STATE(p, &before);
    }
    clear_context();
    /* every prefix length of the address goes */
    CHECK_ERR(OK, w_route_remove(p, (wasixnet_addr_t[]){ ip("10.0.0.0") }));
    EXPECT_ROUTES(p, o16, v32, v48, gw);
    CHECK_ERR(ENOENT_, w_route_remove(p, (wasixnet_addr_t[]){ ip("10.0.0.0") }));
    CHECK_ERR(OK, w_route_remove(p, (wasixnet_addr_t[]){ ip("2001:db8::") }));
    EXPECT_ROUTES(p, o16, gw);
    /* the gateway's default route included */
    CHECK_ERR(OK, w_route_remove(p, (wasixnet_addr_t[]){ ip("0.0.0.0") }));
    EXPECT_ROUTES(p, o16);
    EXPECT_NO_LOOKUP(p, "8.8.8.8", ENETUNREACH_);

    /* route_clear: everything, the gateway's routes included; CIDRs free again */
    ADD_ROUTE(p, r8);
    CHECK_ERR(OK, w_gateway_set(p, &gw.via_router));
    CHECK_ERR(OK, w_gateway_set(p, (wasixnet_addr_t[]){ ip("fe80::1") }));
    CHECK_ERR(OK, w_port_only(F_port_route_clear, p));
    EXPECT_NO_ROUTES(p);
    EXPECT_NO_LOOKUP(p, "10.1.2.3", ENETUNREACH_);
    EXPECT_NO_LOOKUP(p, "2001:4860::8888", ENETUNREACH_);
    CHECK_ERR(OK, w_port_only(F_port_route_clear, p));
    ADD_ROUTE(p, o16);
    ADD_ROUTE(p, r8);
    EXPECT_ROUTES(p, o16, r8);
    w_port_free(p);
}

/* ============================================================================================
 * Section: gateway_set
 * ========================================================================================== */

static void test_gateway(void)
{
    section = "gateway";
    static state_t before;
    clk.now = T0;
    const wasixnet_port_config_t c = cfg_basic();
    wasixnet_port_t *p = NEW_PORT(&c);
    const wasixnet_route_t R1 = R("10.1.0.0/16", "192.168.0.1", NONE, NONE), R3 = R("10.3.0.0/16", "", NONE, NONE),
                           D4a = R("0.0.0.0/0", "192.168.0.254", NONE, NONE),
                           D4b = R("0.0.0.0/0", "192.168.0.253", NONE, NONE),
                           D6a = RX(net("::/0"), ip_fs("fe80::1", 0, 3), NONE, NONE),
                           D6b = RX(net("::/0"), ip_fs("fe80::2", 0x1234, 4), NONE, NONE);
    ADD_ROUTE(p, R1);
    CHECK_ERR(OK, w_gateway_set(p, &D4a.via_router));
    EXPECT_ROUTES(p, R1, D4a);
    ADD_ROUTE(p, R3);
    CHECK_ERR(OK, w_gateway_set(p, &D4b.via_router)); /* replaced in place */
    EXPECT_ROUTES(p, R1, D4b, R3);
    CHECK_ERR(OK, w_gateway_set(p, &D6a.via_router));
    EXPECT_ROUTES(p, R1, D4b, R3, D6a);
    CHECK_ERR(OK, w_gateway_set(p, &D6b.via_router));
    EXPECT_ROUTES(p, R1, D4b, R3, D6b);
    EXPECT_LOOKUP(p, "8.8.8.8", D4b, 0);
    EXPECT_LOOKUP(p, "10.1.2.3", R1, 0);
    EXPECT_LOOKUP(p, "2001:4860::8888", D6b, 0);
    /* a route_add of the default CIDR now collides */
    CHECK_ERR(EEXIST_, w_route_add(p, &D4a.cidr, &D4a.via_router, &D4a.preferred_until, &D4a.expires_at));

    static const char *const bad[] = { "0.0.0.0", "::", "224.0.0.1", "239.1.2.3", "ff02::1", "ff0e::1",
                                       "255.255.255.255", "", "#3", "#4" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        set_context("gateway_set(\"%s\")", bad[i]);
        const wasixnet_addr_t a = ip(bad[i]);
        get_state(p, &before);
        CHECK_ERR(EINVAL_, w_gateway_set(p, &a));
        SAME_STATE(p, &before);
    }
    clear_context();
    w_port_free(p);

    /* gateway_set replaces a default route added with route_add, in place, without lifetimes */
    p = NEW_PORT(&c);
    const wasixnet_route_t Dadd = R("0.0.0.0/0", "192.168.0.1", AT(10), AT(100)),
                           Dgw = R("0.0.0.0/0", "192.168.0.2", NONE, NONE);
    ADD_ROUTE(p, R1);
    ADD_ROUTE(p, Dadd);
    ADD_ROUTE(p, R3);
    CHECK_ERR(OK, w_gateway_set(p, &Dgw.via_router));
    EXPECT_ROUTES(p, R1, Dgw, R3);
    clk.now = T0 + 100; /* the replaced route's lifetime no longer applies */
    EXPECT_ROUTES(p, R1, Dgw, R3);
    EXPECT_LOOKUP(p, "8.8.8.8", Dgw, 0);
    w_port_free(p);
}

/* ============================================================================================
 * Section: own addresses
 * ========================================================================================== */

static void test_addresses(void)
{
    section = "addresses";
    static state_t before;
    clk.now = T0;
    const wasixnet_port_config_t c = cfg_basic();
    wasixnet_port_t *p = NEW_PORT(&c);
    const wasixnet_addr_cidr_t a1 = net("10.0.0.5/24"), a2 = net_fs("2001:db8::5/64", 0xABCDE, 0x10002),
                               a3 = net("10.0.0.6/24"), a4 = net("192.168.1.1/32");
    add_addr_(HERE, p, &a1); /* host bits allowed */
    add_addr_(HERE, p, &a2);
    add_addr_(HERE, p, &a3);
    add_addr_(HERE, p, &a4);
    expect_list_(HERE, LIST_ADDRS, p, (const wasixnet_addr_cidr_t[]){ a1, a2, a3, a4 }, 4, true);

    static const struct {
        const char *cidr;
        wasixnet_errno_t want;
    } bad[] = {
        { "10.0.0.5/16", EEXIST_ },  { "10.0.0.5/24", EEXIST_ },   { "10.0.0.5/32", EEXIST_ },
        { "2001:db8::5/48", EEXIST_ }, { "#0", EINVAL_ },          { "#3", EINVAL_ },
        { "#5", EINVAL_ },           { "10.0.0.7/33", EINVAL_ },   { "2001:db8::7/129", EINVAL_ },
        { "0.0.0.0/8", EINVAL_ },    { "0.0.0.0/0", EINVAL_ },     { "::/64", EINVAL_ },
        { "::/128", EINVAL_ },       { "224.0.0.1/4", EINVAL_ },   { "239.1.2.3/32", EINVAL_ },
        { "ff02::1/16", EINVAL_ },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        set_context("addr_add(%s)", bad[i].cidr);
        const wasixnet_addr_cidr_t a = net(bad[i].cidr);
        get_state(p, &before);
        CHECK_ERR(bad[i].want, w_addr_add(p, &a));
        SAME_STATE(p, &before);
    }
    static const struct {
        const char *addr;
        wasixnet_errno_t want;
    } bad_remove[] = { { "10.0.0.9", ENOENT_ }, { "10.0.0.0", ENOENT_ }, { "2001:db8::6", ENOENT_ },
                       { "#0", EINVAL_ },       { "#3", EINVAL_ } };
    for (size_t i = 0; i < sizeof bad_remove / sizeof bad_remove[0]; i++) {
        set_context("addr_remove(%s)", bad_remove[i].addr);
        const wasixnet_addr_t a = ip(bad_remove[i].addr);
        get_state(p, &before);
        CHECK_ERR(bad_remove[i].want, w_addr_remove(p, &a));
        SAME_STATE(p, &before);
    }
    clear_context();
    CHECK_ERR(OK, w_addr_remove(p, (wasixnet_addr_t[]){ ip("10.0.0.5") }));
    CHECK_ERR(ENOENT_, w_addr_remove(p, (wasixnet_addr_t[]){ ip("10.0.0.5") }));
    EXPECT_ADDRS(p, a2, a3, a4);
    CHECK_ERR(OK, w_addr_remove(p, (wasixnet_addr_t[]){ ip_fs("2001:db8::5", 0xABCDE, 0x10002) }));
    EXPECT_ADDRS(p, a3, a4);
    add_addr_(HERE, p, &a1); /* re-added at the end */
    EXPECT_ADDRS(p, a3, a4, a1);
    CHECK_ERR(OK, w_port_only(F_port_addr_clear, p));
    EXPECT_NO_ADDRS(p);
    CHECK_ERR(OK, w_port_only(F_port_addr_clear, p));
    EXPECT_NO_LOOKUP(p, "10.0.0.1", ENETUNREACH_);
    w_port_free(p);
}

/* ============================================================================================
 * Section: route_lookup and lifetimes (the fake clock moves)
 * ========================================================================================== */

static void test_lookup(void)
{
    section = "lookup";
    clk.now = T0;
    const wasixnet_port_config_t c = cfg_basic();
    wasixnet_port_t *p = NEW_PORT(&c);
    ADD_ADDR(p, "10.0.0.5/24");
    ADD_ADDR(p, "172.16.5.5/16");
    ADD_ADDR(p, "2001:db8:aa::5/64");
    const wasixnet_route_t A = R("10.0.0.0/8", "192.168.0.1", NONE, NONE),
                           B = R("172.16.0.0/16", "192.168.0.2", NONE, NONE),
                           C = R("10.0.0.128/25", "192.168.0.3", NONE, NONE),
                           V = RX(net("2001:db8::/32"), ip_fs("fe80::1", 0x12345, 2), NONE, NONE),
                           W = RX(net_fs("2001:db8:1::/48", 0xBEEF, 0x30003), ip_fs("fe80::2", 0, 3), NONE, AT(1000)),
                           D = R("10.50.0.0/16", "192.168.0.4", AT(100), AT(200)),
                           own4 = R("10.0.0.0/24", "", NONE, NONE), own6 = R("2001:db8:aa::/64", "", NONE, NONE),
                           G = R("0.0.0.0/0", "192.168.0.254", NONE, NONE);
    ADD_ROUTE(p, A);
    ADD_ROUTE(p, B);
    ADD_ROUTE(p, C);
    ADD_ROUTE(p, V);
    ADD_ROUTE(p, W);
    ADD_ROUTE(p, D);

    EXPECT_LOOKUP(p, "10.0.0.5", own4, 0);   /* own prefix, reported as the masked network */
    EXPECT_LOOKUP(p, "10.0.0.77", own4, 0);  /* own /24 beats the /8 route */
    EXPECT_LOOKUP(p, "10.0.0.200", C, 0);    /* a longer route beats the own prefix */
    EXPECT_LOOKUP(p, "10.9.9.9", A, 0);
    EXPECT_LOOKUP(p, "172.16.1.1", B, 0);    /* an explicit route beats an own prefix of the same length */
    EXPECT_NO_LOOKUP(p, "172.17.0.1", ENETUNREACH_);
    EXPECT_LOOKUP(p, "2001:db8:aa::9", own6, 0);
    EXPECT_LOOKUP(p, "2001:db8:1::1", W, 0); /* flow info and scope id echoed */
    EXPECT_LOOKUP(p, "2001:db8:2::1", V, 0);
    EXPECT_NO_LOOKUP(p, "2001:db9::1", ENETUNREACH_);
    EXPECT_NO_LOOKUP(p, "::ffff:10.0.0.5", ENETUNREACH_); /* IPv4-mapped is IPv6 here */
    EXPECT_NO_LOOKUP(p, "#0", EINVAL_);
    EXPECT_NO_LOOKUP(p, "#3", EINVAL_);
    EXPECT_LOOKUP(p, "10.50.1.1", D, 0);

    CHECK_ERR(OK, w_gateway_set(p, &G.via_router));
    EXPECT_LOOKUP(p, "172.17.0.1", G, 0);
    EXPECT_LOOKUP(p, "10.9.9.9", A, 0);
    const wasixnet_route_t own6r = RX(net("2001:db8:aa::/64"), ip("fe80::3"), NONE, NONE);
    ADD_ROUTE(p, own6r);
    EXPECT_LOOKUP(p, "2001:db8:aa::9", own6r, 0);

    /* lifetimes */
    clk.now = T0 + 99;
    EXPECT_LOOKUP(p, "10.50.1.1", D, 0);
    clk.now = T0 + 100; /* deprecated from now >= preferred_until: still used and listed */
    EXPECT_LOOKUP(p, "10.50.1.1", D, 1);
    EXPECT_ROUTES(p, A, B, C, V, W, D, G, own6r);
    clk.now = T0 + 199;
    EXPECT_LOOKUP(p, "10.50.1.1", D, 1);
    clk.now = T0 + 200; /* gone from now >= expires_at */
    EXPECT_LOOKUP(p, "10.50.1.1", A, 0);
    EXPECT_ROUTES(p, A, B, C, V, W, G, own6r);
    const wasixnet_route_t D2 = R("10.50.0.0/16", "192.168.0.5", NONE, AT(300));
    ADD_ROUTE(p, D2); /* its CIDR is free again */
    EXPECT_LOOKUP(p, "10.50.1.1", D2, 0);
    EXPECT_ROUTES(p, A, B, C, V, W, G, own6r, D2);
    clk.now = T0 + 1000;
    EXPECT_LOOKUP(p, "2001:db8:1::1", V, 0);
    EXPECT_ROUTES(p, A, B, C, V, G, own6r);

    /* an own address removed: its prefix goes with it */
    CHECK_ERR(OK, w_addr_remove(p, (wasixnet_addr_t[]){ ip("10.0.0.5") }));
    EXPECT_LOOKUP(p, "10.0.0.77", A, 0);
    w_port_free(p);
}

/* ============================================================================================
 * Section: the default clock (CLOCK_REALTIME in ns)
 * ========================================================================================== */

static uint64_t realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void test_default_clock(void)
{
    section = "default clock";
    wasixnet_port_t *p = NEW_PORT(NULL);
    const uint64_t now = realtime_ns(), hour = UINT64_C(3600000000000);
    const wasixnet_addr_t onlink = ip("");
    const wasixnet_option_timestamp_t none = NONE, past = ots(1, now - hour), future = ots(1, now + hour),
                                      recent = ots(1, now - 1000000000u);
    const wasixnet_addr_cidr_t c1 = net("10.1.0.0/16"), c2 = net("10.2.0.0/16"), c3 = net("10.3.0.0/16");
    CHECK_ERR(OK, w_route_add(p, &c1, &onlink, &none, &future));
    CHECK_ERR(EINVAL_, w_route_add(p, &c2, &onlink, &none, &past));
    CHECK_ERR(OK, w_route_add(p, &c3, &onlink, &recent, &future));
    EXPECT_LOOKUP(p, "10.3.0.1", RX(c3, onlink, recent, future), 1);
    EXPECT_LOOKUP(p, "10.1.0.1", RX(c1, onlink, none, future), 0);
    w_port_free(p);
}

/* ============================================================================================
 * Section: hooks (bridge, unbridge, dhcp_acquire) and re-entrancy
 * ========================================================================================== */

typedef struct {
    const char *what, *network;
    size_t network_len; /* SIZE_MAX: strlen */
    const char *token;
    size_t token_len;
    uint8_t security;
    bool valid;
} bridge_case_t;
#define SL SIZE_MAX
static const bridge_case_t bridge_cases[] = {
    { "plain ASCII, UNENCRYPTED", "net0", SL, "tok", SL, 1, true },
    { "multi-byte UTF-8, every flag", "r\xc3\xa9seau-\xe2\x82\xac", SL, "jeton-\xf0\x9f\x94\x91", SL, 15, true },
    { "empty strings", "", 0, "", 0, 2, true },
    { "embedded NUL in the token", "net0", SL, "a\0b", 3, 4, true },
    { "security DOUBLE_ENCRYPTION", "net0", SL, "tok", SL, 8, true },
    { "security 0", "net0", SL, "tok", SL, 0, false },
    { "security 16", "net0", SL, "tok", SL, 16, false },
    { "security 0x11", "net0", SL, "tok", SL, 0x11, false },
    { "security 0xF0", "net0", SL, "tok", SL, 0xF0, false },
    { "security 255", "net0", SL, "tok", SL, 255, false },
    { "network 0xFF", "\xff", SL, "tok", SL, 1, false },
    { "network overlong '/'", "\xc0\xaf", SL, "tok", SL, 1, false },
    { "network surrogate U+D800", "\xed\xa0\x80", SL, "tok", SL, 1, false },
    { "network truncated sequence", "ab\xe2\x82", SL, "tok", SL, 1, false },
    { "network above U+10FFFF", "\xf4\x90\x80\x80", SL, "tok", SL, 1, false },
    { "token lone continuation byte", "net0", SL, "\x80", SL, 1, false },
    { "token 0xFE", "net0", SL, "x\xfe", SL, 1, false },
};

static wasixnet_errno_t bridge_case_call(wasixnet_port_t *p, const bridge_case_t *k)
{
    return w_bridge(p, k->network, k->network_len == SL ? strlen(k->network) : k->network_len, k->token,
                    k->token_len == SL ? strlen(k->token) : k->token_len, k->security);
}

static void test_hooks(void)
{
    section = "hooks";
    clk.now = T0;
    memset(&hk, 0, sizeof hk);
    const wasixnet_port_config_t cb = cfg_basic(), ch = cfg_hooks();
    wasixnet_port_t *bare = NEW_PORT(&cb), *p = NEW_PORT(&ch);
    CHECK_ERR(ENOTSUP_, w_port_only(F_port_unbridge, bare));
    CHECK_ERR(ENOTSUP_, w_port_only(F_port_dhcp_acquire, bare));
    hk.bridge_ret = WASIXNET_EPROTO;
    for (size_t i = 0; i < sizeof bridge_cases / sizeof bridge_cases[0]; i++) {
        const bridge_case_t *k = &bridge_cases[i];
        set_context("bridge case %zu: %s", i, k->what);
        CHECK_ERR(k->valid ? ENOTSUP_ : EINVAL_, bridge_case_call(bare, k));
        const unsigned calls = hk.bridge_calls;
        memset(hk.network, 0, sizeof hk.network);
        CHECK_ERR(k->valid ? WASIXNET_EPROTO : EINVAL_, bridge_case_call(p, k));
        CHECK_EQ(calls + (k->valid ? 1 : 0), hk.bridge_calls);
        if (k->valid) {
            const size_t nl = k->network_len == SL ? strlen(k->network) : k->network_len;
            const size_t tl = k->token_len == SL ? strlen(k->token) : k->token_len;
            CHECK_EQ(nl, hk.network_len);
            CHECK_MEM(k->network, hk.network, nl);
            CHECK_EQ(tl, hk.token_len);
            CHECK_MEM(k->token, hk.token, tl);
            CHECK_EQ(k->security, hk.security);
        }
    }
    clear_context();
    static const wasixnet_errno_t rets[] = { OK, WASIXNET_ECONNREFUSED, WASIXNET_EPENDING };
    for (size_t i = 0; i < sizeof rets / sizeof rets[0]; i++) {
        set_context("hooks returning %u", rets[i]);
        hk.bridge_ret = hk.unbridge_ret = rets[i];
        CHECK_ERR(rets[i], w_bridge(p, "n", 1, "t", 1, 1));
        const unsigned calls = hk.unbridge_calls;
        CHECK_ERR(rets[i], w_port_only(F_port_unbridge, p));
        CHECK_EQ(calls + 1, hk.unbridge_calls);
    }
    clear_context();
    /* dhcp_acquire: the hook re-enters the port it is given */
    CHECK_ERR(OK, w_port_only(F_port_dhcp_acquire, p));
    CHECK_EQ(1, hk.dhcp_calls);
    CHECK(hk.dhcp_port == p);
    EXPECT_ADDRS(p, net(DHCP_ADDR));
    EXPECT_LOOKUP(p, "10.77.1.1", R("10.77.0.0/16", "", NONE, NONE), 0);
    CHECK_ERR(EEXIST_, w_port_only(F_port_dhcp_acquire, p)); /* the hook's errno, passed through */
    CHECK_EQ(0, hk.bad_ctx);

    /* a clock that re-enters the port it serves */
    clk.reenter = p;
    const unsigned calls = clk.calls;
    ADD_ROUTE(p, R("10.9.0.0/16", "", NONE, AT(50)));
    EXPECT_LOOKUP(p, "10.9.0.1", R("10.9.0.0/16", "", NONE, AT(50)), 0);
    clk.reenter = NULL;
    CHECK(clk.calls > calls);
    CHECK_EQ(0, clk.bad_ctx);
    w_port_free(bare);
    w_port_free(p);
}

/* ============================================================================================
 * Guest memory: a fake linear memory with a guard area after memory_size
 * ========================================================================================== */

#define GMEM 65536u
#define GGUARD 512u
static uint8_t gmem[GMEM + GGUARD], gexp[GMEM + GGUARD];
static wasixnet_guest_t gst;

static void gfill(void)
{
    for (size_t i = 0; i < sizeof gmem; i++)
        gmem[i] = (uint8_t)(0x80u | (i * 151u + 89u));
}
static void guest_use(uint8_t ps, uint8_t layout)
{
    gst = (wasixnet_guest_t){ gmem, GMEM, ps, layout };
    gfill();
}
/* Writes the part of [off, off + n) that lies inside memory_size. */
static void gwrite(uint8_t *mem, uint64_t off, const void *src, size_t n)
{
    if (off >= GMEM)
        return;
    if (n > GMEM - off)
        n = (size_t)(GMEM - off);
    memcpy(mem + off, src, n);
}
static void gput_addr(uint64_t off, const wasixnet_addr_t *a)
{
    uint8_t b[MAX_IMG];
    gwrite(gmem, off, b, img_addr(gst.layout, true, a, b));
}
static void gput_cidr(uint64_t off, const wasixnet_addr_cidr_t *c)
{
    uint8_t b[MAX_IMG];
    gwrite(gmem, off, b, img_cidr(gst.layout, true, c, b));
}
static void gput_ts(uint64_t off, const wasixnet_option_timestamp_t *t)
{
    uint8_t b[TS_SIZE];
    gwrite(gmem, off, b, img_ts(true, t, b));
}
static void gput_cell(uint8_t *mem, uint64_t off, uint64_t v, unsigned width)
{
    uint8_t b[8];
    put_le(b, v, width);
    gwrite(mem, off, b, width);
}
static void gexp_begin(void) { memcpy(gexp, gmem, sizeof gmem); }
static void gexp_entries(int which, uint64_t off, const void *entries, uint32_t n)
{
    uint8_t b[MAX_IMG];
    const size_t s = stride_of(which, gst.layout);
    for (uint32_t i = 0; i < n; i++)
        gwrite(gexp, off + i * s, b, img_entry(which, gst.layout, entries, i, b));
}
static bool gexp_check_(where_t w, const char *what)
{
    size_t first = SIZE_MAX, last = 0, count = 0;
    for (size_t i = 0; i < sizeof gmem; i++)
        if (gmem[i] != gexp[i]) {
            if (first == SIZE_MAX)
                first = i;
            last = i;
            count++;
        }
    if (count == 0)
        return report(w, true, "");
    return report(w, false,
                  "%s: %zu guest-memory bytes differ from the expected ones, offsets %zu..%zu (first: expected %02x, "
                  "got %02x)%s",
                  what, count, first, last, gexp[first], gmem[first], last >= GMEM ? " (past memory_size!)" : "");
}
#define GEXP_CHECK(what) gexp_check_(HERE, (what))

static const char *layout_name(uint8_t layout) { return layout == LAYOUT_V1 ? "wasix_v1" : "Wasmer"; }

/* A guest list call: capacity in the count cell, then errno, the entries and the count cell in
 * guest memory — and nothing else changed. */
static void guest_expect_list_(where_t w, int which, wasixnet_port_t *p, uint64_t buf, uint64_t cell, uint32_t cap,
                               const void *exp, uint32_t n)
{
    char what[160];
    gput_cell(gmem, cell, cap, gst.pointer_size);
    gexp_begin();
    const wasixnet_errno_t e = gcall(list_kinds[which].guest_fn, p, &gst, GARGS(buf, cell));
    snprintf(what, sizeof what, "guest %s with capacity %u: errno", list_kinds[which].name, cap);
    check_err(w, what, cap < n ? EOVERFLOW_ : OK, e);
    gexp_entries(which, buf, exp, cap < n ? cap : n);
    gput_cell(gexp, cell, n, gst.pointer_size);
    snprintf(what, sizeof what, "guest %s with capacity %u: memory (entries, count cell, nothing else)",
             list_kinds[which].name, cap);
    gexp_check_(w, what);
}

/* ============================================================================================
 * Section: guest round trip — every guest call with good input, read back at the right offsets
 * ========================================================================================== */

static void guest_roundtrip(uint8_t ps, uint8_t layout)
{
    section = "guest round trip";
    static state_t before;
    guest_use(ps, layout);
    set_context("pointer_size %u, layout %s", ps, layout_name(layout));
    clk.now = T0;
    memset(&hk, 0, sizeof hk);
    const wasixnet_port_config_t c = cfg_hooks();
    wasixnet_port_t *p = NEW_PORT(&c);
    const bool v1 = layout == LAYOUT_V1; /* the Wasmer layout carries no flow info / scope id */
    const uint32_t flow = v1 ? 0xABCDE : 0, scope = v1 ? 0x10002 : 0;
    enum { O_CIDR = 0, O_VIA = 0x301, O_PU = 0x503, O_EA = 0x605, O_ADDR = 0x707, O_MAC = 0x909, O_NET = 0xA01,
           O_TOK = 0xB03, O_BAD = 0xC05, O_BUF = 0x1001, O_CELL = 0x3003 };

    wasixnet_route_t routes[4] = {
        R("10.1.0.0/16", "192.168.1.1", NONE, AT(1000)),
        RX(net_fs("2001:db8:1::/48", flow, scope), ip_fs("fe80::1", flow, scope), AT(10), AT(2000)),
        R("10.2.0.0/16", "", NONE, NONE),
    };
    for (int i = 0; i < 3; i++) {
        gput_cidr(O_CIDR, &routes[i].cidr); /* guest offset 0 is an ordinary offset */
        gput_addr(O_VIA, &routes[i].via_router);
        gput_ts(O_PU, &routes[i].preferred_until);
        gput_ts(O_EA, &routes[i].expires_at);
        gexp_begin();
        CHECK_ERR(OK, gcall(F_guest_port_route_add, p, &gst, GARGS(O_CIDR, O_VIA, O_PU, O_EA)));
        GEXP_CHECK("route_add writes nothing");
    }
    expect_list_(HERE, LIST_ROUTES, p, routes, 3, false);
    static const uint32_t caps3[] = { 8, 3, 2, 1, 0 };
    for (size_t i = 0; i < sizeof caps3 / sizeof caps3[0]; i++)
        guest_expect_list_(HERE, LIST_ROUTES, p, O_BUF, O_CELL, caps3[i], routes, 3);

    /* validation through guest memory: EINVAL, nothing changed */
    static const char *const bad_cidrs[] = { "10.1.0.0/33", "2001:db8::/129", "10.1.2.3/24", "2001:db8::1/64" };
    for (size_t i = 0; i < sizeof bad_cidrs / sizeof bad_cidrs[0]; i++) {
        const wasixnet_addr_cidr_t bc = net(bad_cidrs[i]);
        gput_cidr(O_BAD, &bc);
        gput_addr(O_VIA, (wasixnet_addr_t[]){ ip("") });
        gput_ts(O_PU, (wasixnet_option_timestamp_t[]){ NONE });
        gput_ts(O_EA, (wasixnet_option_timestamp_t[]){ NONE });
        get_state(p, &before);
        gexp_begin();
        set_context("pointer_size %u, layout %s: route_add %s", ps, layout_name(layout), bad_cidrs[i]);
        CHECK_ERR(EINVAL_, gcall(F_guest_port_route_add, p, &gst, GARGS(O_BAD, O_VIA, O_PU, O_EA)));
        SAME_STATE(p, &before);
        GEXP_CHECK("nothing written");
    }
    set_context("pointer_size %u, layout %s", ps, layout_name(layout));

    /* addresses */
    const wasixnet_addr_cidr_t addrs[3] = { net("10.0.0.5/24"), net_fs("2001:db8::5/64", flow, scope),
                                            net(DHCP_ADDR) };
    for (int i = 0; i < 2; i++) {
        gput_cidr(O_CIDR, &addrs[i]);
        CHECK_ERR(OK, gcall(F_guest_port_addr_add, p, &gst, GARGS(O_CIDR)));
    }
    CHECK_ERR(EEXIST_, gcall(F_guest_port_addr_add, p, &gst, GARGS(O_CIDR)));
    expect_list_(HERE, LIST_ADDRS, p, addrs, 2, false);
    static const uint32_t caps2[] = { 4, 2, 1, 0 };
    for (size_t i = 0; i < sizeof caps2 / sizeof caps2[0]; i++)
        guest_expect_list_(HERE, LIST_ADDRS, p, O_BUF, O_CELL, caps2[i], addrs, 2);

    /* mac */
    gexp_begin();
    gwrite(gexp, O_MAC, MAC1, 6);
    CHECK_ERR(OK, gcall(F_guest_port_mac, p, &gst, GARGS(O_MAC)));
    GEXP_CHECK("mac: the configured MAC at its offset, nothing else");

    /* gateway, route_remove, addr_remove */
    routes[3] = R("0.0.0.0/0", "192.168.1.254", NONE, NONE);
    gput_addr(O_ADDR, &routes[3].via_router);
    CHECK_ERR(OK, gcall(F_guest_port_gateway_set, p, &gst, GARGS(O_ADDR)));
    expect_list_(HERE, LIST_ROUTES, p, routes, 4, false);
    gput_addr(O_ADDR, (wasixnet_addr_t[]){ ip("224.0.0.1") });
    CHECK_ERR(EINVAL_, gcall(F_guest_port_gateway_set, p, &gst, GARGS(O_ADDR)));
    gput_addr(O_ADDR, (wasixnet_addr_t[]){ ip("10.1.0.0") });
    CHECK_ERR(OK, gcall(F_guest_port_route_remove, p, &gst, GARGS(O_ADDR)));
    CHECK_ERR(ENOENT_, gcall(F_guest_port_route_remove, p, &gst, GARGS(O_ADDR)));
    gput_addr(O_ADDR, (wasixnet_addr_t[]){ ip("2001:db8:1::") });
    CHECK_ERR(OK, gcall(F_guest_port_route_remove, p, &gst, GARGS(O_ADDR)));
    expect_list_(HERE, LIST_ROUTES, p, routes + 2, 2, false);
    gput_addr(O_ADDR, (wasixnet_addr_t[]){ ip("10.0.0.5") });
    CHECK_ERR(OK, gcall(F_guest_port_addr_remove, p, &gst, GARGS(O_ADDR)));
    CHECK_ERR(ENOENT_, gcall(F_guest_port_addr_remove, p, &gst, GARGS(O_ADDR)));
    expect_list_(HERE, LIST_ADDRS, p, addrs + 1, 1, false);

    /* bridge: strings read from guest memory */
    gwrite(gmem, O_NET, "net0", 4);
    gwrite(gmem, O_TOK, "tok", 3);
    gwrite(gmem, O_BAD, "\xff\xfe", 2);
    hk.bridge_ret = WASIXNET_ECONNREFUSED;
    CHECK_ERR(WASIXNET_ECONNREFUSED, gcall(F_guest_port_bridge, p, &gst, GARGS(O_NET, 4, O_TOK, 3, 1)));
    CHECK_EQ(1, hk.bridge_calls);
    CHECK_STR("net0", hk.network);
    CHECK_STR("tok", hk.token);
    CHECK_EQ(4, hk.network_len);
    CHECK_EQ(3, hk.token_len);
    CHECK_EQ(1, hk.security);
    hk.bridge_ret = OK;
    CHECK_ERR(OK, gcall(F_guest_port_bridge, p, &gst, GARGS(O_NET, 4, O_TOK, 0, 8)));
    CHECK_EQ(8, hk.security);
    static const struct {
        uint64_t net, net_len, tok, tok_len, security;
    } bad_bridge[] = {
        { O_NET, 4, O_TOK, 3, 0 },   { O_NET, 4, O_TOK, 3, 16 }, { O_NET, 4, O_TOK, 3, 257 },
        { O_NET, 4, O_TOK, 3, UINT64_C(0x100000001) }, { O_BAD, 2, O_TOK, 3, 1 }, { O_NET, 4, O_BAD, 1, 1 },
    };
    const unsigned calls = hk.bridge_calls;
    for (size_t i = 0; i < sizeof bad_bridge / sizeof bad_bridge[0]; i++) {
        set_context("pointer_size %u, layout %s: bad bridge case %zu (security %" PRIu64 ")", ps, layout_name(layout),
                    i, bad_bridge[i].security);
        CHECK_ERR(EINVAL_, gcall(F_guest_port_bridge, p, &gst,
                                 GARGS(bad_bridge[i].net, bad_bridge[i].net_len, bad_bridge[i].tok,
                                       bad_bridge[i].tok_len, bad_bridge[i].security)));
    }
    set_context("pointer_size %u, layout %s", ps, layout_name(layout));
    CHECK_EQ(calls, hk.bridge_calls);
    hk.unbridge_ret = WASIXNET_EIO;
    CHECK_ERR(WASIXNET_EIO, gcall(F_guest_port_unbridge, p, &gst, NULL));
    CHECK_ERR(OK, gcall(F_guest_port_dhcp_acquire, p, &gst, NULL));
    expect_list_(HERE, LIST_ADDRS, p, addrs + 1, 2, false);

    /* clear */
    CHECK_ERR(OK, gcall(F_guest_port_route_clear, p, &gst, NULL));
    CHECK_ERR(OK, gcall(F_guest_port_addr_clear, p, &gst, NULL));
    guest_expect_list_(HERE, LIST_ROUTES, p, O_BUF, O_CELL, 4, NULL, 0);
    guest_expect_list_(HERE, LIST_ADDRS, p, O_BUF, O_CELL, 4, NULL, 0);
    clear_context();
    w_port_free(p);
}

/* ============================================================================================
 * Section: guest bounds — every memory operand of every guest call at every edge of memory.
 * Each case runs on a fresh port holding SETUP_ADDR and SETUP_ROUTE; the other operands sit at
 * good offsets. In bounds: the call succeeds (and writes exactly what it should). Otherwise:
 * EFAULT, guest memory byte-identical (count cell included), the port and the hooks untouched.
 * ========================================================================================== */

#define SETUP_ADDR "10.0.0.5/24"
#define LIST_CAP 3
static const char BR_NET[] = "net0", BR_TOK[] = "tok";

static wasixnet_route_t setup_route(void) { return R("10.1.0.0/16", "192.168.1.1", NONE, NONE); }

static wasixnet_port_t *fresh_port(void)
{
    memset(&hk, 0, sizeof hk);
    const wasixnet_port_config_t c = cfg_hooks();
    wasixnet_port_t *p = NEW_PORT(&c);
    ADD_ADDR(p, SETUP_ADDR);
    ADD_ROUTE(p, setup_route());
    return p;
}

typedef enum { OP_CIDR, OP_ADDR, OP_TS, OP_MAC, OP_CELL, OP_RBUF, OP_ABUF, OP_STR } opkind_t;
typedef struct {
    int fn;
    unsigned arg;
    opkind_t kind;
} operand_t;
static const operand_t operands[] = {
    { F_guest_port_bridge, 0, OP_STR },      { F_guest_port_bridge, 2, OP_STR },
    { F_guest_port_addr_add, 0, OP_CIDR },   { F_guest_port_addr_remove, 0, OP_ADDR },
    { F_guest_port_addr_list, 0, OP_ABUF },  { F_guest_port_addr_list, 1, OP_CELL },
    { F_guest_port_mac, 0, OP_MAC },         { F_guest_port_gateway_set, 0, OP_ADDR },
    { F_guest_port_route_add, 0, OP_CIDR },  { F_guest_port_route_add, 1, OP_ADDR },
    { F_guest_port_route_add, 2, OP_TS },    { F_guest_port_route_add, 3, OP_TS },
    { F_guest_port_route_remove, 0, OP_ADDR }, { F_guest_port_route_list, 0, OP_RBUF },
    { F_guest_port_route_list, 1, OP_CELL },
};

static uint64_t operand_size(const operand_t *o)
{
    switch (o->kind) {
    case OP_CIDR: return shapes[gst.layout].cidr;
    case OP_ADDR: return shapes[gst.layout].addr;
    case OP_TS: return TS_SIZE;
    case OP_MAC: return 6;
    case OP_CELL: return gst.pointer_size;
    case OP_RBUF: return LIST_CAP * shapes[gst.layout].route;
    case OP_ABUF: return LIST_CAP * shapes[gst.layout].cidr;
    case OP_STR: return o->arg == 0 ? strlen(BR_NET) : strlen(BR_TOK);
    }
    return 0;
}

/* Writes operand `arg` of guest call `fn` (its good value) at off, as far as memory reaches. */
static void put_operand(int fn, unsigned arg, uint64_t off)
{
    wasixnet_addr_cidr_t c;
    wasixnet_addr_t a;
    wasixnet_option_timestamp_t t;
    switch (fn) {
    case F_guest_port_addr_add: c = net("10.9.0.1/24"); gput_cidr(off, &c); break;
    case F_guest_port_addr_remove: a = ip("10.0.0.5"); gput_addr(off, &a); break;
    case F_guest_port_gateway_set: a = ip("192.168.1.1"); gput_addr(off, &a); break;
    case F_guest_port_route_remove: a = ip("10.1.0.0"); gput_addr(off, &a); break;
    case F_guest_port_route_add:
        if (arg == 0) {
            c = net("10.2.0.0/16");
            gput_cidr(off, &c);
        } else if (arg == 1) {
            a = ip("192.168.1.1");
            gput_addr(off, &a);
        } else {
            t = AT(arg == 2 ? 10 : 20);
            gput_ts(off, &t);
        }
        break;
    case F_guest_port_addr_list:
    case F_guest_port_route_list:
        if (arg == 1)
            gput_cell(gmem, off, LIST_CAP, gst.pointer_size);
        break;
    case F_guest_port_bridge:
        if (arg == 0)
            gwrite(gmem, off, BR_NET, strlen(BR_NET));
        else if (arg == 2)
            gwrite(gmem, off, BR_TOK, strlen(BR_TOK));
        break;
    default: break;
    }
}

/* The good arguments of a guest call: every operand at its own offset in low memory. */
static void default_args(int fn, uint64_t *args)
{
    const unsigned n = fns[fn].nargs - 2;
    for (unsigned i = 0; i < n; i++) {
        args[i] = 0x100 + 0x400 * (uint64_t)i;
        put_operand(fn, i, args[i]);
    }
    if (fn == F_guest_port_bridge) {
        args[1] = strlen(BR_NET);
        args[3] = strlen(BR_TOK);
        args[4] = 1;
    }
}

/* What a successful call writes to guest memory. */
static void expect_good_writes(int fn, const uint64_t *args)
{
    const wasixnet_route_t r = setup_route();
    const wasixnet_addr_cidr_t a = net(SETUP_ADDR);
    if (fn == F_guest_port_mac)
        gwrite(gexp, args[0], MAC1, 6);
    if (fn == F_guest_port_route_list || fn == F_guest_port_addr_list) {
        const int which = fn == F_guest_port_route_list ? LIST_ROUTES : LIST_ADDRS;
        gexp_entries(which, args[0], which == LIST_ROUTES ? (const void *)&r : (const void *)&a, 1);
        gput_cell(gexp, args[1], 1, gst.pointer_size);
    }
}

/* One guest call on a fresh port; the operands are already in guest memory. */
static void run_guest_case_(where_t w, int fn, const wasixnet_guest_t *g, uint64_t *args, wasixnet_errno_t want)
{
    static state_t before;
    wasixnet_port_t *p = fresh_port();
    get_state(p, &before);
    const unsigned hooks = hook_calls();
    gexp_begin();
    if (want == OK)
        expect_good_writes(fn, args);
    check_err(w, fns[fn].symbol, want, gcall(fn, p, g, args));
    gexp_check_(w, want == OK ? "guest memory after the call" : "guest memory untouched");
    if (want != OK) {
        same_state_(w, p, &before);
        check_u64(w, "hook calls", hooks, hook_calls());
    }
    w_port_free(p);
}

static void guest_bounds(uint8_t ps, uint8_t layout)
{
    section = "guest bounds";
    guest_use(ps, layout);
    clk.now = T0;
    uint64_t args[8];
    for (size_t oi = 0; oi < sizeof operands / sizeof operands[0]; oi++) {
        const operand_t *o = &operands[oi];
        const uint64_t s = operand_size(o), M = GMEM;
        const struct {
            uint64_t off;
            bool ok;
            const char *name;
        } edges[] = {
            { M - s, true, "memory_size - size" },    { M - s + 1, false, "memory_size - size + 1" },
            { M - 1, false, "memory_size - 1" },      { M, false, "memory_size" },
            { M + 1, false, "memory_size + 1" },      { UINT64_C(1) << 32, false, "2^32" },
            { UINT64_MAX - s + 1, false, "2^64 - size" }, { UINT64_MAX - s + 2, false, "2^64 - size + 1" },
            { UINT64_MAX, false, "2^64 - 1" },
        };
        for (size_t ei = 0; ei < sizeof edges / sizeof edges[0]; ei++) {
            if (edges[ei].off == UINT64_C(1) << 32 && ps != 8)
                continue; /* offsets >= 2^32 have no meaning for a 32-bit guest */
            set_context("pointer_size %u, layout %s: %s argument %u (%" PRIu64 " bytes) at %s = %" PRIu64, ps,
                        layout_name(layout), fns[o->fn].symbol + 9, o->arg, s, edges[ei].name, edges[ei].off);
            gfill();
            default_args(o->fn, args);
            args[o->arg] = edges[ei].off;
            put_operand(o->fn, o->arg, edges[ei].off);
            run_guest_case_(HERE, o->fn, &gst, args, edges[ei].ok ? OK : EFAULT_);
        }
    }

    /* list capacities: capacity x stride past the end, or overflowing 64 bits */
    for (int which = 0; which < 2; which++) {
        const int fn = list_kinds[which].guest_fn;
        const uint64_t stride = stride_of(which, layout);
        const struct {
            uint64_t cap;
            bool ok;
            const char *name;
        } caps[] = {
            { GMEM / stride, true, "memory_size / stride (fits exactly or just)" },
            { GMEM / stride + 1, false, "memory_size / stride + 1" },
            { 0xFFFFFFFFu, false, "2^32 - 1" },
            { (UINT64_C(1) << 32) + LIST_CAP, false, "2^32 + 3 (a 4-byte read would see 3)" },
            { UINT64_MAX / stride + 1, false, "2^64 / stride + 1 (capacity x stride wraps below stride)" },
            { UINT64_MAX, false, "2^64 - 1" },
        };
        for (size_t ci = 0; ci < sizeof caps / sizeof caps[0]; ci++) {
            if (ps == 4 && caps[ci].cap > 0xFFFFFFFFu)
                continue;
            set_context("pointer_size %u, layout %s: %s at offset 0 with capacity %s = %" PRIu64, ps,
                        layout_name(layout), list_kinds[which].name, caps[ci].name, caps[ci].cap);
            gfill();
            default_args(fn, args);
            args[0] = 0;
            gput_cell(gmem, args[1], caps[ci].cap, ps);
            run_guest_case_(HERE, fn, &gst, args, caps[ci].ok ? OK : EFAULT_);
        }
    }

    /* bridge lengths: a string running past the end, or offset + length overflowing */
    const struct {
        unsigned arg;
        uint64_t len;
        const char *name;
    } lens[] = {
        { 0, UINT64_MAX, "network_len 2^64 - 1" }, { 0, UINT64_MAX - 0x100 + 1, "network + network_len == 2^64" },
        { 0, GMEM - 0x100 + 1, "network + network_len == memory_size + 1" },
        { 2, UINT64_MAX, "token_len 2^64 - 1" },   { 2, UINT64_MAX - 0x900 + 1, "token + token_len == 2^64" },
        { 2, GMEM - 0x900 + 1, "token + token_len == memory_size + 1" },
    };
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        set_context("pointer_size %u, layout %s: bridge with %s", ps, layout_name(layout), lens[i].name);
        gfill();
        default_args(F_guest_port_bridge, args);
        args[lens[i].arg + 1] = lens[i].len;
        run_guest_case_(HERE, F_guest_port_bridge, &gst, args, EFAULT_);
    }
    clear_context();
}

/* ============================================================================================
 * Section: guest misc — bad guest descriptions for each of the 13 calls
 * ========================================================================================== */

static void guest_misc(void)
{
    section = "guest misc";
    clk.now = T0;
    static const struct {
        const char *what;
        uint8_t ps, layout;
        bool null_memory;
        wasixnet_errno_t want;
    } bad[] = {
        { "pointer_size 0", 0, LAYOUT_V1, false, EINVAL_ },
        { "pointer_size 3", 3, LAYOUT_V1, false, EINVAL_ },
        { "pointer_size 3, Wasmer layout", 3, LAYOUT_WASMER, false, EINVAL_ },
        { "pointer_size 16", 16, LAYOUT_V1, false, EINVAL_ },
        { "layout 2", 4, 2, false, EINVAL_ },
        { "layout 255", 8, 255, false, EINVAL_ },
        { "NULL memory with memory_size 65536", 4, LAYOUT_V1, true, EFAULT_ },
    };
    uint64_t args[8];
    for (int k = 0; k < N_GUEST; k++) {
        const int fn = F_GUEST0 + k;
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            set_context("%s: %s", fns[fn].symbol, bad[i].what);
            guest_use(4, LAYOUT_V1); /* operands written in a valid shape */
            default_args(fn, args);
            wasixnet_guest_t g = { bad[i].null_memory ? NULL : gmem, GMEM, bad[i].ps, bad[i].layout };
            run_guest_case_(HERE, fn, &g, args, bad[i].want);
        }
    }
    clear_context();
    /* memory NULL with size 0: nothing is in bounds, but calls without operands work */
    guest_use(4, LAYOUT_V1);
    const wasixnet_guest_t empty = { NULL, 0, 4, LAYOUT_V1 };
    wasixnet_port_t *p = fresh_port();
    CHECK_ERR(OK, gcall(F_guest_port_route_clear, p, &empty, NULL));
    CHECK_ERR(EFAULT_, gcall(F_guest_port_addr_add, p, &empty, GARGS(0)));
    CHECK_ERR(EFAULT_, gcall(F_guest_port_mac, p, &empty, GARGS(0)));
    w_port_free(p);
}

/* ============================================================================================
 * wasi:sockets/udp (CONTRACT §5): calls, statuses, addresses
 * ========================================================================================== */

typedef wasixnet_udp_socket_t sock_t;
typedef wasixnet_sock_status_t status_t;

enum {
    SOK = WASIXNET_SOCK_OK,
    STRAP = WASIXNET_SOCK_TRAP,
    S_NOTSUP = WASIXNET_SOCK_E_NOT_SUPPORTED,
    S_INVAL = WASIXNET_SOCK_E_INVALID_ARGUMENT,
    S_NIP = WASIXNET_SOCK_E_NOT_IN_PROGRESS,
    S_STATE = WASIXNET_SOCK_E_INVALID_STATE,
    S_NOTBINDABLE = WASIXNET_SOCK_E_ADDRESS_NOT_BINDABLE,
    S_INUSE = WASIXNET_SOCK_E_ADDRESS_IN_USE,
    S_TOOLARGE = WASIXNET_SOCK_E_DATAGRAM_TOO_LARGE,
    SA4 = WASIXNET_IP_FAMILY_IPV4,
    SA6 = WASIXNET_IP_FAMILY_IPV6,
};

/* CONTRACT §5's numbers and the WIT names (kebab-case of the error-code cases), with the header's macros. */
static const struct {
    status_t status;
    const char *name;
    status_t header;
} sock_statuses[] = {
    { 0, "ok", WASIXNET_SOCK_OK },
    { -1, "trap", WASIXNET_SOCK_TRAP },
    { 1, "unknown", WASIXNET_SOCK_E_UNKNOWN },
    { 2, "access-denied", WASIXNET_SOCK_E_ACCESS_DENIED },
    { 3, "not-supported", WASIXNET_SOCK_E_NOT_SUPPORTED },
    { 4, "invalid-argument", WASIXNET_SOCK_E_INVALID_ARGUMENT },
    { 5, "out-of-memory", WASIXNET_SOCK_E_OUT_OF_MEMORY },
    { 6, "timeout", WASIXNET_SOCK_E_TIMEOUT },
    { 7, "concurrency-conflict", WASIXNET_SOCK_E_CONCURRENCY_CONFLICT },
    { 8, "not-in-progress", WASIXNET_SOCK_E_NOT_IN_PROGRESS },
    { 9, "would-block", WASIXNET_SOCK_E_WOULD_BLOCK },
    { 10, "invalid-state", WASIXNET_SOCK_E_INVALID_STATE },
    { 11, "new-socket-limit", WASIXNET_SOCK_E_NEW_SOCKET_LIMIT },
    { 12, "address-not-bindable", WASIXNET_SOCK_E_ADDRESS_NOT_BINDABLE },
    { 13, "address-in-use", WASIXNET_SOCK_E_ADDRESS_IN_USE },
    { 14, "remote-unreachable", WASIXNET_SOCK_E_REMOTE_UNREACHABLE },
    { 15, "connection-refused", WASIXNET_SOCK_E_CONNECTION_REFUSED },
    { 16, "connection-reset", WASIXNET_SOCK_E_CONNECTION_RESET },
    { 17, "connection-aborted", WASIXNET_SOCK_E_CONNECTION_ABORTED },
    { 18, "datagram-too-large", WASIXNET_SOCK_E_DATAGRAM_TOO_LARGE },
    { 19, "name-unresolvable", WASIXNET_SOCK_E_NAME_UNRESOLVABLE },
    { 20, "temporary-resolver-failure", WASIXNET_SOCK_E_TEMPORARY_RESOLVER_FAILURE },
    { 21, "permanent-resolver-failure", WASIXNET_SOCK_E_PERMANENT_RESOLVER_FAILURE },
};
enum { N_SOCK_STATUSES = sizeof sock_statuses / sizeof sock_statuses[0] };

#define SOCK_NAME_(status, name, text) [status] = text,
static const char *const sock_map_names[WASIXNET_SOCK_ERROR_COUNT + 1] = { WASIXNET_SOCK_ERROR_MAP(SOCK_NAME_) };
#undef SOCK_NAME_

static const char *sname(status_t s)
{
    for (size_t i = 0; i < N_SOCK_STATUSES; i++)
        if (sock_statuses[i].status == s)
            return sock_statuses[i].name;
    return "not a status";
}

static bool check_status(where_t w, const char *what, status_t expected, status_t got)
{
    return report(w, expected == got, "%s: expected status %" PRId32 " (%s), got %" PRId32 " (%s)", what, expected,
                  sname(expected), got, sname(got));
}
#define CHECK_ST(expected, got) check_status(HERE, #got, (expected), (got))

static status_t S(ret_t r) { return (status_t)(uint32_t)r.i; }
static const char *w_sock_status_name(status_t s) { return call_id(F_sock_status_name, AV(&s)).p; }
static status_t w_udp_create(wasixnet_port_t *p, uint8_t family, sock_t **out)
{
    return S(call_id(F_udp_create, AV(&p, &family, &out)));
}
static void w_udp_free(sock_t *s) { call_id(F_udp_free, AV(&s)); }
/* The calls with a socket and at most one pointer: finish_bind (p unused), start_bind, stream,
 * local_address, remote_address, unicast_hop_limit, the buffer-size getters, check_send. */
static status_t w_sock(int id, sock_t *s, const void *p) { return S(call_id(id, AV(&s, &p))); }
static uint8_t w_udp_family(sock_t *s) { return (uint8_t)call_id(F_udp_address_family, AV(&s)).i; }
static int w_udp_fd(sock_t *s) { return (int)S(call_id(F_udp_fd, AV(&s))); }
static status_t w_set_hop(sock_t *s, uint8_t v) { return S(call_id(F_udp_set_unicast_hop_limit, AV(&s, &v))); }
static status_t w_set_u64(int id, sock_t *s, uint64_t v) { return S(call_id(id, AV(&s, &v))); }
static status_t w_udp_send(sock_t *s, const wasixnet_outgoing_datagram_t *d, size_t n, uint64_t *sent)
{
    return S(call_id(F_udp_send, AV(&s, &d, &n, &sent)));
}
static status_t w_udp_receive(sock_t *s, wasixnet_incoming_datagram_t *out, size_t max, size_t *received)
{
    return S(call_id(F_udp_receive, AV(&s, &out, &max, &received)));
}
static status_t w_guest_udp_send(sock_t *s, const wasixnet_guest_t *g, uint64_t list, uint64_t len, uint64_t *sent)
{
    return S(call_id(F_guest_udp_send, AV(&s, &g, &list, &len, &sent)));
}

/* "127.0.0.1", "::1", "" (tag 0, all zero) or "#N" (tag N, all other bytes zero), with a port. */
static sa_t sa(const char *s, uint16_t port)
{
    sa_t a;
    memset(&a, 0, sizeof a);
    if (s[0] == '#') {
        a.tag = (uint8_t)strtoul(s + 1, NULL, 0);
        return a;
    }
    if (s[0] == '\0')
        return a;
    uint8_t b[16];
    if (strchr(s, ':')) {
        if (inet_pton(AF_INET6, s, b) != 1)
            die("bad IPv6 literal \"%s\"", s);
        a.tag = SA6;
        a.u.ipv6.port = port;
        for (int i = 0; i < 8; i++)
            a.u.ipv6.address[i] = (uint16_t)(b[2 * i] << 8 | b[2 * i + 1]);
    } else {
        if (inet_pton(AF_INET, s, b) != 1)
            die("bad IPv4 literal \"%s\"", s);
        a.tag = SA4;
        a.u.ipv4.port = port;
        memcpy(a.u.ipv4.address, b, 4);
    }
    return a;
}
static uint16_t sa_port(const sa_t *a) { return a->tag == SA4 ? a->u.ipv4.port : a->u.ipv6.port; }
static const char *fam_name(uint8_t f) { return f == SA4 ? "IPv4" : "IPv6"; }
static const char *loopback_of(uint8_t f) { return f == SA4 ? "127.0.0.1" : "::1"; }
static sa_t loopback(uint8_t f, uint16_t port) { return sa(loopback_of(f), port); }

/* Socket states, reached in order: created, start_bind(loopback:0), finish_bind, stream(NULL) or
 * stream(peer). */
enum { ST_FRESH, ST_BINDING, ST_BOUND, ST_OPEN, ST_CONNECTED, N_ST };
static const char *const st_names[N_ST] = { "fresh", "bind started", "bound", "streams open", "streams to a peer" };

static sock_t *sock_in_(where_t w, wasixnet_port_t *port, uint8_t family, int state, const sa_t *peer)
{
    sock_t *s = NULL;
    const sa_t local = loopback(family, 0);
    if (!check_status(w, "udp_create", SOK, w_udp_create(port, family, &s)) || !report(w, s != NULL, "no socket"))
        return NULL;
    if (state >= ST_BINDING)
        check_status(w, "udp_start_bind(loopback:0)", SOK, w_sock(F_udp_start_bind, s, &local));
    if (state >= ST_BOUND)
        check_status(w, "udp_finish_bind", SOK, w_sock(F_udp_finish_bind, s, NULL));
    if (state >= ST_OPEN)
        check_status(w, "udp_stream", SOK, w_sock(F_udp_stream, s, state == ST_CONNECTED ? peer : NULL));
    return s;
}
#define SOCK_IN(family, state, peer) sock_in_(HERE, NULL, (family), (state), (peer))

static sa_t local_of_(where_t w, sock_t *s)
{
    sa_t a;
    memset(&a, 0xA5, sizeof a);
    check_status(w, "udp_local_address", SOK, w_sock(F_udp_local_address, s, &a));
    return a;
}
#define LOCAL_OF(s) local_of_(HERE, (s))

/* check_send, expecting a grant of `want` datagrams */
static void grant_(where_t w, sock_t *s, uint64_t want)
{
    uint64_t permits = 0xDEAD;
    if (check_status(w, "udp_check_send", SOK, w_sock(F_udp_check_send, s, &permits)))
        check_u64(w, "permits", want, permits);
}
#define GRANT(s) grant_(HERE, (s), 1024)

#define SENT_UNTOUCHED UINT64_C(0xDEADBEEF)
/* send, expecting `want` and (on OK) `want_sent`; *sent is written on OK only (header). */
static void send_expect_(where_t w, sock_t *s, const wasixnet_outgoing_datagram_t *d, size_t n, status_t want,
                         uint64_t want_sent)
{
    uint64_t sent = SENT_UNTOUCHED;
    check_status(w, "udp_send", want, w_udp_send(s, d, n, &sent));
    check_u64(w, want == SOK ? "sent" : "sent after a failed send (written on OK only)",
              want == SOK ? want_sent : SENT_UNTOUCHED, sent);
}
#define SEND_EXPECT(s, d, n, want, want_sent) send_expect_(HERE, (s), (d), (n), (want), (want_sent))
#define DG(str, remote) ((wasixnet_outgoing_datagram_t){ (const uint8_t *)(str), sizeof(str) - 1, (remote) })

typedef struct {
    const uint8_t *data;
    size_t len;
} bytes_t;
#define BYTES(str) ((bytes_t){ (const uint8_t *)(str), sizeof(str) - 1 })

/* Receives exactly the datagrams `exp` from `from` (waiting with poll on wasixnet_udp_fd, 1 s at
 * most), then checks that nothing else is queued. */
static void expect_received_(where_t w, sock_t *s, const sa_t *from, const bytes_t *exp, size_t n)
{
    enum { BATCH = 8, CAP = 1200 };
    static uint8_t bufs[BATCH][CAP];
    size_t got = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    const int fd = w_udp_fd(s);
    for (;;) {
        wasixnet_incoming_datagram_t in[BATCH];
        memset(in, 0xA5, sizeof in);
        for (int i = 0; i < BATCH; i++) {
            in[i].data = bufs[i];
            in[i].capacity = CAP;
        }
        const size_t want = n - got < BATCH ? (n - got == 0 ? BATCH : n - got) : BATCH;
        size_t received = 12345;
        if (!check_status(w, "udp_receive", SOK, w_udp_receive(s, in, want, &received)))
            return;
        if (!report(w, received <= want, "udp_receive: %zu datagrams received into %zu slots", received, want))
            return;
        if (got == n) { /* the final look: nothing more */
            report(w, received == 0, "udp_receive: %zu unexpected datagram(s) after the %zu expected, first %zu bytes",
                   received, n, received ? in[0].len : 0);
            return;
        }
        for (size_t i = 0; i < received; i++, got++) {
            char what[96];
            snprintf(what, sizeof what, "datagram %zu: len", got);
            if (check_u64(w, what, exp[got].len, in[i].len) && exp[got].len <= CAP) {
                snprintf(what, sizeof what, "datagram %zu: data", got);
                check_mem(w, what, exp[got].data, in[i].data, exp[got].len);
            }
            snprintf(what, sizeof what, "datagram %zu: truncated", got);
            check_u64(w, what, 0, in[i].truncated);
            snprintf(what, sizeof what, "datagram %zu: remote_address (every byte)", got);
            check_mem(w, what, from, &in[i].remote_address, sizeof *from);
        }
        if (got == n)
            continue;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        const long waited = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
        if (!report(w, waited < 1000, "udp_receive: %zu of %zu datagrams arrived within 1 s", got, n))
            return;
        struct pollfd pfd = { fd, POLLIN, 0 };
        poll(&pfd, 1, (int)(1000 - waited));
    }
}
#define EXPECT_RECEIVED(s, from, ...)                                                        \
    expect_received_(HERE, (s), (from), (const bytes_t[]){ __VA_ARGS__ },                    \
                     sizeof((const bytes_t[]){ __VA_ARGS__ }) / sizeof(bytes_t))
#define EXPECT_NOTHING(s, from) expect_received_(HERE, (s), (from), NULL, 0)

/* ============================================================================================
 * Section: sock status names and numbers
 * ========================================================================================== */

static void test_sock_status(void)
{
    section = "sock status";
    for (size_t i = 0; i < N_SOCK_STATUSES; i++) {
        const status_t st = sock_statuses[i].status;
        set_context("status %" PRId32 " (%s)", st, sock_statuses[i].name);
        CHECK_EQ(st, sock_statuses[i].header);
        CHECK_STR(sock_statuses[i].name, w_sock_status_name(st));
        if (st > 0)
            CHECK_STR(sock_statuses[i].name, sock_map_names[st]);
    }
    static const status_t unknown[] = { 22, 23, 100, 255, 256, -2, -22, INT32_MAX, INT32_MIN };
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        set_context("sock_status_name(%" PRId32 ")", unknown[i]);
        CHECK_STR("unknown-status", w_sock_status_name(unknown[i]));
    }
    clear_context();
    CHECK_EQ(21, WASIXNET_SOCK_ERROR_COUNT);
    CHECK_EQ(0, WASIXNET_IP_FAMILY_IPV4);
    CHECK_EQ(1, WASIXNET_IP_FAMILY_IPV6);
    CHECK_EQ(1024, WASIXNET_UDP_MAX_PERMITS);
    CHECK_EQ(65535, WASIXNET_UDP_MAX_DATAGRAM);
}

/* ============================================================================================
 * Section: udp create / free / address_family / fd
 * ========================================================================================== */

static void test_udp_create(void)
{
    section = "udp create";
    static const struct {
        unsigned family;
        status_t want;
    } cases[] = { { 0, SOK }, { 1, SOK }, { 2, S_INVAL }, { 3, S_INVAL }, { 255, S_INVAL } };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const uint8_t f = (uint8_t)cases[i].family;
        set_context("family %u", cases[i].family);
        sock_t *s = NULL;
        CHECK_ST(cases[i].want, w_udp_create(NULL, f, &s));
        CHECK_ST(S_INVAL, w_udp_create(NULL, f, NULL));
        if (cases[i].want == SOK && CHECK(s != NULL)) {
            CHECK_EQ(f, w_udp_family(s));
            CHECK(w_udp_fd(s) >= 0);
            const int fd = w_udp_fd(s);
            CHECK_EQ(fd, w_udp_fd(s));
        } else {
            report(HERE, s == NULL, "a failed udp_create wrote %p to *out", (void *)s);
        }
        w_udp_free(s);
    }
    clear_context();
    w_udp_free(NULL); /* a no-op */
    CHECK_EQ(255, w_udp_family(NULL));
    CHECK_EQ(-1, w_udp_fd(NULL));
    /* with a port: the socket keeps the port alive after port_free */
    wasixnet_port_t *port = NEW_PORT(NULL);
    sock_t *s = sock_in_(HERE, port, SA4, ST_FRESH, NULL);
    w_port_free(port);
    if (s != NULL) {
        const sa_t local = loopback(SA4, 0);
        CHECK_ST(SOK, w_sock(F_udp_start_bind, s, &local));
        CHECK_ST(SOK, w_sock(F_udp_finish_bind, s, NULL));
        CHECK_EQ(SA4, w_udp_family(s));
    }
    w_udp_free(s);
}

/* ============================================================================================
 * Section: udp states. Every state-dependent call in every state, on a fresh socket each time.
 * ========================================================================================== */

enum { OP_START_BIND, OP_FINISH_BIND, OP_STREAM_PEER, OP_STREAM_NONE, OP_LOCAL, OP_REMOTE,
       OP_CHECK_SEND, OP_SEND_EMPTY, OP_SEND_ONE, OP_RECEIVE, OP_RECEIVE_NONE, N_OP };
static const char *const op_names[N_OP] = {
    "start_bind(loopback:0)", "finish_bind", "stream(peer)", "stream(NULL)", "local_address", "remote_address",
    "check_send", "send of 0 datagrams", "send of 1 datagram with no check_send", "receive(max 4)",
    "receive(NULL, max 0)",
};
#define IS S_STATE
#define NP S_NIP
#define TR STRAP
static const status_t state_grid[N_ST][N_OP] = {
    /*                 SB   FB   STP  STN  LOC  REM  CS   SE   S1   RCV  RCV0 */
    [ST_FRESH] =     { SOK, NP,  IS,  IS,  IS,  IS,  IS,  IS,  IS,  IS,  IS },
    [ST_BINDING] =   { IS,  SOK, IS,  IS,  IS,  IS,  IS,  IS,  IS,  IS,  IS },
    [ST_BOUND] =     { IS,  NP,  SOK, SOK, SOK, IS,  IS,  IS,  IS,  IS,  IS },
    [ST_OPEN] =      { IS,  NP,  SOK, SOK, SOK, IS,  SOK, SOK, TR,  SOK, SOK },
    [ST_CONNECTED] = { IS,  NP,  SOK, SOK, SOK, SOK, SOK, SOK, TR,  SOK, SOK },
};
#undef IS
#undef NP
#undef TR

static status_t run_op(int op, sock_t *s, uint8_t family, const sa_t *peer)
{
    const sa_t local = loopback(family, 0);
    sa_t out;
    memset(&out, 0, sizeof out);
    uint64_t u64 = 0;
    size_t received = 0;
    uint8_t buf[16];
    wasixnet_incoming_datagram_t in[4];
    memset(in, 0, sizeof in);
    for (int i = 0; i < 4; i++) {
        in[i].data = buf;
        in[i].capacity = sizeof buf;
    }
    const wasixnet_outgoing_datagram_t one = DG("x", peer);
    switch (op) {
    case OP_START_BIND: return w_sock(F_udp_start_bind, s, &local);
    case OP_FINISH_BIND: return w_sock(F_udp_finish_bind, s, NULL);
    case OP_STREAM_PEER: return w_sock(F_udp_stream, s, peer);
    case OP_STREAM_NONE: return w_sock(F_udp_stream, s, NULL);
    case OP_LOCAL: return w_sock(F_udp_local_address, s, &out);
    case OP_REMOTE: return w_sock(F_udp_remote_address, s, &out);
    case OP_CHECK_SEND: return w_sock(F_udp_check_send, s, &u64);
    case OP_SEND_EMPTY: return w_udp_send(s, &one, 0, &u64);
    case OP_SEND_ONE: return w_udp_send(s, &one, 1, &u64);
    case OP_RECEIVE: return w_udp_receive(s, in, 4, &received);
    case OP_RECEIVE_NONE: return w_udp_receive(s, NULL, 0, &received);
    default: die("bad op %d", op);
    }
}

static void test_udp_states(void)
{
    section = "udp states";
    for (uint8_t f = SA4; f <= SA6; f++) {
        sock_t *sink = SOCK_IN(f, ST_BOUND, NULL);
        const sa_t peer = LOCAL_OF(sink);
        for (int st = 0; st < N_ST; st++)
            for (int op = 0; op < N_OP; op++) {
                set_context("%s socket, %s: %s", fam_name(f), st_names[st], op_names[op]);
                sock_t *s = SOCK_IN(f, st, &peer);
                if (s != NULL)
                    CHECK_ST(state_grid[st][op], run_op(op, s, f, &peer));
                w_udp_free(s);
            }
        clear_context();
        w_udp_free(sink);
    }
}

/* ============================================================================================
 * Section: udp bind. start_bind with good and bad local addresses; after a failed start_bind the
 * socket is still fresh (finish_bind: NOT_IN_PROGRESS; a good start_bind then works).
 * ========================================================================================== */

static void test_udp_bind(void)
{
    section = "udp bind";
    static const struct {
        uint8_t family;
        const char *addr;
        status_t want;
    } cases[] = {
        { SA4, "127.0.0.1", SOK },
        { SA6, "::1", SOK },
        { SA4, "0.0.0.0", SOK },
        { SA6, "::", SOK },
        { SA4, "::1", S_INVAL },
        { SA6, "127.0.0.1", S_INVAL },
        { SA6, "::ffff:127.0.0.1", S_INVAL },
        { SA4, "#2", S_INVAL },
        { SA6, "#255", S_INVAL },
        { SA4, "192.0.2.1", S_NOTBINDABLE },
        { SA6, "2001:db8::1", S_NOTBINDABLE },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const uint8_t f = cases[i].family;
        set_context("%s socket, start_bind(%s:0)", fam_name(f), cases[i].addr);
        sock_t *s = SOCK_IN(f, ST_FRESH, NULL);
        if (s == NULL)
            continue;
        const sa_t a = sa(cases[i].addr, 0);
        CHECK_ST(cases[i].want, w_sock(F_udp_start_bind, s, &a));
        if (cases[i].want == SOK) {
            CHECK_ST(SOK, w_sock(F_udp_finish_bind, s, NULL));
            const sa_t got = LOCAL_OF(s);
            sa_t exp = sa(cases[i].addr, sa_port(&got));
            report(HERE, sa_port(&got) != 0, "local_address after bind to port 0 has port 0");
            CHECK_MEM(&exp, &got, sizeof exp);
            CHECK_EQ(f, w_udp_family(s));
        } else {
            CHECK_ST(S_NIP, w_sock(F_udp_finish_bind, s, NULL));
            const sa_t good = loopback(f, 0);
            CHECK_ST(SOK, w_sock(F_udp_start_bind, s, &good));
            CHECK_ST(SOK, w_sock(F_udp_finish_bind, s, NULL));
        }
        w_udp_free(s);
    }
    /* bound to the unspecified address: after stream, local_address is the one chosen for the peer */
    for (uint8_t f = SA4; f <= SA6; f++) {
        set_context("%s: bound to the unspecified address, then stream to loopback", fam_name(f));
        sock_t *sink = SOCK_IN(f, ST_BOUND, NULL), *s = SOCK_IN(f, ST_FRESH, NULL);
        if (sink != NULL && s != NULL) {
            const sa_t any = sa(f == SA4 ? "0.0.0.0" : "::", 0), peer = LOCAL_OF(sink);
            CHECK_ST(SOK, w_sock(F_udp_start_bind, s, &any));
            CHECK_ST(SOK, w_sock(F_udp_finish_bind, s, NULL));
            const sa_t before = LOCAL_OF(s);
            CHECK_ST(SOK, w_sock(F_udp_stream, s, &peer));
            const sa_t after = LOCAL_OF(s), exp = loopback(f, sa_port(&before));
            CHECK_MEM(&exp, &after, sizeof exp);
        }
        w_udp_free(s);
        w_udp_free(sink);
    }
    /* a taken address; then, once it is freed, the same address binds */
    for (uint8_t f = SA4; f <= SA6; f++) {
        set_context("%s: the address of a bound socket", fam_name(f));
        sock_t *a = SOCK_IN(f, ST_BOUND, NULL);
        sock_t *b = SOCK_IN(f, ST_FRESH, NULL);
        if (a == NULL || b == NULL)
            continue;
        const sa_t taken = LOCAL_OF(a);
        CHECK_ST(S_INUSE, w_sock(F_udp_start_bind, b, &taken));
        CHECK_ST(S_NIP, w_sock(F_udp_finish_bind, b, NULL));
        w_udp_free(a);
        CHECK_ST(SOK, w_sock(F_udp_start_bind, b, &taken));
        CHECK_ST(SOK, w_sock(F_udp_finish_bind, b, NULL));
        const sa_t got = LOCAL_OF(b);
        CHECK_MEM(&taken, &got, sizeof got);
        w_udp_free(b);
    }
    clear_context();
}

/* ============================================================================================
 * Section: udp options: unicast hop limit, receive / send buffer sizes
 * ========================================================================================== */

static uint64_t read_sysctl(const char *path)
{
    FILE *f = fopen(path, "r");
    unsigned long long v = 0;
    if (f == NULL || fscanf(f, "%llu", &v) != 1)
        v = 0;
    if (f != NULL)
        fclose(f);
    return v;
}

static void test_udp_options(void)
{
    section = "udp options";
    static const struct {
        const char *name;
        int get, set;
        const char *sysctl_max; /* the kernel's clamp; 0 when unreadable */
    } bufs[] = {
        { "receive_buffer_size", F_udp_receive_buffer_size, F_udp_set_receive_buffer_size,
          "/proc/sys/net/core/rmem_max" },
        { "send_buffer_size", F_udp_send_buffer_size, F_udp_set_send_buffer_size, "/proc/sys/net/core/wmem_max" },
    };
    static const uint64_t sizes[] = { 8192, 65536, 100000, 3 * 65536 + 8, UINT64_C(1) << 31, UINT64_C(1) << 32,
                                      UINT64_MAX };
    static const uint8_t hops[] = { 1, 42, 128, 255 };
    for (uint8_t f = SA4; f <= SA6; f++) {
        sock_t *s = SOCK_IN(f, ST_FRESH, NULL);
        if (s == NULL)
            continue;
        uint8_t hop = 0, hop2 = 0;
        set_context("%s socket: unicast hop limit", fam_name(f));
        CHECK_ST(SOK, w_sock(F_udp_unicast_hop_limit, s, &hop));
        CHECK(hop >= 1);
        CHECK_ST(S_INVAL, w_set_hop(s, 0));
        CHECK_ST(SOK, w_sock(F_udp_unicast_hop_limit, s, &hop2));
        CHECK_EQ(hop, hop2);
        for (size_t i = 0; i < sizeof hops / sizeof hops[0]; i++) {
            set_context("%s socket: set_unicast_hop_limit(%u)", fam_name(f), hops[i]);
            CHECK_ST(SOK, w_set_hop(s, hops[i]));
            hop = 0;
            CHECK_ST(SOK, w_sock(F_udp_unicast_hop_limit, s, &hop));
            CHECK_EQ(hops[i], hop);
        }
        for (size_t b = 0; b < sizeof bufs / sizeof bufs[0]; b++) {
            const uint64_t max = read_sysctl(bufs[b].sysctl_max);
            uint64_t before = 0, v = 0;
            set_context("%s socket: %s", fam_name(f), bufs[b].name);
            CHECK_ST(SOK, w_sock(bufs[b].get, s, &before));
            CHECK(before > 0);
            CHECK_ST(S_INVAL, w_set_u64(bufs[b].set, s, 0));
            CHECK_ST(SOK, w_sock(bufs[b].get, s, &v));
            CHECK_EQ(before, v);
            for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
                set_context("%s socket: set_%s(%" PRIu64 ")", fam_name(f), bufs[b].name, sizes[i]);
                CHECK_ST(SOK, w_set_u64(bufs[b].set, s, sizes[i]));
                v = 0;
                CHECK_ST(SOK, w_sock(bufs[b].get, s, &v));
                if (max != 0 && sizes[i] <= max)
                    CHECK_EQ(sizes[i], v); /* not clamped: read back as set */
                else
                    report(HERE, v > 0 && v <= sizes[i], "clamped size read back as %" PRIu64, v);
            }
        }
        clear_context();
        w_udp_free(s);
    }
}

/* ============================================================================================
 * Section: udp null. NULL socket and each NULL required pointer in turn: INVALID_ARGUMENT.
 * ========================================================================================== */

static sa_t snc_sa, snc_sa_out;
static uint8_t snc_u8;
static uint64_t snc_u64;
static size_t snc_z;
static sock_t *snc_sock;
static uint8_t snc_byte[1] = { 'n' };
static wasixnet_outgoing_datagram_t snc_out[1];
static wasixnet_incoming_datagram_t snc_in[1];
static uint8_t snc_mem[256];
static wasixnet_guest_t snc_guest;

typedef struct {
    int fn;
    int state;         /* the socket's state (argument 0); -1: argument 0 is not a socket */
    unsigned nullable; /* bit i: argument i may be NULL */
    arg_t a[6];        /* a[0], the socket, is filled in at run time */
} sock_nullcase_t;
static const sock_nullcase_t sock_null_cases[] = {
    { F_udp_create, -1, 1u << 0, { AP(0), { .b = SA4 }, AP(&snc_sock) } },
    { F_udp_start_bind, ST_FRESH, 0, { AP(0), AP(&snc_sa) } },
    { F_udp_finish_bind, ST_BINDING, 0, { AP(0) } },
    { F_udp_stream, ST_BOUND, 1u << 1, { AP(0), AP(&snc_sa) } },
    { F_udp_local_address, ST_BOUND, 0, { AP(0), AP(&snc_sa_out) } },
    { F_udp_remote_address, ST_CONNECTED, 0, { AP(0), AP(&snc_sa_out) } },
    { F_udp_unicast_hop_limit, ST_FRESH, 0, { AP(0), AP(&snc_u8) } },
    { F_udp_set_unicast_hop_limit, ST_FRESH, 0, { AP(0), { .b = 64 } } },
    { F_udp_receive_buffer_size, ST_FRESH, 0, { AP(0), AP(&snc_u64) } },
    { F_udp_set_receive_buffer_size, ST_FRESH, 0, { AP(0), AQ(65536) } },
    { F_udp_send_buffer_size, ST_FRESH, 0, { AP(0), AP(&snc_u64) } },
    { F_udp_set_send_buffer_size, ST_FRESH, 0, { AP(0), AQ(65536) } },
    { F_udp_check_send, ST_CONNECTED, 0, { AP(0), AP(&snc_u64) } },
    { F_udp_send, ST_CONNECTED, 0, { AP(0), AP(snc_out), { .z = 1 }, AP(&snc_u64) } },
    { F_udp_receive, ST_CONNECTED, 0, { AP(0), AP(snc_in), { .z = 1 }, AP(&snc_z) } },
    { F_guest_udp_send, ST_CONNECTED, 0, { AP(0), AP(&snc_guest), AQ(0), AQ(1), AP(&snc_u64) } },
};

static void test_udp_null(void)
{
    section = "udp null";
    sock_t *sink = SOCK_IN(SA4, ST_OPEN, NULL); /* open: it can receive what a broken call sends */
    const sa_t peer = LOCAL_OF(sink);
    snc_sa = peer;
    snc_out[0] = (wasixnet_outgoing_datagram_t){ snc_byte, 1, NULL };
    snc_in[0] = (wasixnet_incoming_datagram_t){ .data = snc_byte, .capacity = 1 };
    /* one valid guest list element at 0: 1 byte at 0x80, no address */
    memset(snc_mem, 0, sizeof snc_mem);
    put_le(snc_mem + 0, 0x80, 4);
    put_le(snc_mem + 4, 1, 4);
    snc_guest = (wasixnet_guest_t){ snc_mem, sizeof snc_mem, 4, LAYOUT_V1 };
    for (size_t ci = 0; ci < sizeof sock_null_cases / sizeof sock_null_cases[0]; ci++) {
        const sock_nullcase_t *nc = &sock_null_cases[ci];
        const fn_t *f = &fns[nc->fn];
        for (unsigned i = 0; i < f->nargs; i++) {
            if (f->sig[1 + i] != 'p' || (nc->nullable >> i & 1u))
                continue;
            sock_t *s = nc->state >= 0 ? SOCK_IN(SA4, nc->state, &peer) : NULL;
            if (nc->state == ST_CONNECTED)
                GRANT(s); /* nothing but the NULL is wrong */
            arg_t a[6];
            void *av[6];
            memcpy(a, nc->a, sizeof a);
            if (nc->state >= 0)
                a[0].p = s;
            a[i].p = NULL;
            for (unsigned k = 0; k < f->nargs; k++)
                av[k] = &a[k];
            snc_sock = NULL;
            set_context("%s with argument %u (%s) NULL", f->symbol, i,
                        i == 0 && nc->state >= 0 ? "socket" : "pointer");
            CHECK_ST(S_INVAL, S(call_id(nc->fn, av)));
            if (nc->fn == F_udp_create)
                CHECK(snc_sock == NULL);
            w_udp_free(s);
        }
    }
    clear_context();
    EXPECT_NOTHING(sink, &peer);
    w_udp_free(sink);
}

/* ============================================================================================
 * Section: udp io, for each family. A and B on loopback, streaming to each other; C unconnected.
 * ========================================================================================== */

/* Addresses a test derives from the peer's: the peer itself and invalid ones. */
enum { K_PEER, K_UNSPEC, K_PORT0, K_OTHER_FAMILY, K_TAG2, K_MAPPED, K_OTHER_PORT, K_OTHER_FLOW, K_OTHER_SCOPE,
       K_NONE };
static const char *const kind_names[] = { "the peer",    "the unspecified address", "port 0",
                                          "the other family", "tag 2",           "an IPv4-mapped address",
                                          "the peer's address with another port", "the peer with flow_info 1",
                                          "the peer with scope_id 1", "no address" };
static bool kind_applies(int kind, uint8_t f)
{
    return f == SA6 || (kind != K_MAPPED && kind != K_OTHER_FLOW && kind != K_OTHER_SCOPE);
}
static sa_t addr_kind(int kind, uint8_t f, const sa_t *peer)
{
    const uint16_t port = sa_port(peer);
    sa_t a = *peer;
    switch (kind) {
    case K_UNSPEC: return sa(f == SA4 ? "0.0.0.0" : "::", port);
    case K_PORT0: return loopback(f, 0);
    case K_OTHER_FAMILY: return loopback(f == SA4 ? SA6 : SA4, port);
    case K_TAG2: a.tag = 2; return a;
    case K_MAPPED: return sa("::ffff:127.0.0.1", port);
    case K_OTHER_PORT: return loopback(f, (uint16_t)(port == 65535 ? 1 : port + 1));
    case K_OTHER_FLOW: a.u.ipv6.flow_info = 1; return a;
    case K_OTHER_SCOPE: a.u.ipv6.scope_id = 1; return a;
    default: return a;
    }
}

#define BIG_DG 70000u
static uint8_t big[BIG_DG];
static wasixnet_outgoing_datagram_t many[1025];

static void udp_io(uint8_t f)
{
    sock_t *a = SOCK_IN(f, ST_BOUND, NULL), *b = SOCK_IN(f, ST_BOUND, NULL), *c = SOCK_IN(f, ST_BOUND, NULL);
    if (a == NULL || b == NULL || c == NULL)
        goto out;
    const sa_t la = LOCAL_OF(a), lb = LOCAL_OF(b);
    const sa_t exp_la = loopback(f, sa_port(&la));
    CHECK_MEM(&exp_la, &la, sizeof la);
    CHECK_ST(SOK, w_sock(F_udp_stream, a, &lb));
    CHECK_ST(SOK, w_sock(F_udp_stream, b, &la));
    sa_t r;
    memset(&r, 0xA5, sizeof r);
    CHECK_ST(SOK, w_sock(F_udp_remote_address, a, &r));
    CHECK_MEM(&lb, &r, sizeof r);

    /* stream with a bad remote changes nothing */
    static const int bad_streams[] = { K_UNSPEC, K_PORT0, K_OTHER_FAMILY, K_TAG2, K_MAPPED };
    for (size_t i = 0; i < sizeof bad_streams / sizeof bad_streams[0]; i++) {
        if (!kind_applies(bad_streams[i], f))
            continue;
        set_context("stream(%s)", kind_names[bad_streams[i]]);
        const sa_t bad = addr_kind(bad_streams[i], f, &lb);
        CHECK_ST(S_INVAL, w_sock(F_udp_stream, a, &bad));
        memset(&r, 0xA5, sizeof r);
        CHECK_ST(SOK, w_sock(F_udp_remote_address, a, &r));
        CHECK_MEM(&lb, &r, sizeof r);
    }
    clear_context();

    /* a batch with a zero-length datagram; the peer's own address as remote_address is fine */
    static uint8_t kilo[1000];
    for (size_t i = 0; i < sizeof kilo; i++)
        kilo[i] = (uint8_t)(i * 7u + 1u);
    GRANT(a);
    const wasixnet_outgoing_datagram_t batch[] = { DG("hello", NULL), DG("", NULL), { kilo, sizeof kilo, &lb },
                                                   DG("hello", &lb) };
    SEND_EXPECT(a, batch, 4, SOK, 4);
    EXPECT_RECEIVED(b, &la, BYTES("hello"), BYTES(""), ((bytes_t){ kilo, sizeof kilo }), BYTES("hello"));

    /* the grant: more than granted, no check_send since the last send, an empty send uses it up,
     * stream resets it; none of these sends anything */
    for (size_t i = 0; i < 1025; i++)
        many[i] = DG("m", NULL);
    GRANT(a);
    SEND_EXPECT(a, many, 1025, STRAP, 0);
    GRANT(a);
    SEND_EXPECT(a, many, 1, SOK, 1);
    SEND_EXPECT(a, many, 1, STRAP, 0);
    GRANT(a);
    SEND_EXPECT(a, many, 0, SOK, 0);
    SEND_EXPECT(a, many, 1, STRAP, 0);
    SEND_EXPECT(a, many, 0, SOK, 0); /* no grant needed */
    GRANT(a);
    CHECK_ST(SOK, w_sock(F_udp_stream, a, &lb));
    SEND_EXPECT(a, many, 1, STRAP, 0);
    GRANT(a);
    SEND_EXPECT(a, many, 3, SOK, 3);
    EXPECT_RECEIVED(b, &la, BYTES("m"), BYTES("m"), BYTES("m"), BYTES("m"));

    /* bad datagrams: at index 0 their error (nothing sent), at index 1 OK with the first sent */
    static const struct {
        int kind;      /* remote_address */
        size_t len;    /* 0: "bad" */
        bool null_data;
        status_t want;
    } bad_dgs[] = {
        { K_UNSPEC, 0, false, S_INVAL },       { K_PORT0, 0, false, S_INVAL },
        { K_OTHER_FAMILY, 0, false, S_INVAL }, { K_TAG2, 0, false, S_INVAL },
        { K_MAPPED, 0, false, S_INVAL },       { K_OTHER_PORT, 0, false, S_INVAL },
        { K_OTHER_FLOW, 0, false, S_INVAL },   { K_OTHER_SCOPE, 0, false, S_INVAL },
        { K_NONE, 3, true, S_INVAL },          { K_NONE, 65536, false, S_TOOLARGE },
        { K_NONE, 65535, false, S_TOOLARGE }, /* passes the check; the kernel's EMSGSIZE (IP payload limit) */
        { K_PEER, BIG_DG, false, S_TOOLARGE },
    };
    bytes_t exp_second[sizeof bad_dgs / sizeof bad_dgs[0]];
    size_t n_second = 0;
    static char labels[sizeof bad_dgs / sizeof bad_dgs[0]][8];
    for (size_t i = 0; i < sizeof bad_dgs / sizeof bad_dgs[0]; i++) {
        if (!kind_applies(bad_dgs[i].kind, f))
            continue;
        const sa_t bad_addr = addr_kind(bad_dgs[i].kind, f, &lb);
        const wasixnet_outgoing_datagram_t bad = {
            bad_dgs[i].null_data ? NULL : bad_dgs[i].len ? big : (const uint8_t *)"bad",
            bad_dgs[i].len ? bad_dgs[i].len : 3,
            bad_dgs[i].kind == K_NONE ? NULL : &bad_addr,
        };
        snprintf(labels[i], sizeof labels[i], "ok%zu", i);
        const wasixnet_outgoing_datagram_t two[2] = { { (const uint8_t *)labels[i], strlen(labels[i]), NULL }, bad };
        set_context("datagram of %zu bytes%s to %s", bad.len, bad.data ? "" : " (data NULL)",
                    kind_names[bad_dgs[i].kind]);
        GRANT(a);
        SEND_EXPECT(a, &bad, 1, bad_dgs[i].want, 0);
        GRANT(a);
        SEND_EXPECT(a, two, 2, SOK, 1);
        exp_second[n_second++] = (bytes_t){ (const uint8_t *)labels[i], strlen(labels[i]) };
    }
    clear_context();
    expect_received_(HERE, b, &la, exp_second, n_second);

    /* truncation: capacity 4, and capacity 0 with data NULL */
    GRANT(a);
    const wasixnet_outgoing_datagram_t tens[] = { DG("0123456789", NULL), DG("abcdefghij", NULL) };
    SEND_EXPECT(a, tens, 2, SOK, 2);
    {
        struct pollfd pfd = { w_udp_fd(b), POLLIN, 0 };
        CHECK_EQ(1, poll(&pfd, 1, 1000));
        uint8_t small[8];
        memset(small, 0xA5, sizeof small);
        wasixnet_incoming_datagram_t in[2];
        memset(in, 0xA5, sizeof in);
        in[0].data = small;
        in[0].capacity = 4;
        in[1].data = NULL;
        in[1].capacity = 0;
        size_t got = 0;
        CHECK_ST(SOK, w_udp_receive(b, in, 2, &got));
        CHECK_EQ(2, got);
        CHECK_EQ(4, in[0].len);
        CHECK_EQ(1, in[0].truncated);
        CHECK_MEM("0123\xA5", small, 5);
        CHECK_MEM(&la, &in[0].remote_address, sizeof la);
        CHECK_EQ(0, in[1].len);
        CHECK_EQ(1, in[1].truncated);
        CHECK_MEM(&la, &in[1].remote_address, sizeof la);
    }

    /* C, unconnected: no address is INVALID_ARGUMENT; to B it is sent, but B (streaming to A)
     * drops it: the next datagram B receives is A's */
    CHECK_ST(SOK, w_sock(F_udp_stream, c, NULL));
    memset(&r, 0xA5, sizeof r);
    CHECK_ST(S_STATE, w_sock(F_udp_remote_address, c, &r));
    GRANT(c);
    SEND_EXPECT(c, (const wasixnet_outgoing_datagram_t[]){ DG("from c", NULL) }, 1, S_INVAL, 0);
    GRANT(c);
    SEND_EXPECT(c, (const wasixnet_outgoing_datagram_t[]){ DG("from c", &lb) }, 1, SOK, 1);
    GRANT(a);
    SEND_EXPECT(a, (const wasixnet_outgoing_datagram_t[]){ DG("from a", NULL) }, 1, SOK, 1);
    EXPECT_RECEIVED(b, &la, BYTES("from a"));

    /* B open to every peer: receives from C with C's address */
    const sa_t lc = LOCAL_OF(c);
    CHECK_ST(SOK, w_sock(F_udp_stream, b, NULL));
    GRANT(c);
    SEND_EXPECT(c, (const wasixnet_outgoing_datagram_t[]){ DG("c again", &lb) }, 1, SOK, 1);
    EXPECT_RECEIVED(b, &lc, BYTES("c again"));

    /* streaming to a port nobody listens on: the ICMP port unreachable comes back as
     * CONNECTION_REFUSED, once, from receive and then from send (nothing sent) */
    const sa_t dead = LOCAL_OF(c);
    w_udp_free(c);
    c = NULL;
    CHECK_ST(SOK, w_sock(F_udp_stream, a, &dead));
    for (int round = 0; round < 2; round++) {
        set_context("streaming to a closed port, %s", round == 0 ? "receive" : "send");
        GRANT(a);
        SEND_EXPECT(a, (const wasixnet_outgoing_datagram_t[]){ DG("anyone?", NULL) }, 1, SOK, 1);
        struct pollfd pfd = { w_udp_fd(a), POLLIN, 0 };
        CHECK_EQ(1, poll(&pfd, 1, 1000));
        report(HERE, (pfd.revents & POLLERR) != 0, "no POLLERR after the ICMP error (revents %#x)", pfd.revents);
        wasixnet_incoming_datagram_t in[1] = { { .data = NULL, .capacity = 0 } };
        size_t got = 12345;
        if (round == 0) {
            CHECK_ST(WASIXNET_SOCK_E_CONNECTION_REFUSED, w_udp_receive(a, in, 1, &got));
        } else {
            GRANT(a);
            SEND_EXPECT(a, (const wasixnet_outgoing_datagram_t[]){ DG("again?", NULL) }, 1,
                        WASIXNET_SOCK_E_CONNECTION_REFUSED, 0);
        }
        got = 12345;
        CHECK_ST(SOK, w_udp_receive(a, in, 1, &got)); /* reported once */
        CHECK_EQ(0, got);
    }
    clear_context();
out:
    w_udp_free(a);
    w_udp_free(b);
    w_udp_free(c);
}

static void test_udp_io(void)
{
    for (uint8_t f = SA4; f <= SA6; f++) {
        section = f == SA4 ? "udp io (IPv4)" : "udp io (IPv6)";
        udp_io(f);
    }
}

/* ============================================================================================
 * Section: udp guest. wasixnet_guest_udp_send with canonical-ABI lists in a fake guest memory.
 * ========================================================================================== */

enum { UG_MEM = 0x20000, UG_LIST = 0x200, UG_EL = 44 }; /* room for a 65536-byte datagram */
static uint8_t ugmem[UG_MEM];

/* the good list: "abc" with no address, then "de" with option some(B's address) */
static void ug_setup(const sa_t *peer)
{
    memset(ugmem, 0xC3, sizeof ugmem);
    memcpy(ugmem + 0x100, "abcde", 5);
    uint8_t *e = ugmem + UG_LIST;
    memset(e, 0, 2 * UG_EL);
    put_le(e + 0, 0x100, 4);
    put_le(e + 4, 3, 4);
    e[8] = 0;
    put_le(e + UG_EL + 0, 0x103, 4);
    put_le(e + UG_EL + 4, 2, 4);
    e[UG_EL + 8] = 1;
    memcpy(e + UG_EL + 12, peer, sizeof *peer);
}

static void test_udp_guest(void)
{
    section = "udp guest";
    sock_t *a = SOCK_IN(SA4, ST_BOUND, NULL), *b = SOCK_IN(SA4, ST_BOUND, NULL);
    if (a == NULL || b == NULL)
        goto out;
    const sa_t la = LOCAL_OF(a), lb = LOCAL_OF(b);
    CHECK_ST(SOK, w_sock(F_udp_stream, a, &lb));
    CHECK_ST(SOK, w_sock(F_udp_stream, b, &la));
    static const struct {
        const char *what;
        uint8_t ps;
        bool null_memory, no_grant, null_guest;
        uint64_t list, len;
        long poke;        /* offset of a little-endian poke, -1: none */
        unsigned width;   /* its width */
        uint64_t value;
        status_t want;
        uint64_t sent;
    } cases[] = {
        { "the good list", 4, false, false, false, UG_LIST, 2, -1, 0, 0, SOK, 2 },
        { "an empty list", 4, false, false, false, UG_LIST, 0, -1, 0, 0, SOK, 0 },
        { "an empty list at the end of memory", 4, false, false, false, UG_MEM, 0, -1, 0, 0, SOK, 0 },
        { "the good list with no check_send", 4, false, true, false, UG_LIST, 2, -1, 0, 0, STRAP, 0 },
        { "option tag 2 in element 1", 4, false, false, false, UG_LIST, 2, UG_LIST + UG_EL + 8, 1, 2, STRAP, 0 },
        { "address tag 2 in element 1", 4, false, false, false, UG_LIST, 2, UG_LIST + UG_EL + 12, 1, 2, STRAP, 0 },
        { "element 0's data past memory_size", 4, false, false, false, UG_LIST, 2, UG_LIST, 4, UG_MEM - 2, STRAP, 0 },
        { "element 1's length 2^32 - 1", 4, false, false, false, UG_LIST, 2, UG_LIST + UG_EL + 4, 4, 0xFFFFFFFF,
          STRAP, 0 },
        { "a list ending 4 bytes past memory_size", 4, false, false, false, UG_MEM - UG_EL + 4, 1, -1, 0, 0, STRAP, 0 },
        { "a list pointer past memory_size", 4, false, false, false, UG_MEM + 4, 1, -1, 0, 0, STRAP, 0 },
        { "a list length of 2^64 - 1", 4, false, false, false, UG_LIST, UINT64_MAX, -1, 0, 0, STRAP, 0 },
        { "port 0 in element 1 (index 1: the first is sent)", 4, false, false, false, UG_LIST, 2,
          UG_LIST + UG_EL + 12 + 4, 2, 0, SOK, 1 },
        { "element 0's length 65536", 4, false, false, false, UG_LIST, 2, UG_LIST + 4, 4, 65536, S_TOOLARGE, 0 },
        { "pointer_size 8", 8, false, false, false, UG_LIST, 2, -1, 0, 0, S_NOTSUP, 0 },
        { "pointer_size 0", 0, false, false, false, UG_LIST, 2, -1, 0, 0, S_INVAL, 0 },
        { "pointer_size 2", 2, false, false, false, UG_LIST, 2, -1, 0, 0, S_INVAL, 0 },
        { "memory NULL with a size", 4, true, false, false, UG_LIST, 2, -1, 0, 0, S_INVAL, 0 },
        { "guest NULL", 4, false, false, true, UG_LIST, 2, -1, 0, 0, S_INVAL, 0 },
    };
    bytes_t exp[2 * sizeof cases / sizeof cases[0]];
    size_t n_exp = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        set_context("%s", cases[i].what);
        ug_setup(&lb);
        if (cases[i].poke >= 0)
            put_le(ugmem + cases[i].poke, cases[i].value, cases[i].width);
        const wasixnet_guest_t g = { cases[i].null_memory ? NULL : ugmem, UG_MEM, cases[i].ps, LAYOUT_V1 };
        if (!cases[i].no_grant)
            GRANT(a);
        else
            SEND_EXPECT(a, many, 0, SOK, 0); /* uses any grant up */
        uint64_t sent = SENT_UNTOUCHED;
        CHECK_ST(cases[i].want, w_guest_udp_send(a, cases[i].null_guest ? NULL : &g, cases[i].list, cases[i].len,
                                                 &sent));
        CHECK_EQ(cases[i].want == SOK ? cases[i].sent : SENT_UNTOUCHED, sent);
        for (uint64_t k = 0; k < cases[i].sent; k++)
            exp[n_exp++] = k == 0 ? BYTES("abc") : BYTES("de");
    }
    clear_context();
    expect_received_(HERE, b, &la, exp, n_exp);
out:
    w_udp_free(a);
    w_udp_free(b);
}

/* ============================================================================================
 * Section: the imports table
 * ========================================================================================== */

static const char *const port_calls[N_GUEST] = { "port_bridge",      "port_unbridge",   "port_dhcp_acquire",
                                                  "port_addr_add",    "port_addr_remove", "port_addr_clear",
                                                  "port_addr_list",   "port_mac",        "port_gateway_set",
                                                  "port_route_add",   "port_route_remove", "port_route_clear",
                                                  "port_route_list" };
static const char *const params32[N_GUEST] = { "iiiii", "", "", "i", "i", "", "ii", "i", "i", "iiii", "i", "", "ii" };
static const char *const params64[N_GUEST] = { "IIIIi", "", "", "I", "I", "", "II", "I", "I", "IIII", "I", "", "II" };

static const wasixnet_import_t *imp;
static size_t imp_count;

static wasixnet_host_fn find_import(const char *module, const char *name)
{
    for (size_t i = 0; imp != NULL && i < imp_count; i++)
        if (imp[i].module && imp[i].name && strcmp(imp[i].module, module) == 0 && strcmp(imp[i].name, name) == 0)
            return imp[i].call;
    report(HERE, false, "no import %s.%s", module, name);
    return NULL;
}

static wasixnet_errno_t icall(const char *module, const char *name, wasixnet_port_t *p, const wasixnet_guest_t *g,
                              uint64_t *args)
{
    const wasixnet_host_fn fn = find_import(module, name);
    return fn ? hcall(fn, p, g, args) : 0xFFFF;
}

static void test_imports(void)
{
    section = "imports";
    imp_count = 12345;
    imp = w_imports(&imp_count);
    if (!CHECK(imp != NULL))
        return;
    CHECK_EQ(26, imp_count);
    CHECK(w_imports(NULL) == imp);
    /* entries 0..12 are wasix_32v1, 13..25 wasix_64v1; each module has each of the 13 names once
     * (the order inside a module is not fixed by the contract) with that call's params */
    unsigned seen[2][N_GUEST] = { { 0 } };
    for (size_t i = 0; i < 26 && i < imp_count; i++) {
        const bool is64 = i >= N_GUEST;
        set_context("entry %zu", i);
        CHECK_STR(is64 ? "wasix_64v1" : "wasix_32v1", imp[i].module);
        int k = -1;
        for (int j = 0; j < N_GUEST && imp[i].name != NULL; j++)
            if (strcmp(imp[i].name, port_calls[j]) == 0)
                k = j;
        if (report(HERE, k >= 0, "name \"%s\" is not one of the 13 port calls", imp[i].name ? imp[i].name : "NULL")) {
            seen[is64][k]++;
            CHECK_STR(is64 ? params64[k] : params32[k], imp[i].params);
            CHECK_EQ(fns[F_GUEST0 + k].nargs - 2, strlen(is64 ? params64[k] : params32[k])); /* the test's tables */
        }
        CHECK_STR("i", imp[i].results);
        CHECK(imp[i].call != NULL);
    }
    for (int m = 0; m < 2; m++)
        for (int k = 0; k < N_GUEST; k++) {
            set_context("module %s, %s", m ? "wasix_64v1" : "wasix_32v1", port_calls[k]);
            CHECK_EQ(1, seen[m][k]);
        }
    /* every entry: NULL port or NULL guest -> EFAULT */
    guest_use(4, LAYOUT_V1);
    clk.now = T0;
    wasixnet_port_t *p = fresh_port();
    for (size_t i = 0; i < imp_count && imp[i].call != NULL; i++) {
        set_context("entry %zu (%s.%s)", i, imp[i].module ? imp[i].module : "?", imp[i].name ? imp[i].name : "?");
        uint64_t args[8] = { 0x100, 4, 0x200, 3, 1, 0, 0, 0 };
        CHECK_ERR(EFAULT_, hcall(imp[i].call, NULL, &gst, args));
        CHECK_ERR(EFAULT_, hcall(imp[i].call, p, NULL, args));
    }
    clear_context();
    w_port_free(p);

    /* wasix_32v1 entries: 4-byte count cell whatever guest->pointer_size says; only the low 32 bits
     * of each argument count */
    guest_use(8, LAYOUT_V1);
    p = fresh_port();
    const wasixnet_route_t r = R("10.2.0.0/16", "192.168.1.1", NONE, AT(50));
    gput_cidr(0x100, &r.cidr);
    gput_addr(0x500, &r.via_router);
    gput_ts(0x900, &r.preferred_until);
    gput_ts(0xD00, &r.expires_at);
    const uint64_t hi = UINT64_C(0xFFFFFFFF00000000);
    CHECK_ERR(OK, icall("wasix_32v1", "port_route_add", p, &gst,
                        GARGS(hi | 0x100, hi | 0x500, UINT64_C(0x100000000) | 0x900, 0xD00)));
    EXPECT_ROUTES(p, setup_route(), r);
    gput_cell(gmem, 0x3003, 4, 4);
    gwrite(gmem, 0x3007, "\xff\xff\xff\xff", 4); /* an 8-byte read would see a huge capacity */
    gexp_begin();
    gexp_entries(LIST_ROUTES, 0x2001, (const wasixnet_route_t[]){ setup_route(), r }, 2);
    gput_cell(gexp, 0x3003, 2, 4);
    CHECK_ERR(OK, icall("wasix_32v1", "port_route_list", p, &gst, GARGS(hi | 0x2001, hi | 0x3003)));
    GEXP_CHECK("wasix_32v1 port_route_list: entries and a 4-byte count cell");
    gexp_begin();
    gwrite(gexp, 0x909, MAC1, 6);
    CHECK_ERR(OK, icall("wasix_32v1", "port_mac", p, &gst, GARGS(hi | 0x909)));
    GEXP_CHECK("wasix_32v1 port_mac");
    gwrite(gmem, 0xA01, "net0", 4);
    gwrite(gmem, 0xB03, "tok", 3);
    hk.bridge_ret = WASIXNET_EADDRINUSE;
    CHECK_ERR(WASIXNET_EADDRINUSE,
              icall("wasix_32v1", "port_bridge", p, &gst, GARGS(hi | 0xA01, hi | 4, 0xB03, 3, hi | 1)));
    CHECK_STR("net0", hk.network);
    CHECK_EQ(1, hk.security);
    w_port_free(p);

    /* wasix_64v1 entries: 8-byte count cell whatever guest->pointer_size says */
    guest_use(4, LAYOUT_V1);
    p = fresh_port();
    gput_cell(gmem, 0x3003, (UINT64_C(1) << 32) | 4, 8); /* a 4-byte read would see 4 */
    gexp_begin();
    CHECK_ERR(EFAULT_, icall("wasix_64v1", "port_route_list", p, &gst, GARGS(0x2001, 0x3003)));
    GEXP_CHECK("wasix_64v1 port_route_list with 2^32 + 4 in the 8-byte cell: nothing written");
    gput_cell(gmem, 0x3003, 4, 8);
    gexp_begin();
    gexp_entries(LIST_ROUTES, 0x2001, (const wasixnet_route_t[]){ setup_route() }, 1);
    gput_cell(gexp, 0x3003, 1, 8);
    CHECK_ERR(OK, icall("wasix_64v1", "port_route_list", p, &gst, GARGS(0x2001, 0x3003)));
    GEXP_CHECK("wasix_64v1 port_route_list: entries and an 8-byte count cell");
    gwrite(gmem, 0xA01, "net1", 4);
    gwrite(gmem, 0xB03, "tok", 3);
    hk.bridge_ret = OK;
    CHECK_ERR(OK, icall("wasix_64v1", "port_bridge", p, &gst, GARGS(0xA01, 4, 0xB03, 3, 2)));
    CHECK_STR("net1", hk.network);
    CHECK_EQ(2, hk.security);
    uint64_t none[1] = { 0 };
    CHECK_ERR(OK, icall("wasix_64v1", "port_route_clear", p, &gst, none));
    EXPECT_NO_ROUTES(p);
    CHECK_ERR(OK, icall("wasix_32v1", "port_dhcp_acquire", p, &gst, none));
    EXPECT_ADDRS(p, net(SETUP_ADDR), net(DHCP_ADDR));
    w_port_free(p);
}

/* ============================================================================================
 * Section: the plugin table, then a port driven through it
 * ========================================================================================== */

static void test_plugin(void)
{
    section = "plugin";
    const uint8_t *tbl = w_plugin();
    if (!CHECK(tbl != NULL))
        return;
    uint32_t abi, size;
    memcpy(&abi, tbl + plugin_offsets[0], 4);
    memcpy(&size, tbl + plugin_offsets[1], 4);
    CHECK_EQ(WASIXNET_ABI_VERSION, abi);
    CHECK_EQ(sizeof(wasixnet_plugin_v1_t), size);
    CHECK(w_plugin() == tbl);
    void *table_fns[F_PLUGIN_COUNT];
    bool all_present = true;
    for (int i = 0; i < F_PLUGIN_COUNT; i++) {
        memcpy(&table_fns[i], tbl + plugin_offsets[2 + i], sizeof(void *));
        set_context("field %s", fns[i].field);
        all_present &= CHECK(table_fns[i] != NULL);
        CHECK(table_fns[i] == fns[i].sym);
    }
    clear_context();
    if (!all_present)
        return;
    /* the same scenarios again, every call through the table's pointers */
    for (int i = 0; i < F_PLUGIN_COUNT; i++)
        active[i] = table_fns[i];
    via = "plugin table: ";
    test_versions();
    test_lookup();
    test_hooks();
    guest_roundtrip(4, LAYOUT_V1);
    guest_roundtrip(8, LAYOUT_WASMER);
    test_sock_status();
    test_udp_states();
    test_udp_io();
    test_udp_guest();
    via = "";
    for (int i = 0; i < F_PLUGIN_COUNT; i++)
        active[i] = fns[i].sym;
}

/* ============================================================================================
 * main
 * ========================================================================================== */

static void on_signal(int sig)
{
    char buf[600];
    const int n = snprintf(buf, sizeof buf, "FAIL [%s%s%s%s]: signal %d (%s)\n%u passed, %u failed\n", via, section,
                           context[0] ? ": " : "", context, sig,
                           sig == SIGALRM ? "timeout: a deadlock?" : "crash inside the library or the test", n_pass,
                           n_fail + 1);
    if (n > 0 && write(STDOUT_FILENO, buf, (size_t)n) < 0)
        _exit(2);
    _exit(1);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s /path/to/libwasixnet.so.0\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    static const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGALRM };
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sa.sa_flags = SA_RESETHAND;
        sigaction(sigs[i], &sa, NULL);
    }
    alarm(60);

    test_layouts();
    if (load_library(argv[1])) {
        test_exports(argv[1]);
        test_versions();
        test_port_new();
        test_null_pointers();
        test_route_add_validation();
        test_limits();
        test_lists();
        test_route_remove();
        test_gateway();
        test_addresses();
        test_lookup();
        test_default_clock();
        test_hooks();
        for (uint8_t ps = 4; ps <= 8; ps += 4)
            for (uint8_t layout = LAYOUT_V1; layout <= LAYOUT_WASMER; layout++) {
                guest_roundtrip(ps, layout);
                guest_bounds(ps, layout);
            }
        guest_misc();
        test_sock_status();
        test_udp_create();
        test_udp_states();
        test_udp_bind();
        test_udp_options();
        test_udp_null();
        test_udp_io();
        test_udp_guest();
        test_imports();
        test_plugin();
    }
    printf("%u passed, %u failed\n", n_pass, n_fail);
    return n_fail == 0 ? 0 : 1;
}
