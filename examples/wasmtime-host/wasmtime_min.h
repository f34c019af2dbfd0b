/*
 * wasmtime_min.h: the few declarations of Wasmtime's C API that host.c uses, written by hand.
 *
 * The PyPI `wasmtime` wheel ships the whole C API in `wasmtime/<platform>/_libwasmtime.so` but no
 * headers, and Debian's wabt carries an older, incompatible revision of wasm-c-api's `wasm.h`.
 * So this file declares exactly what host.c calls, for ONE pinned wheel (WASMTIME_PINNED_VERSION;
 * examples/examples.mk installs that version). Wasmtime's C ABI changes between major releases,
 * so nothing here is trusted by hand: check_bindings.py compares every function, struct size,
 * field offset and constant below with `wasmtime/_bindings.py`, the ctypes bindings generated
 * from the real headers and shipped in the same wheel, before host.c is compiled.
 *
 * Rules that keep that check simple (and this file greppable): one function per declaration,
 * every function-pointer type behind a typedef, constants as #defines, layouts pinned with
 * _Static_assert(sizeof / offsetof) lines.
 */
#ifndef WASMTIME_MIN_H
#define WASMTIME_MIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WASMTIME_PINNED_VERSION "50.0.1"

/* Opaque handles. */
typedef struct wasm_engine_t wasm_engine_t;
typedef struct wasm_valtype_t wasm_valtype_t;
typedef struct wasm_functype_t wasm_functype_t;
typedef struct wasm_trap_t wasm_trap_t;
typedef struct wasmtime_store wasmtime_store_t;
typedef struct wasmtime_context wasmtime_context_t;
typedef struct wasmtime_module wasmtime_module_t;
typedef struct wasmtime_linker wasmtime_linker_t;
typedef struct wasmtime_error wasmtime_error_t;
typedef struct wasmtime_caller wasmtime_caller_t;

/* Vectors: an owned (size, data) pair, freed with the matching _delete. */
typedef struct wasm_byte_vec_t {
    size_t size;
    uint8_t *data;
} wasm_byte_vec_t; /* also wasm_name_t and wasm_message_t */
_Static_assert(sizeof(wasm_byte_vec_t) == 16, "wasm_byte_vec_t");
_Static_assert(offsetof(wasm_byte_vec_t, data) == 8, "wasm_byte_vec_t.data");

typedef struct wasm_valtype_vec_t {
    size_t size;
    wasm_valtype_t **data;
} wasm_valtype_vec_t;
_Static_assert(sizeof(wasm_valtype_vec_t) == 16, "wasm_valtype_vec_t");
_Static_assert(offsetof(wasm_valtype_vec_t, data) == 8, "wasm_valtype_vec_t.data");

typedef uint8_t wasm_valkind_t;
#define WASM_I32 0
#define WASM_I64 1

/* Store-bound items: plain values naming something inside a store. Only their size matters. */
typedef struct wasmtime_func {
    uint64_t store_id;
    void *private_;
} wasmtime_func_t;
_Static_assert(sizeof(wasmtime_func_t) == 16, "wasmtime_func_t");

typedef struct wasmtime_memory {
    struct {
        uint64_t store_id;
        uint32_t private1;
    } a; /* padded to 16 bytes, as in wasmtime/extern.h */
    uint32_t private2;
} wasmtime_memory_t;
_Static_assert(sizeof(wasmtime_memory_t) == 24, "wasmtime_memory_t");

typedef struct wasmtime_instance {
    uint64_t store_id;
    size_t private_;
} wasmtime_instance_t;
_Static_assert(sizeof(wasmtime_instance_t) == 16, "wasmtime_instance_t");

/* An export or import: `kind` says which member of `of` is meaningful. The real union has more
 * members (globals, tables, tags); `pad_` gives it their size. */
typedef uint8_t wasmtime_extern_kind_t;
#define WASMTIME_EXTERN_FUNC 0
#define WASMTIME_EXTERN_MEMORY 3
typedef struct wasmtime_extern {
    wasmtime_extern_kind_t kind;
    union {
        wasmtime_func_t func;
        wasmtime_memory_t memory;
        uint8_t pad_[24];
    } of;
} wasmtime_extern_t;
_Static_assert(sizeof(wasmtime_extern_t) == 32, "wasmtime_extern_t");
_Static_assert(offsetof(wasmtime_extern_t, of) == 8, "wasmtime_extern_t.of");

/* A wasm value: only the integer kinds are used here. */
typedef uint8_t wasmtime_valkind_t;
#define WASMTIME_I32 0
#define WASMTIME_I64 1
typedef struct wasmtime_val {
    wasmtime_valkind_t kind;
    union {
        int32_t i32;
        int64_t i64;
        uint8_t pad_[24];
    } of;
} wasmtime_val_t;
_Static_assert(sizeof(wasmtime_val_t) == 32, "wasmtime_val_t");
_Static_assert(offsetof(wasmtime_val_t, of) == 8, "wasmtime_val_t.of");

/* A host function: returns NULL, or a trap (made with wasmtime_trap_new) that unwinds the guest. */
typedef wasm_trap_t *(*wasmtime_func_callback_t)(void *env, wasmtime_caller_t *caller, const wasmtime_val_t *args,
                                                 size_t nargs, wasmtime_val_t *results, size_t nresults);
/* Called when a store or a linker drops the data given with a callback; NULL: nothing to do. */
typedef void (*wasmtime_finalizer_t)(void *data);

/* wasm.h */
wasm_engine_t *wasm_engine_new(void);
void wasm_engine_delete(wasm_engine_t *engine);
wasm_valtype_t *wasm_valtype_new(wasm_valkind_t kind);
void wasm_valtype_vec_new(wasm_valtype_vec_t *out, size_t size, wasm_valtype_t *const *data); /* takes the valtypes */
wasm_functype_t *wasm_functype_new(wasm_valtype_vec_t *params, wasm_valtype_vec_t *results); /* takes both vectors */
void wasm_functype_delete(wasm_functype_t *type);
void wasm_byte_vec_delete(wasm_byte_vec_t *vec);
void wasm_trap_message(const wasm_trap_t *trap, wasm_byte_vec_t *out);
void wasm_trap_delete(wasm_trap_t *trap);

/* wasmtime.h */
wasmtime_store_t *wasmtime_store_new(wasm_engine_t *engine, void *data, wasmtime_finalizer_t finalizer);
wasmtime_context_t *wasmtime_store_context(wasmtime_store_t *store);
void wasmtime_store_delete(wasmtime_store_t *store);
wasmtime_error_t *wasmtime_wat2wasm(const char *wat, size_t wat_len, wasm_byte_vec_t *out);
wasmtime_error_t *wasmtime_module_new(wasm_engine_t *engine, const uint8_t *wasm, size_t wasm_len,
                                      wasmtime_module_t **out);
void wasmtime_module_delete(wasmtime_module_t *module);
wasmtime_linker_t *wasmtime_linker_new(wasm_engine_t *engine);
void wasmtime_linker_delete(wasmtime_linker_t *linker);
wasmtime_error_t *wasmtime_linker_define_func(wasmtime_linker_t *linker, const char *module, size_t module_len,
                                              const char *name, size_t name_len, const wasm_functype_t *type,
                                              wasmtime_func_callback_t callback, void *env,
                                              wasmtime_finalizer_t finalizer);
wasmtime_error_t *wasmtime_linker_instantiate(const wasmtime_linker_t *linker, wasmtime_context_t *context,
                                              const wasmtime_module_t *module, wasmtime_instance_t *instance,
                                              wasm_trap_t **trap);
bool wasmtime_instance_export_get(wasmtime_context_t *context, const wasmtime_instance_t *instance, const char *name,
                                  size_t name_len, wasmtime_extern_t *item);
wasmtime_error_t *wasmtime_func_call(wasmtime_context_t *context, const wasmtime_func_t *func,
                                     const wasmtime_val_t *args, size_t nargs, wasmtime_val_t *results,
                                     size_t nresults, wasm_trap_t **trap);
bool wasmtime_caller_export_get(wasmtime_caller_t *caller, const char *name, size_t name_len,
                                wasmtime_extern_t *item);
wasmtime_context_t *wasmtime_caller_context(wasmtime_caller_t *caller);
uint8_t *wasmtime_memory_data(const wasmtime_context_t *context, const wasmtime_memory_t *memory);
size_t wasmtime_memory_data_size(const wasmtime_context_t *context, const wasmtime_memory_t *memory);
void wasmtime_extern_delete(wasmtime_extern_t *item);
void wasmtime_error_message(const wasmtime_error_t *error, wasm_byte_vec_t *out);
void wasmtime_error_delete(wasmtime_error_t *error);
wasm_trap_t *wasmtime_trap_new(const char *message, size_t message_len);

#endif /* WASMTIME_MIN_H */
