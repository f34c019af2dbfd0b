/*
 * ffi_abi_test — libwasixnet's C ABI exercised through libffi against the installed shared library.
 *
 *   cc -std=c11 -O2 -g -Wall -Wextra -Werror -Iinclude <every .c file of Tests/abi/ffi> \
 *       $(pkg-config --cflags --libs libffi) -ldl -o ffi_abi_test
 *   ./ffi_abi_test $PREFIX/lib/libwasixnet.so.0
 *
 * main.c runs the sections (sections.h, one file per group of them) on the harness they share
 * (harness.h: reporting, the function table, libffi calls, dlopen; values.h, port_fixtures.h,
 * guest_memory.h, udp_support.h: what the port, guest and UDP sections build on).
 *
 * The library is dlopen'ed (RTLD_NOW | RTLD_LOCAL). Every function is taken with dlsym (or from the
 * plugin table / the imports table) and called only through ffi_call, with one ffi_cif per function
 * built from a signature string. The header is used for its types and constants, never to link.
 * Expected values come from the header's text (numbers it states, hard-coded here) and from its
 * declarations (sizeof/offsetof).
 *
 * Sections (in run order):
 *   layouts        every ABI struct as an ffi_type: size, alignment, field offsets vs the documented numbers and header
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
 *   sock status    wasixnet_sock_status_name and the status numbers (wasixnet.h [udp.status])
 *   udp create     wasixnet_udp_create / free / address_family / fd, with and without a port
 *   udp states     every state-dependent call in every socket state (table)
 *   udp bind       start_bind addresses: loopback, other family, IPv4-mapped, not bindable, in use
 *   udp options    hop limit, receive / send buffer sizes
 *   udp null       NULL socket / NULL required pointer -> INVALID_ARGUMENT for every call
 *   udp io         stream, check_send grants, send / receive on loopback, traps, bad datagrams
 *                  (IPv4 and IPv6)
 *   udp guest      wasixnet_guest_udp_send on a fake guest memory: lifting, traps, NOT_SUPPORTED
 *   imports        wasixnet_imports table, entries called through ffi
 *   import_high_halves  every wasix_32v1 entry with garbage in the high halves of its i32 slots:
 *                  the same errno, memory, port and hook calls as with clean slots
 *   plugin         wasixnet_plugin_v1 table, a port and UDP sockets driven through it
 *
 * Output: one line per failed check (file:line, expected, got), then "N passed, M failed".
 * Exit status 0 only when M == 0.
 */
#include "harness.h"
#include "sections.h"
#include "values.h"

#include <signal.h>
#include <unistd.h>

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
        import_high_halves();
        test_plugin();
    }
    printf("%u passed, %u failed\n", n_pass, n_fail);
    return n_fail == 0 ? 0 : 1;
}
