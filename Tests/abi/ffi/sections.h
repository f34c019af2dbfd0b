/*
 * sections.h — the sections of ffi_abi_test, in run order (main.c runs them; the plugin table
 * section runs some of them again through the table).
 *
 * A section is named by the function that runs it: this is the name the README's "backed by"
 * column cites ("`ffi_abi_test` guest_bounds"), and Tests/check_readme_tests.py checks that a
 * function of that name is defined in the .c files of Tests/abi/ffi and called from main().
 */
#ifndef WASIXNET_FFI_SECTIONS_H
#define WASIXNET_FFI_SECTIONS_H

#include <stddef.h>
#include <stdint.h>

void test_layouts(void);               /* layouts.c */
void test_exports(const char *path);   /* exports.c */
void test_versions(void);              /* port_basics.c */
void test_port_new(void);
void test_null_pointers(void);
void test_route_add_validation(void);  /* port_routes.c */
void test_limits(void);
void test_lists(void);
void test_route_remove(void);
void test_gateway(void);
void test_addresses(void);             /* port_addresses.c */
void test_lookup(void);
void test_default_clock(void);
void test_hooks(void);                 /* port_hooks.c */
void guest_roundtrip(uint8_t ps, uint8_t layout); /* guest_roundtrip.c */
void guest_bounds(uint8_t ps, uint8_t layout);    /* guest_bounds.c */
void guest_misc(void);
void test_sock_status(void);           /* udp_calls.c */
void test_udp_create(void);
void test_udp_states(void);
void test_udp_bind(void);
void test_udp_options(void);
void test_udp_null(void);
void test_udp_io(void);                /* udp_io.c */
void test_udp_guest(void);
void test_imports(void);               /* imports.c */
void import_high_halves(void);         /* import_high_halves.c */
void test_plugin(void);                /* plugin.c */

/* Element offsets of wasixnet_plugin_v1_t as libffi computes them: the layouts section fills
 * them, the plugin table section reads the table with them. */
extern size_t plugin_offsets[];

#endif
