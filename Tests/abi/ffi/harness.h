/*
 * harness.h — what every section of ffi_abi_test shares: reporting checks, the table of the
 * library's functions and the one way to call them (libffi), and loading the library (dlopen).
 *
 * Every .c file of the test includes one of the test's headers before any system header, so
 * that _POSIX_C_SOURCE is set before the C library's headers are read.
 */
#ifndef WASIXNET_FFI_HARNESS_H
#define WASIXNET_FFI_HARNESS_H

#define _POSIX_C_SOURCE 200809L

#include <ffi.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasixnet.h"

/* ============================================================================================
 * Reporting
 * ========================================================================================== */

extern unsigned n_pass, n_fail;
extern const char *via; /* "plugin table: " while the plugin table drives the calls */
extern const char *section;
extern char context[256];

typedef struct {
    const char *file;
    int line;
} where_t;
#define HERE ((where_t){ __FILE__, __LINE__ })

void set_context(const char *fmt, ...);
void clear_context(void);
bool report(where_t w, bool ok, const char *fmt, ...);
_Noreturn void die(const char *fmt, ...);

extern const char *const errno_names[WASIXNET_ERRNO_COUNT];

bool check_true(where_t w, const char *what, bool ok);
bool check_u64(where_t w, const char *what, uint64_t expected, uint64_t got);
bool check_err(where_t w, const char *what, unsigned expected, unsigned got);
bool check_str(where_t w, const char *what, const char *expected, const char *got);
bool check_mem(where_t w, const char *what, const void *expected, const void *got, size_t n);
bool check_filled(where_t w, const char *what, const uint8_t *p, uint8_t byte, size_t n);

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
 * The rows follow the header's function list (wasixnet.h [functions]): one per entry of
 * WASIXNET_PLUGIN_FUNCTIONS, after wasixnet_abi_version's, so a function added to the list gets
 * its row here with nothing written by hand. Each signature is derived from the header's C types:
 * the return type, then one letter per argument:
 *   v void, p pointer, b uint8_t, h uint16_t, i int32_t (and int), w uint32_t, q uint64_t
 *   (and size_t, the same type on LP64).
 * ========================================================================================== */

#define FN_ENUM_(ret, name, params) F_##name,
enum {
    F_abi_version_fn,
    WASIXNET_PLUGIN_FUNCTIONS(FN_ENUM_) F_PLUGIN_COUNT,
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

extern fn_t fns[F_COUNT];
extern void *active[F_COUNT]; /* the function pointers calls go to: dlsym's, or the plugin table's */

typedef union {
    ffi_arg i; /* small integers are widened to ffi_arg by libffi */
    void *p;
} ret_t;

/* Calls function `id` of the table through whatever pointer `active` holds for it. */
ret_t call_id(int id, void **avalues);

#define AV(...) ((void *[]){ __VA_ARGS__ })
wasixnet_errno_t E(ret_t r);

uint32_t w_abi_version(void);
const char *w_version(void);
const char *w_errno_name(wasixnet_errno_t e);
const wasixnet_import_t *w_imports(size_t *count);
const uint8_t *w_plugin(void);
wasixnet_errno_t w_port_new(const wasixnet_port_config_t *c, wasixnet_port_t **out);
void w_port_free(wasixnet_port_t *p);
wasixnet_errno_t w_bridge(wasixnet_port_t *p, const char *net, size_t net_len, const char *tok, size_t tok_len,
                          uint8_t security);
wasixnet_errno_t w_port_only(int id, wasixnet_port_t *p);
wasixnet_errno_t w_addr_add(wasixnet_port_t *p, const wasixnet_addr_cidr_t *c);
wasixnet_errno_t w_addr_remove(wasixnet_port_t *p, const wasixnet_addr_t *a);
wasixnet_errno_t w_addr_list(wasixnet_port_t *p, wasixnet_addr_cidr_t *buf, uint32_t *n);
wasixnet_errno_t w_mac(wasixnet_port_t *p, wasixnet_hardware_address_t *out);
wasixnet_errno_t w_gateway_set(wasixnet_port_t *p, const wasixnet_addr_t *a);
wasixnet_errno_t w_route_add(wasixnet_port_t *p, const wasixnet_addr_cidr_t *c, const wasixnet_addr_t *v,
                             const wasixnet_option_timestamp_t *pu, const wasixnet_option_timestamp_t *ea);
wasixnet_errno_t w_route_remove(wasixnet_port_t *p, const wasixnet_addr_t *a);
wasixnet_errno_t w_route_list(wasixnet_port_t *p, wasixnet_route_t *buf, uint32_t *n);
wasixnet_errno_t w_route_lookup(wasixnet_port_t *p, const wasixnet_addr_t *dst, wasixnet_route_t *out,
                                uint8_t *deprecated);
/* A guest-memory call: args are the import's parameters (fns[id].nargs - 2 of them). */
wasixnet_errno_t gcall(int id, wasixnet_port_t *p, const wasixnet_guest_t *g, uint64_t *args);
/* An import table entry's host function. */
wasixnet_errno_t hcall(wasixnet_host_fn fn, wasixnet_port_t *p, const wasixnet_guest_t *g, uint64_t *args);
#define GARGS(...) ((uint64_t[]){ __VA_ARGS__ })

/* One argument of a table-driven call (the NULL-pointer sections), whatever its type. */
typedef union {
    void *p;
    uint64_t q;
    size_t z;
    uint8_t b;
} arg_t;
#define AP(x) { .p = (void *)(x) }
#define AQ(x) { .q = (x) }

/* dlopens the library and takes every symbol of the table; false when dlopen fails. */
bool load_library(const char *path);

#endif
