/*
 * story.c: prints each port call a guest makes, "port_route_add(10.1.0.0/16 via 10.0.0.1) ->
 * SUCCESS", and what the call wrote back for it (a MAC, a list of routes).
 *
 * Everything is decoded straight from guest memory into the types of wasixnet.h (see demo.h on
 * why memcpy is enough), so what is printed is exactly the bytes the guest wrote and got.
 */
#define _POSIX_C_SOURCE 200809L /* inet_ntop under -std=c11 */

#include "story.h"

#include "demo.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Copies a struct of `size` bytes out of guest memory; 0 when it is not whole inside. */
static int load(const wasixnet_guest_t *guest, uint64_t off, void *out, size_t size)
{
    const uint8_t *p = guest_bytes(guest, off, size);
    if (p)
        memcpy(out, p, size);
    return p != NULL;
}

static void fmt_ip6(char *buf, size_t size, const wasixnet_addr_ip6_t *ip)
{
    char text[INET6_ADDRSTRLEN];
    uint32_t scope = (uint32_t)ip->scope_id1 << 16 | ip->scope_id0;
    inet_ntop(AF_INET6, ip->octets, text, sizeof text);
    if (scope)
        snprintf(buf, size, "%s%%%" PRIu32, text, scope);
    else
        snprintf(buf, size, "%s", text);
}

static void fmt_addr(char *buf, size_t size, const wasixnet_addr_t *a)
{
    char text[INET6_ADDRSTRLEN];
    if (a->tag == WASIXNET_ADDRESS_FAMILY_INET4)
        snprintf(buf, size, "%s", inet_ntop(AF_INET, a->u.inet4, text, sizeof text));
    else if (a->tag == WASIXNET_ADDRESS_FAMILY_INET6)
        fmt_ip6(buf, size, &a->u.inet6);
    else if (a->tag == WASIXNET_ADDRESS_FAMILY_UNSPEC)
        snprintf(buf, size, "on-link");
    else
        snprintf(buf, size, "<family %u>", (unsigned)a->tag);
}

static void fmt_cidr(char *buf, size_t size, const wasixnet_addr_cidr_t *c)
{
    char ip[INET6_ADDRSTRLEN + 12];
    if (c->tag == WASIXNET_ADDRESS_FAMILY_INET4) {
        inet_ntop(AF_INET, c->u.inet4.addr, ip, sizeof ip);
        snprintf(buf, size, "%s/%u", ip, (unsigned)c->u.inet4.prefix);
    } else if (c->tag == WASIXNET_ADDRESS_FAMILY_INET6) {
        fmt_ip6(ip, sizeof ip, &c->u.inet6.addr);
        snprintf(buf, size, "%s/%u", ip, (unsigned)c->u.inet6.prefix);
    } else {
        snprintf(buf, size, "<family %u>", (unsigned)c->tag);
    }
}

/* ", preferred until t=1300s": empty for a `none` timestamp. */
static void fmt_lifetime(char *buf, size_t size, const char *what, const wasixnet_option_timestamp_t *t)
{
    if (t->tag == WASIXNET_OPTION_NONE)
        buf[0] = '\0';
    else
        snprintf(buf, size, ", %s t=%" PRIu64 "s", what, t->value / SEC);
}

static void fmt_route(char *buf, size_t size, const wasixnet_route_t *r)
{
    char dst[80], via[64], preferred[48], expires[48];
    fmt_cidr(dst, sizeof dst, &r->cidr);
    fmt_addr(via, sizeof via, &r->via_router);
    fmt_lifetime(preferred, sizeof preferred, "preferred until", &r->preferred_until);
    fmt_lifetime(expires, sizeof expires, "expires at", &r->expires_at);
    snprintf(buf, size, "%s %s%s%s%s", dst, r->via_router.tag ? "via " : "", via, preferred, expires);
}

/* ---------------------------------------------------------------------------------------------
 * One teller per call that has something worth decoding; the rest print their raw offsets.
 * `a` holds the call's arguments with i32s cut to their 32 bits.
 * ------------------------------------------------------------------------------------------- */

typedef void (*ask_fn)(story_call_t *call, const wasixnet_guest_t *guest, const uint64_t *a, char *buf, size_t size);
typedef void (*got_fn)(const story_call_t *call, const wasixnet_guest_t *guest, const uint64_t *a);

static void ask_cidr(story_call_t *call, const wasixnet_guest_t *guest, const uint64_t *a, char *buf, size_t size)
{
    (void)call;
    wasixnet_addr_cidr_t c;
    if (load(guest, a[0], &c, sizeof c))
        fmt_cidr(buf, size, &c);
}

static void ask_addr(story_call_t *call, const wasixnet_guest_t *guest, const uint64_t *a, char *buf, size_t size)
{
    (void)call;
    wasixnet_addr_t addr;
    if (load(guest, a[0], &addr, sizeof addr))
        fmt_addr(buf, size, &addr);
}

/* port_route_add's four structs are the four fields of a route: print them as one. */
static void ask_route(story_call_t *call, const wasixnet_guest_t *guest, const uint64_t *a, char *buf, size_t size)
{
    (void)call;
    wasixnet_route_t r;
    if (load(guest, a[0], &r.cidr, sizeof r.cidr) && load(guest, a[1], &r.via_router, sizeof r.via_router) &&
        load(guest, a[2], &r.preferred_until, sizeof r.preferred_until) &&
        load(guest, a[3], &r.expires_at, sizeof r.expires_at))
        fmt_route(buf, size, &r);
}

/* The list calls take (buffer, count cell); the cell holds the capacity on entry. */
static void ask_list(story_call_t *call, const wasixnet_guest_t *guest, const uint64_t *a, char *buf, size_t size)
{
    uint8_t cell[8] = {0};
    if (load(guest, a[1], cell, guest->pointer_size)) {
        memcpy(&call->capacity, cell, sizeof call->capacity);
        snprintf(buf, size, "room for %" PRIu64, call->capacity);
    }
}

static void got_mac(const story_call_t *call, const wasixnet_guest_t *guest, const uint64_t *a)
{
    (void)call;
    wasixnet_hardware_address_t mac;
    if (load(guest, a[0], &mac, sizeof mac))
        printf("      the guest's MAC: %02x:%02x:%02x:%02x:%02x:%02x\n", mac.octets[0], mac.octets[1],
               mac.octets[2], mac.octets[3], mac.octets[4], mac.octets[5]);
}

/* Prints what a list call wrote: the count, then each entry the buffer had room for. */
static void got_list(const story_call_t *call, const wasixnet_guest_t *guest, const uint64_t *a, size_t stride,
                     void (*fmt)(char *, size_t, const uint8_t *))
{
    uint8_t cell[8] = {0};
    uint64_t count = 0;
    load(guest, a[1], cell, guest->pointer_size);
    memcpy(&count, cell, sizeof count);
    uint64_t written = count < call->capacity ? count : call->capacity;
    printf("      count cell now %" PRIu64 ", %" PRIu64 " written:\n", count, written);
    for (uint64_t i = 0; i < written; i++) {
        char line[256];
        const uint8_t *entry = guest_bytes(guest, a[0] + i * stride, stride);
        if (!entry)
            return;
        fmt(line, sizeof line, entry);
        printf("      %2" PRIu64 "  %s\n", i + 1, line);
    }
}

static void fmt_route_bytes(char *buf, size_t size, const uint8_t *bytes)
{
    wasixnet_route_t r;
    memcpy(&r, bytes, sizeof r);
    fmt_route(buf, size, &r);
}

static void fmt_cidr_bytes(char *buf, size_t size, const uint8_t *bytes)
{
    wasixnet_addr_cidr_t c;
    memcpy(&c, bytes, sizeof c);
    fmt_cidr(buf, size, &c);
}

static void got_routes(const story_call_t *call, const wasixnet_guest_t *guest, const uint64_t *a)
{
    got_list(call, guest, a, sizeof(wasixnet_route_t), fmt_route_bytes);
}

static void got_addrs(const story_call_t *call, const wasixnet_guest_t *guest, const uint64_t *a)
{
    got_list(call, guest, a, sizeof(wasixnet_addr_cidr_t), fmt_cidr_bytes);
}

static const struct teller {
    const char *name;
    ask_fn ask;
    got_fn got; /* called on SUCCESS, and on OVERFLOW for the lists */
} TELLERS[] = {
    {"port_addr_add", ask_cidr, NULL},     {"port_addr_remove", ask_addr, NULL},
    {"port_gateway_set", ask_addr, NULL},  {"port_route_remove", ask_addr, NULL},
    {"port_route_add", ask_route, NULL},   {"port_route_list", ask_list, got_routes},
    {"port_addr_list", ask_list, got_addrs}, {"port_mac", NULL, got_mac},
};

static const struct teller *teller_for(const char *name)
{
    for (size_t i = 0; i < sizeof TELLERS / sizeof TELLERS[0]; i++)
        if (strcmp(TELLERS[i].name, name) == 0)
            return &TELLERS[i];
    return NULL;
}

/* The arguments as the import means them: an i32 is 32 bits, whatever the widening did. */
static void import_args(const wasixnet_import_t *import, const uint64_t *args, uint64_t *out)
{
    for (size_t i = 0; import->params[i]; i++)
        out[i] = import->params[i] == 'i' ? (uint32_t)args[i] : args[i];
}

void story_before(story_call_t *call, const wasixnet_import_t *import, const wasixnet_guest_t *guest,
                  const uint64_t *args)
{
    uint64_t a[STORY_MAX_PARAMS];
    char text[160] = "";
    const struct teller *t = teller_for(import->name);
    import_args(import, args, a);
    call->capacity = 0;
    if (t && t->ask) {
        snprintf(text, sizeof text, "<outside guest memory>"); /* kept when the struct is not there */
        t->ask(call, guest, a, text, sizeof text);
    } else if (!t) {
        for (size_t i = 0, used = 0; import->params[i] && used < sizeof text; i++)
            used += (size_t)snprintf(text + used, sizeof text - used, "%s@%#" PRIx64, i ? ", " : "", a[i]);
    }
    snprintf(call->asked, sizeof call->asked, "%s(%s)", import->name, text);
}

void story_after(const story_call_t *call, const wasixnet_import_t *import, const wasixnet_guest_t *guest,
                 const uint64_t *args, wasixnet_errno_t err)
{
    uint64_t a[STORY_MAX_PARAMS];
    const struct teller *t = teller_for(import->name);
    import_args(import, args, a);
    printf("  %s -> %s\n", call->asked, wasixnet_errno_name(err));
    if (t && t->got && (err == WASIXNET_ESUCCESS || err == WASIXNET_EOVERFLOW))
        t->got(call, guest, a);
}
