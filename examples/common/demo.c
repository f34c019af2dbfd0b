/*
 * demo.c: what both example hosts' demos share that has no runtime in it: see demo.h.
 */
#include "demo.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint8_t *guest_bytes(const wasixnet_guest_t *guest, uint64_t off, uint64_t len)
{
    if (off > guest->memory_size || len > guest->memory_size - off)
        return NULL;
    return guest->memory + off;
}

int guest_string(const wasixnet_guest_t *guest, uint32_t off, char *buf, size_t size)
{
    for (size_t i = 0; i < size; i++) {
        const uint8_t *c = guest_bytes(guest, (uint64_t)off + i, 1);
        if (!c)
            return 0;
        buf[i] = (char)*c;
        if (*c == 0)
            return 1;
    }
    return 0;
}

uint8_t *read_whole_file(const char *path, size_t *len_out)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return NULL;
    }
    uint8_t *bytes = NULL;
    size_t len = 0, cap = 0, n;
    do {
        if (len == cap && !(bytes = realloc(bytes, cap = cap ? 2 * cap : 65536)))
            abort();
        n = fread(bytes + len, 1, cap - len, f);
        len += n;
    } while (n > 0);
    fclose(f);
    *len_out = len;
    return bytes;
}

static wasixnet_timestamp_t read_clock(void *clock_ctx)
{
    return *(const wasixnet_timestamp_t *)clock_ctx;
}

wasixnet_port_t *demo_port_new(wasixnet_timestamp_t *now)
{
    wasixnet_port_t *port = NULL;
    wasixnet_port_config_t config;
    memset(&config, 0, sizeof config);
    config.struct_size = sizeof config;
    config.clock = read_clock;
    config.clock_ctx = now;
    wasixnet_errno_t err = wasixnet_port_new(&config, &port);
    if (err != WASIXNET_ESUCCESS) {
        fprintf(stderr, "wasixnet_port_new: %s\n", wasixnet_errno_name(err));
        exit(1);
    }
    return port;
}

void demo_wait_seconds(wasixnet_timestamp_t *now, int64_t seconds)
{
    *now += (uint64_t)seconds * SEC;
    printf("  (%" PRId64 " s pass: the port's clock reads t=%" PRIu64 "s)\n", seconds, *now / SEC);
}

int demo_abi_matches(void)
{
    if (wasixnet_abi_version() == WASIXNET_ABI_VERSION)
        return 1;
    fprintf(stderr, "libwasixnet has ABI %u, this host was built for %u\n", (unsigned)wasixnet_abi_version(),
            (unsigned)WASIXNET_ABI_VERSION);
    return 0;
}
