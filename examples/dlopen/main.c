/*
 * examples/dlopen/main.c: wasixnet as a plugin. A runtime that must not link the library (an
 * optional feature, a plugin directory) loads it with dlopen, takes the whole API with ONE dlsym,
 * wasixnet_plugin_v1, and checks that the table is one it understands before calling through it.
 *
 * Then it unloads and reloads the library many times, driving a port through the table on every
 * load, and checks that this neither crashes nor makes the process grow. The library carries no
 * language runtime and keeps no state between loads, so a load costs nothing once it is unloaded;
 * growth is measured as the process's resident set (RSS) after warm-up loads, and more than
 * 256 B per load fails.
 *
 *   cc -std=c11 main.c $(pkg-config --cflags wasixnet) -ldl -o example_dlopen   (no -lwasixnet)
 *   ./example_dlopen /path/to/libwasixnet.so.0 [cycles]
 */
#define _POSIX_C_SOURCE 200809L

#include <wasixnet.h>

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WARMUP_CYCLES 10
/* Allowed RSS growth per load after warm-up: over 500 loads, 256 B each is 125 kB, so the page
 * or two of noise that the loader and malloc make passes, while a real leak (a port, a table, a
 * thread or a language runtime's one-time state per load, ~1.8 kB with the static Swift
 * runtime that earlier builds carried) does not. */
#define ALLOWED_BYTES_PER_LOAD 256

static void fail(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fputs("example_dlopen FAILED: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static long resident_bytes(void)
{
    long pages_total = 0, pages_resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f || fscanf(f, "%ld %ld", &pages_total, &pages_resident) != 2)
        fail("cannot read /proc/self/statm");
    fclose(f);
    return pages_resident * sysconf(_SC_PAGESIZE);
}

/* The one symbol a host looks up, and the checks before trusting the table it returns:
 * the same ABI as the header this host was compiled with, and a table at least as long as that
 * header's (a newer library may append entries; an older one would be missing some). */
static const wasixnet_plugin_v1_t *load(const char *path, void **handle)
{
    *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!*handle)
        fail("dlopen: %s", dlerror());
    const wasixnet_plugin_v1_t *(*entry)(void) = NULL;
    /* POSIX's way to turn dlsym's void * into a function pointer. */
    *(void **)&entry = dlsym(*handle, "wasixnet_plugin_v1");
    if (!entry)
        fail("dlsym(wasixnet_plugin_v1): %s", dlerror());
    const wasixnet_plugin_v1_t *api = entry();
    if (!api || api->abi_version != WASIXNET_ABI_VERSION)
        fail("the library's ABI is %u, this host speaks %u", api ? (unsigned)api->abi_version : 0u,
             (unsigned)WASIXNET_ABI_VERSION);
    if (api->struct_size < sizeof(wasixnet_plugin_v1_t))
        fail("the library's plugin table has %u bytes, this host needs %zu", (unsigned)api->struct_size,
             sizeof(wasixnet_plugin_v1_t));
    return api;
}

static void expect(const wasixnet_plugin_v1_t *api, const char *what, wasixnet_errno_t got, wasixnet_errno_t want)
{
    if (got != want)
        fail("%s: expected %s, got %s", what, api->errno_name(want), api->errno_name(got));
}

static wasixnet_addr_cidr_t cidr4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint8_t prefix)
{
    wasixnet_addr_cidr_t x;
    memset(&x, 0, sizeof x);
    x.tag = WASIXNET_ADDRESS_FAMILY_INET4;
    x.u.inet4.addr[0] = a, x.u.inet4.addr[1] = b, x.u.inet4.addr[2] = c, x.u.inet4.addr[3] = d;
    x.u.inet4.prefix = prefix;
    return x;
}

static wasixnet_addr_t addr4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    wasixnet_addr_t x;
    memset(&x, 0, sizeof x);
    x.tag = WASIXNET_ADDRESS_FAMILY_INET4;
    x.u.inet4[0] = a, x.u.inet4[1] = b, x.u.inet4[2] = c, x.u.inet4[3] = d;
    return x;
}

/* Everything through the table: a port, two routes, the list protocol, a lookup, the import
 * table a runtime would register. `verbose` on the first load only. */
static void drive_port(const wasixnet_plugin_v1_t *api, int verbose)
{
    wasixnet_port_t *port = NULL;
    expect(api, "port_new", api->port_new(NULL, &port), WASIXNET_ESUCCESS);

    const wasixnet_option_timestamp_t none = {WASIXNET_OPTION_NONE, 0};
    const wasixnet_addr_cidr_t net = cidr4(192, 168, 7, 0, 24), wide = cidr4(192, 168, 0, 0, 16);
    const wasixnet_addr_t via = addr4(10, 0, 0, 2), dst = addr4(192, 168, 7, 9);
    expect(api, "port_route_add /24", api->port_route_add(port, &net, &via, &none, &none), WASIXNET_ESUCCESS);
    expect(api, "port_route_add /16", api->port_route_add(port, &wide, &via, &none, &none), WASIXNET_ESUCCESS);

    wasixnet_route_t routes[2];
    uint32_t n = 1;
    expect(api, "port_route_list (room for 1)", api->port_route_list(port, routes, &n), WASIXNET_EOVERFLOW);
    if (n != 2 || memcmp(&routes[0].cidr, &net, sizeof net) != 0)
        fail("port_route_list (room for 1): %u routes, first not 192.168.7.0/24", (unsigned)n);

    wasixnet_route_t hop;
    uint8_t deprecated = 1;
    expect(api, "port_route_lookup", api->port_route_lookup(port, &dst, &hop, &deprecated), WASIXNET_ESUCCESS);
    if (memcmp(&hop.cidr, &net, sizeof net) != 0 || deprecated)
        fail("port_route_lookup 192.168.7.9 did not take 192.168.7.0/24");

    size_t nimports = 0;
    const wasixnet_import_t *imports = api->imports(&nimports);
    if (!imports || nimports == 0)
        fail("imports(): an empty table");
    wasixnet_hardware_address_t mac;
    expect(api, "port_mac", api->port_mac(port, &mac), WASIXNET_ESUCCESS);
    if (verbose)
        printf("wasixnet %s through its plugin table (ABI %u, %u bytes, %zu imports): route_add x2, route_list "
               "(room for 1) -> %s with %u routes, lookup 192.168.7.9 -> 192.168.7.0/24, MAC "
               "%02x:%02x:%02x:%02x:%02x:%02x\n",
               api->version(), (unsigned)api->abi_version, (unsigned)api->struct_size, nimports,
               api->errno_name(WASIXNET_EOVERFLOW), (unsigned)n, mac.octets[0], mac.octets[1], mac.octets[2],
               mac.octets[3], mac.octets[4], mac.octets[5]);
    api->port_free(port);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s /path/to/libwasixnet.so.0 [cycles]\n", argv[0]);
        return 2;
    }
    const char *path = argv[1];
    long cycles = argc > 2 ? strtol(argv[2], NULL, 10) : 200;
    if (cycles <= WARMUP_CYCLES)
        fail("cycles must exceed the %d warm-up cycles", WARMUP_CYCLES);

    long before = 0;
    int unloads = 1;
    for (long i = 0; i < cycles; i++) {
        if (i == WARMUP_CYCLES)
            before = resident_bytes();
        void *handle = NULL;
        const wasixnet_plugin_v1_t *api = load(path, &handle);
        drive_port(api, i == 0);
        if (dlclose(handle) != 0)
            fail("dlclose: %s", dlerror());
        /* RTLD_NOLOAD finds the library only if dlclose left it mapped. */
        void *still = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
        if (still) {
            unloads = 0;
            dlclose(still);
        }
    }
    long growth = resident_bytes() - before;
    long measured = cycles - WARMUP_CYCLES;
    printf("%ld dlopen / drive a port / dlclose cycles; the library was %s by dlclose\n", cycles,
           unloads ? "unmapped each time" : "kept mapped");
    printf("RSS grew %ld kB over the last %ld cycles (%ld B per load; allowed %d B)\n",
           growth / 1024, measured, growth / measured, ALLOWED_BYTES_PER_LOAD);
    if (growth > measured * ALLOWED_BYTES_PER_LOAD)
        fail("memory grows with each load: %ld B per load", growth / measured);
    printf("example_dlopen OK\n");
    return 0;
}
