/*
 * wasixnet.h — the whole public interface of libwasixnet.
 *
 * wasixnet gives the guests of a WebAssembly runtime written in C or C++ their own network
 * interface: the 13 WASIX `port_*` imports (addresses, gateway, MAC and a routing table with
 * longest-prefix match and lifetimes), byte-exact with wasix-libc, and optionally with the
 * layouts Wasmer's host uses.
 *
 * Conventions
 *   - Every symbol is `wasixnet_*`, every type `wasixnet_*_t`, every macro `WASIXNET_*`.
 *   - No function aborts the host process, whatever it is given. Bad input is answered with an
 *     error number and changes nothing.
 *   - Every function may be called from any thread, and one port from several threads at once.
 *   - The library owns nothing it is handed: pointers passed in are read (or written) during the
 *     call only. What the library allocates (a port) is released with its own `_free`.
 *   - Every struct that crosses this interface has its size, alignment and every field offset
 *     pinned below with static assertions: if this header compiles, the layout is the contract's.
 *
 * Plain C11; usable from C++ (the declarations are `extern "C"`).
 */
#ifndef WASIXNET_H
#define WASIXNET_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#define WASIXNET_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#define WASIXNET_ALIGNOF(type) alignof(type)
#else
#define WASIXNET_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#define WASIXNET_ALIGNOF(type) _Alignof(type)
#endif

/* ---------------------------------------------------------------------------------------------
 * Versions
 * ------------------------------------------------------------------------------------------- */

/* The binary interface version. It changes only when a layout or a meaning changes
 * incompatibly; additions (new functions, new entries at the end of the plugin table) keep it. */
#define WASIXNET_ABI_VERSION 1u

/* The package version, as `pkg-config --modversion wasixnet` prints it. */
#define WASIXNET_VERSION_STRING "0.1.0"

/* Returns WASIXNET_ABI_VERSION as the loaded library was built with it. A host that dlopens the
 * library compares it with the value it was compiled against. */
uint32_t wasixnet_abi_version(void);

/* Returns the package version of the loaded library: a static string, never freed. */
const char *wasixnet_version(void);

/* ---------------------------------------------------------------------------------------------
 * WASIX error numbers (`wasixnet_errno_t`)
 *
 * The numbering of the `wasix_v1` witx and of wasix-libc's <errno.h>, 0..80. Every port call
 * returns one of them; WASIXNET_ESUCCESS (0) means the call did what it says.
 * WASIXNET_ERRNO_MAP(XX) is the one list of numbers and names: XX(number, NAME).
 * ------------------------------------------------------------------------------------------- */
typedef uint16_t wasixnet_errno_t;

#define WASIXNET_ERRNO_MAP(XX) \
    XX(0, SUCCESS) XX(1, 2BIG) XX(2, ACCES) XX(3, ADDRINUSE) XX(4, ADDRNOTAVAIL) XX(5, AFNOSUPPORT) \
    XX(6, AGAIN) XX(7, ALREADY) XX(8, BADF) XX(9, BADMSG) XX(10, BUSY) XX(11, CANCELED) \
    XX(12, CHILD) XX(13, CONNABORTED) XX(14, CONNREFUSED) XX(15, CONNRESET) XX(16, DEADLK) \
    XX(17, DESTADDRREQ) XX(18, DOM) XX(19, DQUOT) XX(20, EXIST) XX(21, FAULT) XX(22, FBIG) \
    XX(23, HOSTUNREACH) XX(24, IDRM) XX(25, ILSEQ) XX(26, INPROGRESS) XX(27, INTR) XX(28, INVAL) \
    XX(29, IO) XX(30, ISCONN) XX(31, ISDIR) XX(32, LOOP) XX(33, MFILE) XX(34, MLINK) \
    XX(35, MSGSIZE) XX(36, MULTIHOP) XX(37, NAMETOOLONG) XX(38, NETDOWN) XX(39, NETRESET) \
    XX(40, NETUNREACH) XX(41, NFILE) XX(42, NOBUFS) XX(43, NODEV) XX(44, NOENT) XX(45, NOEXEC) \
    XX(46, NOLCK) XX(47, NOLINK) XX(48, NOMEM) XX(49, NOMSG) XX(50, NOPROTOOPT) XX(51, NOSPC) \
    XX(52, NOSYS) XX(53, NOTCONN) XX(54, NOTDIR) XX(55, NOTEMPTY) XX(56, NOTRECOVERABLE) \
    XX(57, NOTSOCK) XX(58, NOTSUP) XX(59, NOTTY) XX(60, NXIO) XX(61, OVERFLOW) XX(62, OWNERDEAD) \
    XX(63, PERM) XX(64, PIPE) XX(65, PROTO) XX(66, PROTONOSUPPORT) XX(67, PROTOTYPE) \
    XX(68, RANGE) XX(69, ROFS) XX(70, SPIPE) XX(71, SRCH) XX(72, STALE) XX(73, TIMEDOUT) \
    XX(74, TXTBSY) XX(75, XDEV) XX(76, NOTCAPABLE) XX(77, SHUTDOWN) XX(78, MEMVIOLATION) \
    XX(79, UNKNOWN) XX(80, PENDING)

#define WASIXNET_ESUCCESS 0
#define WASIXNET_E2BIG 1
#define WASIXNET_EACCES 2
#define WASIXNET_EADDRINUSE 3
#define WASIXNET_EADDRNOTAVAIL 4
#define WASIXNET_EAFNOSUPPORT 5
#define WASIXNET_EAGAIN 6
#define WASIXNET_EALREADY 7
#define WASIXNET_EBADF 8
#define WASIXNET_EBADMSG 9
#define WASIXNET_EBUSY 10
#define WASIXNET_ECANCELED 11
#define WASIXNET_ECHILD 12
#define WASIXNET_ECONNABORTED 13
#define WASIXNET_ECONNREFUSED 14
#define WASIXNET_ECONNRESET 15
#define WASIXNET_EDEADLK 16
#define WASIXNET_EDESTADDRREQ 17
#define WASIXNET_EDOM 18
#define WASIXNET_EDQUOT 19
#define WASIXNET_EEXIST 20
#define WASIXNET_EFAULT 21
#define WASIXNET_EFBIG 22
#define WASIXNET_EHOSTUNREACH 23
#define WASIXNET_EIDRM 24
#define WASIXNET_EILSEQ 25
#define WASIXNET_EINPROGRESS 26
#define WASIXNET_EINTR 27
#define WASIXNET_EINVAL 28
#define WASIXNET_EIO 29
#define WASIXNET_EISCONN 30
#define WASIXNET_EISDIR 31
#define WASIXNET_ELOOP 32
#define WASIXNET_EMFILE 33
#define WASIXNET_EMLINK 34
#define WASIXNET_EMSGSIZE 35
#define WASIXNET_EMULTIHOP 36
#define WASIXNET_ENAMETOOLONG 37
#define WASIXNET_ENETDOWN 38
#define WASIXNET_ENETRESET 39
#define WASIXNET_ENETUNREACH 40
#define WASIXNET_ENFILE 41
#define WASIXNET_ENOBUFS 42
#define WASIXNET_ENODEV 43
#define WASIXNET_ENOENT 44
#define WASIXNET_ENOEXEC 45
#define WASIXNET_ENOLCK 46
#define WASIXNET_ENOLINK 47
#define WASIXNET_ENOMEM 48
#define WASIXNET_ENOMSG 49
#define WASIXNET_ENOPROTOOPT 50
#define WASIXNET_ENOSPC 51
#define WASIXNET_ENOSYS 52
#define WASIXNET_ENOTCONN 53
#define WASIXNET_ENOTDIR 54
#define WASIXNET_ENOTEMPTY 55
#define WASIXNET_ENOTRECOVERABLE 56
#define WASIXNET_ENOTSOCK 57
#define WASIXNET_ENOTSUP 58
#define WASIXNET_ENOTTY 59
#define WASIXNET_ENXIO 60
#define WASIXNET_EOVERFLOW 61
#define WASIXNET_EOWNERDEAD 62
#define WASIXNET_EPERM 63
#define WASIXNET_EPIPE 64
#define WASIXNET_EPROTO 65
#define WASIXNET_EPROTONOSUPPORT 66
#define WASIXNET_EPROTOTYPE 67
#define WASIXNET_ERANGE 68
#define WASIXNET_EROFS 69
#define WASIXNET_ESPIPE 70
#define WASIXNET_ESRCH 71
#define WASIXNET_ESTALE 72
#define WASIXNET_ETIMEDOUT 73
#define WASIXNET_ETXTBSY 74
#define WASIXNET_EXDEV 75
#define WASIXNET_ENOTCAPABLE 76
#define WASIXNET_ESHUTDOWN 77
#define WASIXNET_EMEMVIOLATION 78
#define WASIXNET_EUNKNOWN 79
#define WASIXNET_EPENDING 80
#define WASIXNET_ERRNO_COUNT 81

/* The list and the macros cannot drift: each macro is checked against the list's number. */
#define WASIXNET_CHECK_ERRNO_(number, name) \
    WASIXNET_STATIC_ASSERT(WASIXNET_E##name == (number), "WASIXNET_E" #name " matches WASIXNET_ERRNO_MAP");
WASIXNET_ERRNO_MAP(WASIXNET_CHECK_ERRNO_)
#undef WASIXNET_CHECK_ERRNO_

/* Returns the upper-case WASIX name of an error number ("INVAL" for 28), or "UNKNOWN_ERRNO" for a
 * number outside 0..80. A static string, never freed. */
const char *wasixnet_errno_name(wasixnet_errno_t err);

/* ---------------------------------------------------------------------------------------------
 * WASIX types, byte-exact with wasix-libc (the `wasix_v1` witx). All little-endian.
 * ------------------------------------------------------------------------------------------- */

/* Nanoseconds on the port's clock (by default CLOCK_REALTIME: nanoseconds since the Unix epoch). */
typedef uint64_t wasixnet_timestamp_t;
WASIXNET_STATIC_ASSERT(sizeof(wasixnet_timestamp_t) == 8, "timestamp size");

/* Address family tags (`tag` of the address structs). */
#define WASIXNET_ADDRESS_FAMILY_UNSPEC 0
#define WASIXNET_ADDRESS_FAMILY_INET4 1
#define WASIXNET_ADDRESS_FAMILY_INET6 2
#define WASIXNET_ADDRESS_FAMILY_UNIX 3

/* Option tags (`tag` of wasixnet_option_timestamp_t). */
#define WASIXNET_OPTION_NONE 0
#define WASIXNET_OPTION_SOME 1

/* An optional timestamp: `tag` 0 (none) or 1 (some); `value` is meaningful only with tag 1. */
typedef struct wasixnet_option_timestamp {
    uint8_t tag;
    wasixnet_timestamp_t value;
} wasixnet_option_timestamp_t;
WASIXNET_STATIC_ASSERT(sizeof(wasixnet_option_timestamp_t) == 16, "option_timestamp size");
WASIXNET_STATIC_ASSERT(WASIXNET_ALIGNOF(wasixnet_option_timestamp_t) == 8, "option_timestamp align");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_option_timestamp_t, tag) == 0, "option_timestamp.tag");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_option_timestamp_t, value) == 8, "option_timestamp.value");

/* A MAC address: six octets in transmission order. */
typedef struct wasixnet_hardware_address {
    uint8_t octets[6];
} wasixnet_hardware_address_t;
WASIXNET_STATIC_ASSERT(sizeof(wasixnet_hardware_address_t) == 6, "hardware_address size");
WASIXNET_STATIC_ASSERT(WASIXNET_ALIGNOF(wasixnet_hardware_address_t) == 1, "hardware_address align");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_hardware_address_t, octets) == 0, "hardware_address.octets");

/* An IPv6 address as WASIX lays it out: the 16 octets in network byte order (2001:db8::1 is
 * 20 01 0d b8 00 … 00 01), then the flow info and the scope id, each split into two 16-bit
 * halves with the most significant half first (flow_info1 = flowinfo >> 16). */
typedef struct wasixnet_addr_ip6 {
    uint8_t octets[16];
    uint16_t flow_info1;
    uint16_t flow_info0;
    uint16_t scope_id1;
    uint16_t scope_id0;
} wasixnet_addr_ip6_t;
WASIXNET_STATIC_ASSERT(sizeof(wasixnet_addr_ip6_t) == 24, "addr_ip6 size");
WASIXNET_STATIC_ASSERT(WASIXNET_ALIGNOF(wasixnet_addr_ip6_t) == 2, "addr_ip6 align");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_addr_ip6_t, octets) == 0, "addr_ip6.octets");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_addr_ip6_t, flow_info1) == 16, "addr_ip6.flow_info1");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_addr_ip6_t, flow_info0) == 18, "addr_ip6.flow_info0");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_addr_ip6_t, scope_id1) == 20, "addr_ip6.scope_id1");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_addr_ip6_t, scope_id0) == 22, "addr_ip6.scope_id0");

/* An address (`__wasi_addr_t`): `tag` is a WASIXNET_ADDRESS_FAMILY_*; byte 1 is padding.
 * inet4 holds the four octets in dotted order; unix a path of up to 108 bytes. */
typedef struct wasixnet_addr {
    uint8_t tag;
    union {
        uint8_t unspec;
        uint8_t inet4[4];
        wasixnet_addr_ip6_t inet6;
        uint8_t unix_path[108];
    } u;
} wasixnet_addr_t;
WASIXNET_STATIC_ASSERT(sizeof(wasixnet_addr_t) == 110, "addr size");
WASIXNET_STATIC_ASSERT(WASIXNET_ALIGNOF(wasixnet_addr_t) == 2, "addr align");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_addr_t, tag) == 0, "addr.tag");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_addr_t, u) == 2, "addr.u");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_addr_t, u.inet4) == 2, "addr.u.inet4");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_addr_t, u.inet6.octets) == 2, "addr.u.inet6.octets");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_addr_t, u.inet6.flow_info1) == 18, "addr.u.inet6.flow_info1");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_addr_t, u.inet6.flow_info0) == 20, "addr.u.inet6.flow_info0");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_addr_t, u.inet6.scope_id1) == 22, "addr.u.inet6.scope_id1");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_addr_t, u.inet6.scope_id0) == 24, "addr.u.inet6.scope_id0");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_addr_t, u.unix_path) == 2, "addr.u.unix_path");

/* An address with a prefix length: a CIDR (`__wasi_addr_cidr_t`). The IPv4 prefix is at byte 6,
 * the IPv6 prefix at byte 26 (after the flow info and scope id). */
typedef struct wasixnet_addr_cidr {
    uint8_t tag;
    union {
        uint8_t unspec[2];
        struct { uint8_t addr[4]; uint8_t prefix; } inet4;
        struct { wasixnet_addr_ip6_t addr; uint8_t prefix; } inet6;
        uint8_t unix_unused;
    } u;
} wasixnet_addr_cidr_t;
WASIXNET_STATIC_ASSERT(sizeof(wasixnet_addr_cidr_t) == 28, "addr_cidr size");
WASIXNET_STATIC_ASSERT(WASIXNET_ALIGNOF(wasixnet_addr_cidr_t) == 2, "addr_cidr align");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_addr_cidr_t, tag) == 0, "addr_cidr.tag");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_addr_cidr_t, u) == 2, "addr_cidr.u");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_addr_cidr_t, u.inet4.addr) == 2, "addr_cidr.u.inet4.addr");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_addr_cidr_t, u.inet4.prefix) == 6, "addr_cidr.u.inet4.prefix");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_addr_cidr_t, u.inet6.addr) == 2, "addr_cidr.u.inet6.addr");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_addr_cidr_t, u.inet6.addr.flow_info1) == 18, "addr_cidr flow_info1");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_addr_cidr_t, u.inet6.addr.scope_id0) == 24, "addr_cidr scope_id0");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_addr_cidr_t, u.inet6.prefix) == 26, "addr_cidr.u.inet6.prefix");

/* An address with a port (`__wasi_addr_port_t`), as the WASIX socket calls use it. `port` is a
 * host-order number, as wasix-libc writes it. */
typedef struct wasixnet_addr_port {
    uint8_t tag;
    union {
        struct { uint16_t port; uint8_t addr; } unspec;
        struct { uint16_t port; uint8_t addr[4]; } inet4;
        struct { uint16_t port; wasixnet_addr_ip6_t addr; } inet6;
        uint8_t unix_path[108];
    } u;
} wasixnet_addr_port_t;
WASIXNET_STATIC_ASSERT(sizeof(wasixnet_addr_port_t) == 110, "addr_port size");
WASIXNET_STATIC_ASSERT(WASIXNET_ALIGNOF(wasixnet_addr_port_t) == 2, "addr_port align");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_addr_port_t, tag) == 0, "addr_port.tag");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_addr_port_t, u) == 2, "addr_port.u");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_addr_port_t, u.inet4.port) == 2, "addr_port.u.inet4.port");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_addr_port_t, u.inet4.addr) == 4, "addr_port.u.inet4.addr");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_addr_port_t, u.inet6.port) == 2, "addr_port.u.inet6.port");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_addr_port_t, u.inet6.addr) == 4, "addr_port.u.inet6.addr");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_addr_port_t, u.inet6.addr.scope_id0) == 26, "addr_port scope_id0");

/* A routing-table entry (`__wasi_route_t`). `via_router` has tag UNSPEC (and zero bytes) for an
 * on-link route; a `none` timestamp has a zero value. */
typedef struct wasixnet_route {
    wasixnet_addr_cidr_t cidr;
    wasixnet_addr_t via_router;
    wasixnet_option_timestamp_t preferred_until;
    wasixnet_option_timestamp_t expires_at;
} wasixnet_route_t;
WASIXNET_STATIC_ASSERT(sizeof(wasixnet_route_t) == 176, "route size");
WASIXNET_STATIC_ASSERT(WASIXNET_ALIGNOF(wasixnet_route_t) == 8, "route align");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_route_t, cidr) == 0, "route.cidr");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_route_t, via_router) == 28, "route.via_router");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_route_t, preferred_until) == 144, "route.preferred_until");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_route_t, expires_at) == 160, "route.expires_at");

/* Stream security flags of port_bridge: a non-empty set of these. */
#define WASIXNET_STREAM_SECURITY_UNENCRYPTED 1
#define WASIXNET_STREAM_SECURITY_ANY_ENCRYPTION 2
#define WASIXNET_STREAM_SECURITY_CLASSIC_ENCRYPTION 4
#define WASIXNET_STREAM_SECURITY_DOUBLE_ENCRYPTION 8

/* ---------------------------------------------------------------------------------------------
 * The port: one guest's network interface
 *
 * A port holds the guest's addresses (each with its prefix, which is on-link), its MAC, and a
 * routing table. Lookups take the longest matching prefix over live routes and the prefixes of
 * the port's own addresses; at equal length an explicit route wins. Timestamps are absolute, on
 * the port's clock: a route is deprecated from `now >= preferred_until` (still used and listed)
 * and gone from `now >= expires_at` (not listed, not used, its CIDR free again, not counted).
 * ------------------------------------------------------------------------------------------- */
#ifdef WASIXNET_HEADER_CHECK
/* Only for the build's drift check, which compiles this header together with the one Swift
 * generates from the implementation; Swift spells every opaque handle `void *`. */
typedef void wasixnet_port_t;
#else
typedef struct wasixnet_port wasixnet_port_t;
#endif

/* Sockets of a port with this flag may send only where a live route or an own prefix leads. */
#define WASIXNET_PORT_ENFORCE_ROUTES 1u

/* Defaults taken when the config's limits are 0. */
#define WASIXNET_PORT_DEFAULT_MAX_ROUTES 4096u
#define WASIXNET_PORT_DEFAULT_MAX_ADDRS 256u

/* How a port is made. Zero-initialise it, set `struct_size = sizeof(wasixnet_port_config_t)`,
 * then set what you need; every zero field takes its default. */
typedef struct wasixnet_port_config {
    uint32_t struct_size;  /* sizeof(wasixnet_port_config_t): lets the struct grow compatibly */
    uint32_t flags;        /* 0 or WASIXNET_PORT_ENFORCE_ROUTES; other bits: EINVAL */
    uint32_t max_routes;   /* live routes at most (the gateway's default routes count); 0: 4096 */
    uint32_t max_addrs;    /* own addresses at most; 0: 256 */
    uint8_t mac[6];        /* the port's MAC when has_mac != 0 */
    uint8_t has_mac;       /* 0: the port makes a random locally administered unicast MAC */
    /* The port's clock, in nanoseconds. NULL: CLOCK_REALTIME (WASI's realtime clock). It is called
     * with no lock held and may be called from any thread. */
    wasixnet_timestamp_t (*clock)(void *ctx);
    void *clock_ctx;
    /* Hooks for the calls whose meaning belongs to the embedder. Each is called with no lock held,
     * may call back into the port, and its error number reaches the guest unchanged. NULL: the
     * call answers WASIXNET_ENOTSUP. */
    wasixnet_errno_t (*bridge)(void *ctx, const char *network, size_t network_len, const char *token,
                               size_t token_len, uint8_t security);
    wasixnet_errno_t (*unbridge)(void *ctx);
    wasixnet_errno_t (*dhcp_acquire)(void *ctx, wasixnet_port_t *port); /* may call wasixnet_port_addr_add */
    void *hooks_ctx;
} wasixnet_port_config_t;
WASIXNET_STATIC_ASSERT(sizeof(wasixnet_port_config_t) == 72, "port_config size");
WASIXNET_STATIC_ASSERT(WASIXNET_ALIGNOF(wasixnet_port_config_t) == 8, "port_config align");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_port_config_t, struct_size) == 0, "port_config.struct_size");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_port_config_t, flags) == 4, "port_config.flags");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_port_config_t, max_routes) == 8, "port_config.max_routes");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_port_config_t, max_addrs) == 12, "port_config.max_addrs");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_port_config_t, mac) == 16, "port_config.mac");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_port_config_t, has_mac) == 22, "port_config.has_mac");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_port_config_t, clock) == 24, "port_config.clock");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_port_config_t, clock_ctx) == 32, "port_config.clock_ctx");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_port_config_t, bridge) == 40, "port_config.bridge");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_port_config_t, unbridge) == 48, "port_config.unbridge");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_port_config_t, dhcp_acquire) == 56, "port_config.dhcp_acquire");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_port_config_t, hooks_ctx) == 64, "port_config.hooks_ctx");

/* Makes a port and stores it in *out. `config` NULL takes every default. Returns EFAULT when `out`
 * is NULL; EINVAL when `config->struct_size` is smaller than this header's struct (larger is
 * accepted: the extra bytes are a newer header's fields) or `flags` has unknown bits. Free the
 * port with wasixnet_port_free. */
wasixnet_errno_t wasixnet_port_new(const wasixnet_port_config_t *config, wasixnet_port_t **out);

/* Releases a port. NULL is a no-op. The port must not be used afterwards. */
void wasixnet_port_free(wasixnet_port_t *port);

/* --- Host-typed calls: the 13 WASIX port calls on host structs of the layouts above ----------
 * Every pointer is required (NULL: EFAULT) unless marked nullable. Validation happens before any
 * change, and the first failing rule decides the error. */

/* Validates the strings (UTF-8, else EINVAL) and `security` (a non-empty set of the four
 * WASIXNET_STREAM_SECURITY_* flags, else EINVAL), then calls the config's `bridge` hook and
 * returns its answer; ENOTSUP without a hook. */
wasixnet_errno_t wasixnet_port_bridge(wasixnet_port_t *port, const char *network, size_t network_len,
                                      const char *token, size_t token_len, uint8_t security);

/* Calls the config's `unbridge` hook; ENOTSUP without one. */
wasixnet_errno_t wasixnet_port_unbridge(wasixnet_port_t *port);

/* Calls the config's `dhcp_acquire` hook (which may add addresses); ENOTSUP without one. */
wasixnet_errno_t wasixnet_port_dhcp_acquire(wasixnet_port_t *port);

/* Adds an own address with its prefix (host bits allowed: 10.0.0.5/24). The prefix becomes
 * on-link for lookups. EINVAL: not inet4/inet6, prefix over 32/128, unspecified or multicast
 * address; EEXIST: the address is already the port's (whatever its prefix); ENOMEM: max_addrs. */
wasixnet_errno_t wasixnet_port_addr_add(wasixnet_port_t *port, const wasixnet_addr_cidr_t *addr);

/* Removes an own address. EINVAL: not inet4/inet6; ENOENT: not an address of the port. */
wasixnet_errno_t wasixnet_port_addr_remove(wasixnet_port_t *port, const wasixnet_addr_t *addr);

/* Removes every own address. */
wasixnet_errno_t wasixnet_port_addr_clear(wasixnet_port_t *port);

/* Lists the own addresses in the order they were added. On entry *naddrs is the capacity of
 * `addrs`; on return it is the number of addresses. When that exceeds the capacity, the first
 * `capacity` are written and EOVERFLOW is returned. Unused bytes of written entries are zero.
 * Both pointers are required, even with a capacity of 0. */
wasixnet_errno_t wasixnet_port_addr_list(wasixnet_port_t *port, wasixnet_addr_cidr_t *addrs, uint32_t *naddrs);

/* Writes the port's MAC: the configured one, or the random one the port made (the same on every
 * call). */
wasixnet_errno_t wasixnet_port_mac(wasixnet_port_t *port, wasixnet_hardware_address_t *out);

/* Installs the default route (0.0.0.0/0 or ::/0) via `addr`, with no lifetimes, replacing that
 * family's default route (one from an earlier gateway_set or from route_add) in its place in the
 * list order. EINVAL: not inet4/inet6, or an unspecified, multicast or broadcast address;
 * ENOMEM: a new default route would exceed max_routes. */
wasixnet_errno_t wasixnet_port_gateway_set(wasixnet_port_t *port, const wasixnet_addr_t *addr);

/* Adds a route to `cidr` via `via_router` (tag UNSPEC: on-link, no gateway).
 * EINVAL, in this order: cidr not inet4/inet6; prefix over 32/128; host bits set beyond the
 * prefix (10.1.2.3/24); via_router neither UNSPEC nor the cidr's family; via_router unspecified,
 * multicast or 255.255.255.255; an option tag other than 0/1; preferred_until > expires_at;
 * expires_at <= now. Then EEXIST: a live route to the same CIDR; ENOMEM: max_routes live routes. */
wasixnet_errno_t wasixnet_port_route_add(wasixnet_port_t *port, const wasixnet_addr_cidr_t *cidr,
                                         const wasixnet_addr_t *via_router,
                                         const wasixnet_option_timestamp_t *preferred_until,
                                         const wasixnet_option_timestamp_t *expires_at);

/* Removes every live route whose CIDR address equals `cidr`'s address, whatever the prefix length
 * (the gateway's default route included). EINVAL: not inet4/inet6; ENOENT: no such route. */
wasixnet_errno_t wasixnet_port_route_remove(wasixnet_port_t *port, const wasixnet_addr_t *cidr);

/* Removes every route, the gateway's default routes included. */
wasixnet_errno_t wasixnet_port_route_clear(wasixnet_port_t *port);

/* Lists the live routes in the order they were added, with the protocol of addr_list:
 * *nroutes is the capacity on entry and the number of routes on return; EOVERFLOW when the
 * routes do not all fit (the first `capacity` are written). */
wasixnet_errno_t wasixnet_port_route_list(wasixnet_port_t *port, wasixnet_route_t *routes, uint32_t *nroutes);

/* Beyond WASIX: the route a datagram to `dst` would take, by longest prefix match. For an own
 * address's prefix it is the masked network (10.0.0.0/24 for 10.0.0.5/24) with an UNSPEC router
 * and no lifetimes. `*deprecated` (nullable) is set to 1 when the route is past preferred_until,
 * else 0. EINVAL: `dst` not inet4/inet6; ENETUNREACH: no route. An IPv4-mapped IPv6 address is
 * looked up as IPv6. */
wasixnet_errno_t wasixnet_port_route_lookup(wasixnet_port_t *port, const wasixnet_addr_t *dst,
                                            wasixnet_route_t *out, uint8_t *deprecated);

/* ---------------------------------------------------------------------------------------------
 * Guest-memory calls: what a runtime's host-import callback calls directly
 * ------------------------------------------------------------------------------------------- */

/* The layout of the structs in guest memory. */
#define WASIXNET_LAYOUT_WASIX_V1 0 /* wasix-libc's: the types above (addr 110 B, cidr 28 B, route 176 B) */
#define WASIXNET_LAYOUT_WASMER 1   /* Wasmer's host: addr 18 B, cidr 19 B (IPv6 prefix @18), route 72 B
                                      (via @19, preferred @40, expires @56); IPv6 groups read as
                                      little-endian u16s, written as network-order bytes; no flow
                                      info or scope id */

/* One guest's linear memory as the runtime sees it now. */
typedef struct wasixnet_guest {
    uint8_t *memory;      /* base of linear memory now: re-read it on every call (memory.grow moves it) */
    uint64_t memory_size; /* bytes */
    uint8_t pointer_size; /* 4 for wasix_32v1, 8 for wasix_64v1: the width of a list's count cell */
    uint8_t layout;       /* WASIXNET_LAYOUT_WASIX_V1 (0) or WASIXNET_LAYOUT_WASMER (1) */
} wasixnet_guest_t;
WASIXNET_STATIC_ASSERT(sizeof(wasixnet_guest_t) == 24, "guest size");
WASIXNET_STATIC_ASSERT(WASIXNET_ALIGNOF(wasixnet_guest_t) == 8, "guest align");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_guest_t, memory) == 0, "guest.memory");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_guest_t, memory_size) == 8, "guest.memory_size");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_guest_t, pointer_size) == 16, "guest.pointer_size");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_guest_t, layout) == 17, "guest.layout");

/* The 13 WASIX imports, taking the import's own parameters as guest offsets (uint64_t, in the
 * import's order) and doing what the host-typed call of the same name does.
 *
 * Memory rules: every struct a call reads must lie whole inside [0, memory_size) at its layout's
 * full size (a cidr, an addr, a 16-byte option timestamp, a count cell of pointer_size bytes),
 * and so must a list's whole declared buffer, capacity x stride bytes, however few entries are
 * then written. Otherwise the call returns EFAULT and writes nothing at all, the count cell
 * included. All bounds are checked before any other rule. Offsets need no alignment; an offset +
 * size that overflows 64 bits is EFAULT. Guest offset 0 is an ordinary offset.
 * Other errors: EFAULT for a NULL port or guest, or a NULL memory with a non-zero size; EINVAL for
 * a pointer_size other than 4 or 8 or an unknown layout. */
wasixnet_errno_t wasixnet_guest_port_bridge(wasixnet_port_t *port, const wasixnet_guest_t *guest,
                                            uint64_t network, uint64_t network_len, uint64_t token,
                                            uint64_t token_len, uint64_t security);
wasixnet_errno_t wasixnet_guest_port_unbridge(wasixnet_port_t *port, const wasixnet_guest_t *guest);
wasixnet_errno_t wasixnet_guest_port_dhcp_acquire(wasixnet_port_t *port, const wasixnet_guest_t *guest);
wasixnet_errno_t wasixnet_guest_port_addr_add(wasixnet_port_t *port, const wasixnet_guest_t *guest, uint64_t addr);
wasixnet_errno_t wasixnet_guest_port_addr_remove(wasixnet_port_t *port, const wasixnet_guest_t *guest, uint64_t addr);
wasixnet_errno_t wasixnet_guest_port_addr_clear(wasixnet_port_t *port, const wasixnet_guest_t *guest);
wasixnet_errno_t wasixnet_guest_port_addr_list(wasixnet_port_t *port, const wasixnet_guest_t *guest,
                                               uint64_t addrs, uint64_t naddrs);
wasixnet_errno_t wasixnet_guest_port_mac(wasixnet_port_t *port, const wasixnet_guest_t *guest, uint64_t ret);
wasixnet_errno_t wasixnet_guest_port_gateway_set(wasixnet_port_t *port, const wasixnet_guest_t *guest, uint64_t addr);
wasixnet_errno_t wasixnet_guest_port_route_add(wasixnet_port_t *port, const wasixnet_guest_t *guest, uint64_t cidr,
                                               uint64_t via_router, uint64_t preferred_until, uint64_t expires_at);
wasixnet_errno_t wasixnet_guest_port_route_remove(wasixnet_port_t *port, const wasixnet_guest_t *guest, uint64_t cidr);
wasixnet_errno_t wasixnet_guest_port_route_clear(wasixnet_port_t *port, const wasixnet_guest_t *guest);
wasixnet_errno_t wasixnet_guest_port_route_list(wasixnet_port_t *port, const wasixnet_guest_t *guest,
                                                uint64_t routes, uint64_t nroutes);

/* ---------------------------------------------------------------------------------------------
 * wasi:sockets/udp (WASI 0.2): UDP sockets with batch send and batch receive
 *
 * The calls of the WIT resources `udp-socket`, `incoming-datagram-stream` and
 * `outgoing-datagram-stream`, with the WIT's exact rules, carried out with one `sendmmsg` per
 * batch (runs of equal-sized datagrams to one peer coalesced with UDP GSO) and one `recvmmsg` per
 * receive. A socket is one non-blocking kernel socket: the streams of the WIT are the socket
 * itself once `wasixnet_udp_stream` succeeded; each call of it starts fresh streams.
 *
 * Every call answers a wasixnet_sock_status_t: WASIXNET_SOCK_OK (0), WASIXNET_SOCK_TRAP (-1) when
 * the guest broke the protocol (the runtime must trap the guest: it is not an error code the guest
 * may see), or 1 + the discriminant of the wasi:sockets `error-code` the WIT call returns.
 * A NULL socket or a NULL required pointer is WASIXNET_SOCK_E_INVALID_ARGUMENT.
 * ------------------------------------------------------------------------------------------- */
typedef int32_t wasixnet_sock_status_t;

#define WASIXNET_SOCK_OK 0
#define WASIXNET_SOCK_TRAP (-1)

/* The wasi:sockets `error-code` enum in order, as statuses (1 + discriminant):
 * XX(status, NAME, "wit-name"). The WASIXNET_SOCK_E_* values and wasixnet_sock_status_name are
 * derived from this one list. */
#define WASIXNET_SOCK_ERROR_MAP(XX) \
    XX(1, UNKNOWN, "unknown") XX(2, ACCESS_DENIED, "access-denied") XX(3, NOT_SUPPORTED, "not-supported") \
    XX(4, INVALID_ARGUMENT, "invalid-argument") XX(5, OUT_OF_MEMORY, "out-of-memory") XX(6, TIMEOUT, "timeout") \
    XX(7, CONCURRENCY_CONFLICT, "concurrency-conflict") XX(8, NOT_IN_PROGRESS, "not-in-progress") \
    XX(9, WOULD_BLOCK, "would-block") XX(10, INVALID_STATE, "invalid-state") \
    XX(11, NEW_SOCKET_LIMIT, "new-socket-limit") XX(12, ADDRESS_NOT_BINDABLE, "address-not-bindable") \
    XX(13, ADDRESS_IN_USE, "address-in-use") XX(14, REMOTE_UNREACHABLE, "remote-unreachable") \
    XX(15, CONNECTION_REFUSED, "connection-refused") XX(16, CONNECTION_RESET, "connection-reset") \
    XX(17, CONNECTION_ABORTED, "connection-aborted") XX(18, DATAGRAM_TOO_LARGE, "datagram-too-large") \
    XX(19, NAME_UNRESOLVABLE, "name-unresolvable") XX(20, TEMPORARY_RESOLVER_FAILURE, "temporary-resolver-failure") \
    XX(21, PERMANENT_RESOLVER_FAILURE, "permanent-resolver-failure")

#define WASIXNET_SOCK_E_UNKNOWN 1
#define WASIXNET_SOCK_E_ACCESS_DENIED 2
#define WASIXNET_SOCK_E_NOT_SUPPORTED 3
#define WASIXNET_SOCK_E_INVALID_ARGUMENT 4
#define WASIXNET_SOCK_E_OUT_OF_MEMORY 5
#define WASIXNET_SOCK_E_TIMEOUT 6
#define WASIXNET_SOCK_E_CONCURRENCY_CONFLICT 7
#define WASIXNET_SOCK_E_NOT_IN_PROGRESS 8
#define WASIXNET_SOCK_E_WOULD_BLOCK 9
#define WASIXNET_SOCK_E_INVALID_STATE 10
#define WASIXNET_SOCK_E_NEW_SOCKET_LIMIT 11
#define WASIXNET_SOCK_E_ADDRESS_NOT_BINDABLE 12
#define WASIXNET_SOCK_E_ADDRESS_IN_USE 13
#define WASIXNET_SOCK_E_REMOTE_UNREACHABLE 14
#define WASIXNET_SOCK_E_CONNECTION_REFUSED 15
#define WASIXNET_SOCK_E_CONNECTION_RESET 16
#define WASIXNET_SOCK_E_CONNECTION_ABORTED 17
#define WASIXNET_SOCK_E_DATAGRAM_TOO_LARGE 18
#define WASIXNET_SOCK_E_NAME_UNRESOLVABLE 19
#define WASIXNET_SOCK_E_TEMPORARY_RESOLVER_FAILURE 20
#define WASIXNET_SOCK_E_PERMANENT_RESOLVER_FAILURE 21
#define WASIXNET_SOCK_ERROR_COUNT 21

/* The list and the macros cannot drift: each macro is checked against the list's number. */
#define WASIXNET_CHECK_SOCK_ERROR_(status, name, text) \
    WASIXNET_STATIC_ASSERT(WASIXNET_SOCK_E_##name == (status), "WASIXNET_SOCK_E_" #name " matches WASIXNET_SOCK_ERROR_MAP");
WASIXNET_SOCK_ERROR_MAP(WASIXNET_CHECK_SOCK_ERROR_)
#undef WASIXNET_CHECK_SOCK_ERROR_

/* Returns the name of a status: "ok", "trap", or the WIT name of the error ("invalid-argument");
 * "unknown-status" for any other value. A static string, never freed. */
const char *wasixnet_sock_status_name(wasixnet_sock_status_t status);

/* Address family of a socket and tag of wasixnet_ip_socket_address_t (the WIT's discriminants). */
#define WASIXNET_IP_FAMILY_IPV4 0
#define WASIXNET_IP_FAMILY_IPV6 1

/* An `ip-socket-address` in the canonical ABI's layout, so the same bytes serve host calls and
 * guest memory: `tag` 0 (ipv4) or 1 (ipv6), then the case's record at byte 4. Numbers are
 * host-order values as the canonical ABI lifts them: `port` is the port number; IPv4 `address`
 * holds the four octets in dotted order; IPv6 `address` holds the eight groups as numbers
 * (2001:db8::1 is {0x2001, 0x0db8, 0, 0, 0, 0, 0, 1}); `flow_info` and `scope_id` as
 * sin6_flowinfo and sin6_scope_id mean them. Bytes a case does not use are written as zero. */
typedef struct wasixnet_ipv4_socket_address {
    uint16_t port;
    uint8_t address[4];
} wasixnet_ipv4_socket_address_t;
WASIXNET_STATIC_ASSERT(sizeof(wasixnet_ipv4_socket_address_t) == 6, "ipv4_socket_address size");
WASIXNET_STATIC_ASSERT(WASIXNET_ALIGNOF(wasixnet_ipv4_socket_address_t) == 2, "ipv4_socket_address align");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_ipv4_socket_address_t, port) == 0, "ipv4_socket_address.port");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_ipv4_socket_address_t, address) == 2, "ipv4_socket_address.address");

typedef struct wasixnet_ipv6_socket_address {
    uint16_t port;
    uint32_t flow_info;
    uint16_t address[8];
    uint32_t scope_id;
} wasixnet_ipv6_socket_address_t;
WASIXNET_STATIC_ASSERT(sizeof(wasixnet_ipv6_socket_address_t) == 28, "ipv6_socket_address size");
WASIXNET_STATIC_ASSERT(WASIXNET_ALIGNOF(wasixnet_ipv6_socket_address_t) == 4, "ipv6_socket_address align");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_ipv6_socket_address_t, port) == 0, "ipv6_socket_address.port");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_ipv6_socket_address_t, flow_info) == 4, "ipv6_socket_address.flow_info");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_ipv6_socket_address_t, address) == 8, "ipv6_socket_address.address");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_ipv6_socket_address_t, scope_id) == 24, "ipv6_socket_address.scope_id");

typedef struct wasixnet_ip_socket_address {
    uint8_t tag; /* WASIXNET_IP_FAMILY_IPV4 or WASIXNET_IP_FAMILY_IPV6 */
    union {
        wasixnet_ipv4_socket_address_t ipv4;
        wasixnet_ipv6_socket_address_t ipv6;
    } u;
} wasixnet_ip_socket_address_t;
WASIXNET_STATIC_ASSERT(sizeof(wasixnet_ip_socket_address_t) == 32, "ip_socket_address size");
WASIXNET_STATIC_ASSERT(WASIXNET_ALIGNOF(wasixnet_ip_socket_address_t) == 4, "ip_socket_address align");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_ip_socket_address_t, tag) == 0, "ip_socket_address.tag");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_ip_socket_address_t, u) == 4, "ip_socket_address.u");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_ip_socket_address_t, u.ipv4.port) == 4, "ip_socket_address.u.ipv4.port");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_ip_socket_address_t, u.ipv4.address) == 6, "ip_socket_address.u.ipv4.address");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_ip_socket_address_t, u.ipv6.port) == 4, "ip_socket_address.u.ipv6.port");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_ip_socket_address_t, u.ipv6.flow_info) == 8, "ip_socket_address.u.ipv6.flow_info");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_ip_socket_address_t, u.ipv6.address) == 12, "ip_socket_address.u.ipv6.address");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_ip_socket_address_t, u.ipv6.scope_id) == 28, "ip_socket_address.u.ipv6.scope_id");

/* A UDP socket: one `udp-socket` with its current pair of datagram streams. */
#ifdef WASIXNET_HEADER_CHECK
typedef void wasixnet_udp_socket_t; /* the drift check's spelling, as for wasixnet_port_t */
#else
typedef struct wasixnet_udp_socket wasixnet_udp_socket_t;
#endif

/* The most datagrams check_send grants and one send takes (UIO_MAXIOV). */
#define WASIXNET_UDP_MAX_PERMITS 1024u
/* A datagram longer than this is WASIXNET_SOCK_E_DATAGRAM_TOO_LARGE without a syscall. */
#define WASIXNET_UDP_MAX_DATAGRAM 65535u

/* `create-udp-socket`: makes an unbound socket of `family` (WASIXNET_IP_FAMILY_*) and stores it in
 * *out. With a `port` (nullable), the socket's sends obey the port's WASIXNET_PORT_ENFORCE_ROUTES;
 * the socket keeps the port alive until it is freed. IPv6 sockets are IPV6_V6ONLY: never
 * dual-stack. INVALID_ARGUMENT: a family other than 0 or 1, or `out` NULL; NEW_SOCKET_LIMIT: out
 * of descriptors; NOT_SUPPORTED: the host has no such family. Free it with wasixnet_udp_free. */
wasixnet_sock_status_t wasixnet_udp_create(wasixnet_port_t *port, uint8_t family, wasixnet_udp_socket_t **out);

/* Closes the socket and releases it. NULL is a no-op. The socket must not be used afterwards. */
void wasixnet_udp_free(wasixnet_udp_socket_t *socket);

/* `start-bind`: binds the socket to `local` (port 0: an ephemeral port; the unspecified address:
 * every local address). The bind happens here and reports its errors here. INVALID_STATE: not a
 * fresh socket (a second start_bind included); INVALID_ARGUMENT: a tag other than 0/1, the other
 * family, or an IPv4-mapped address on an IPv6 socket; ADDRESS_IN_USE; ADDRESS_NOT_BINDABLE: not
 * a local address; ACCESS_DENIED: a privileged port. */
wasixnet_sock_status_t wasixnet_udp_start_bind(wasixnet_udp_socket_t *socket, const wasixnet_ip_socket_address_t *local);

/* `finish-bind`: completes start_bind. NOT_IN_PROGRESS without a start_bind in progress. */
wasixnet_sock_status_t wasixnet_udp_finish_bind(wasixnet_udp_socket_t *socket);

/* `stream`: starts fresh streams, limited to `remote` (connect) or open to every peer (`remote`
 * NULL; a previous association is dissolved and the bound local address kept). Permits reset to
 * 0. Routes are not checked here but at send. INVALID_STATE: not bound; INVALID_ARGUMENT: a tag
 * other than 0/1, the other family, an IPv4-mapped address on an IPv6 socket, an unspecified
 * address or port 0 (these change nothing); the kernel's errors of connect, mapped as for send,
 * leave the socket bound with no streams. */
wasixnet_sock_status_t wasixnet_udp_stream(wasixnet_udp_socket_t *socket, const wasixnet_ip_socket_address_t *remote);

/* `local-address`: writes the bound address (after stream, the one the kernel chose for the
 * peer). INVALID_STATE: not bound (start_bind alone is not enough). */
wasixnet_sock_status_t wasixnet_udp_local_address(wasixnet_udp_socket_t *socket, wasixnet_ip_socket_address_t *out);

/* `remote-address`: writes the address given to stream, every field as given. INVALID_STATE: not
 * streaming to a specific peer. */
wasixnet_sock_status_t wasixnet_udp_remote_address(wasixnet_udp_socket_t *socket, wasixnet_ip_socket_address_t *out);

/* `address-family`: WASIXNET_IP_FAMILY_IPV4 or WASIXNET_IP_FAMILY_IPV6; 255 for a NULL socket. */
uint8_t wasixnet_udp_address_family(wasixnet_udp_socket_t *socket);

/* `unicast-hop-limit` / `set-unicast-hop-limit`: IP_TTL or IPV6_UNICAST_HOPS. Setting 0 is
 * INVALID_ARGUMENT. */
wasixnet_sock_status_t wasixnet_udp_unicast_hop_limit(wasixnet_udp_socket_t *socket, uint8_t *out);
wasixnet_sock_status_t wasixnet_udp_set_unicast_hop_limit(wasixnet_udp_socket_t *socket, uint8_t value);

/* `receive-buffer-size` / `send-buffer-size` and their setters: SO_RCVBUF / SO_SNDBUF. Setting 0
 * is INVALID_ARGUMENT; other values are clamped by the kernel (to its limits); reading back gives
 * the size in effect as it was set (Linux stores twice the value: it is halved back). */
wasixnet_sock_status_t wasixnet_udp_receive_buffer_size(wasixnet_udp_socket_t *socket, uint64_t *out);
wasixnet_sock_status_t wasixnet_udp_set_receive_buffer_size(wasixnet_udp_socket_t *socket, uint64_t value);
wasixnet_sock_status_t wasixnet_udp_send_buffer_size(wasixnet_udp_socket_t *socket, uint64_t *out);
wasixnet_sock_status_t wasixnet_udp_set_send_buffer_size(wasixnet_udp_socket_t *socket, uint64_t value);

/* The socket's descriptor, for the runtime's poll loop (the streams' `subscribe` pollables):
 * POLLOUT means check_send would grant at least one datagram, POLLIN that receive has a
 * datagram. Owned by the socket: do not close it or change its flags. -1 for a NULL socket. */
int wasixnet_udp_fd(wasixnet_udp_socket_t *socket);

/* `check-send`: never blocks and never answers WOULD_BLOCK. Grants WASIXNET_UDP_MAX_PERMITS
 * datagrams for the next send when the kernel's send buffer has room (POLLOUT), else 0; after 0,
 * the descriptor turns POLLOUT when a grant is possible again. INVALID_STATE before stream. */
wasixnet_sock_status_t wasixnet_udp_check_send(wasixnet_udp_socket_t *socket, uint64_t *permits);

/* One `outgoing-datagram`: `len` bytes at `data` (NULL only with len 0) to `remote_address`
 * (NULL: none, the peer given to stream). */
typedef struct wasixnet_outgoing_datagram {
    const uint8_t *data;
    size_t len;
    const wasixnet_ip_socket_address_t *remote_address;
} wasixnet_outgoing_datagram_t;
WASIXNET_STATIC_ASSERT(sizeof(wasixnet_outgoing_datagram_t) == 3 * sizeof(void *), "outgoing_datagram size");
WASIXNET_STATIC_ASSERT(WASIXNET_ALIGNOF(wasixnet_outgoing_datagram_t) == sizeof(void *), "outgoing_datagram align");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_outgoing_datagram_t, data) == 0, "outgoing_datagram.data");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_outgoing_datagram_t, len) == sizeof(void *), "outgoing_datagram.len");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_outgoing_datagram_t, remote_address) == 2 * sizeof(void *),
                       "outgoing_datagram.remote_address");

/* `send`: sends `datagrams[0 .. count)` in order and stores in *sent how many went (or were
 * queued), with one sendmmsg per batch and UDP GSO for runs of equal-sized datagrams to one peer.
 * Rules, in order:
 *   - INVALID_STATE before stream.
 *   - The grant is checked first: more datagrams than the last check_send granted, or a non-empty
 *     send with no check_send since the last send, is WASIXNET_SOCK_TRAP (nothing sent, nothing
 *     changed). Every send, empty or not, uses the grant up. count 0 is OK with *sent = 0.
 *   - Each datagram is checked, in order, before any syscall; the first invalid one at index i
 *     ends the batch: i == 0 answers its error, else the first i are sent. Invalid: more than
 *     65535 bytes (DATAGRAM_TOO_LARGE); NULL data with a non-zero len, a tag other than 0/1, the
 *     other family, an IPv4-mapped address on an IPv6 socket, an unspecified address, port 0, an
 *     address that differs in any field from the connected peer's, no address when not connected
 *     (INVALID_ARGUMENT); with the socket's port enforcing routes, a destination no live route or
 *     own prefix leads to (REMOTE_UNREACHABLE).
 *   - Once one datagram was sent the answer is OK with the count; kernel errors after it are
 *     dropped. With none sent: EAGAIN is OK with 0; EMSGSIZE DATAGRAM_TOO_LARGE; ECONNREFUSED
 *     CONNECTION_REFUSED; ECONNRESET, EHOSTUNREACH, EHOSTDOWN, ENETUNREACH, ENETDOWN, ENONET
 *     REMOTE_UNREACHABLE; ENOMEM, ENOBUFS OUT_OF_MEMORY; EACCES, EPERM ACCESS_DENIED.
 *   - If the kernel refuses GSO (EIO or EINVAL on a coalesced message) the socket stops using it
 *     and sends those datagrams one by one: nothing is lost or sent twice, the count is exact.
 * `sent` is required; it is written on OK only. */
wasixnet_sock_status_t wasixnet_udp_send(wasixnet_udp_socket_t *socket, const wasixnet_outgoing_datagram_t *datagrams,
                                         size_t count, uint64_t *sent);

/* One `incoming-datagram`, received into the caller's buffer: `data` and `capacity` are the
 * caller's (data may be NULL with capacity 0); receive stores `len` (bytes stored, at most
 * capacity), `truncated` (1 when the datagram was longer than capacity, its tail lost) and the
 * sender's `remote_address`. */
typedef struct wasixnet_incoming_datagram {
    uint8_t *data;
    size_t capacity;
    size_t len;
    uint8_t truncated;
    wasixnet_ip_socket_address_t remote_address;
} wasixnet_incoming_datagram_t;
WASIXNET_STATIC_ASSERT(sizeof(wasixnet_incoming_datagram_t) == 3 * sizeof(void *) + 36 + (sizeof(void *) == 8 ? 4 : 0),
                       "incoming_datagram size");
WASIXNET_STATIC_ASSERT(WASIXNET_ALIGNOF(wasixnet_incoming_datagram_t) == sizeof(void *), "incoming_datagram align");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_incoming_datagram_t, data) == 0, "incoming_datagram.data");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_incoming_datagram_t, capacity) == sizeof(void *), "incoming_datagram.capacity");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_incoming_datagram_t, len) == 2 * sizeof(void *), "incoming_datagram.len");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_incoming_datagram_t, truncated) == 3 * sizeof(void *),
                       "incoming_datagram.truncated");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_incoming_datagram_t, remote_address) == 3 * sizeof(void *) + 4,
                       "incoming_datagram.remote_address");

/* `receive`: receives up to `max_results` datagrams (at most WASIXNET_UDP_MAX_PERMITS a call)
 * into out[0 .. *received) with one recvmmsg. Never blocks and never answers WOULD_BLOCK: with
 * nothing queued it is OK with 0. When streaming to a peer, datagrams from others are dropped,
 * those queued before stream included. Zero-length datagrams are datagrams. INVALID_STATE before
 * stream; errors of the kernel mapped as for send, when nothing was received. `out` may be NULL
 * only with max_results 0; `received` is required. */
wasixnet_sock_status_t wasixnet_udp_receive(wasixnet_udp_socket_t *socket, wasixnet_incoming_datagram_t *out,
                                            size_t max_results, size_t *received);

/* `send` as a component runtime lifts it: `list_ptr` and `list_len` are a canonical-ABI
 * list<outgoing-datagram> in the guest's memory, elements of WASIXNET_GUEST_OUTGOING_DATAGRAM_SIZE
 * bytes: data pointer u32 @0, data length u32 @4, option tag u8 @8, ip-socket-address @12 (the
 * layout of wasixnet_ip_socket_address_t). The whole list is lifted before anything else: the list
 * or a datagram's bytes outside [0, memory_size), or an option or address tag other than 0 or 1,
 * is WASIXNET_SOCK_TRAP with nothing sent. Then the rules of wasixnet_udp_send apply. Only
 * guest->pointer_size 4 is defined (8: NOT_SUPPORTED; others, a NULL guest or a NULL memory with a
 * non-zero size: INVALID_ARGUMENT); guest->layout is not used. */
#define WASIXNET_GUEST_OUTGOING_DATAGRAM_SIZE 44u
wasixnet_sock_status_t wasixnet_guest_udp_send(wasixnet_udp_socket_t *socket, const wasixnet_guest_t *guest,
                                               uint64_t list_ptr, uint64_t list_len, uint64_t *sent);

/* ---------------------------------------------------------------------------------------------
 * Runtime integration: one table of imports to register in one loop
 * ------------------------------------------------------------------------------------------- */

/* An import's host function: `args` holds the wasm arguments in order, each widened to 64 bits
 * (an i32 may be zero- or sign-extended: entries of wasix_32v1 use only its low 32 bits). The
 * entry's module decides the count-cell width (4 for wasix_32v1, 8 for wasix_64v1), whatever
 * guest->pointer_size says. The result is the import's i32 result. */
typedef wasixnet_errno_t (*wasixnet_host_fn)(wasixnet_port_t *port, const wasixnet_guest_t *guest,
                                             const uint64_t *args);

typedef struct wasixnet_import {
    const char *module;  /* "wasix_32v1" or "wasix_64v1" */
    const char *name;    /* "port_route_add" */
    const char *params;  /* wasm value types, one letter each: 'i' i32, 'I' i64 ("iiii", "IIII") */
    const char *results; /* "i" */
    wasixnet_host_fn call;
} wasixnet_import_t;
WASIXNET_STATIC_ASSERT(sizeof(wasixnet_import_t) == 5 * sizeof(void *), "import size");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_import_t, module) == 0, "import.module");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_import_t, name) == sizeof(void *), "import.name");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_import_t, params) == 2 * sizeof(void *), "import.params");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_import_t, results) == 3 * sizeof(void *), "import.results");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_import_t, call) == 4 * sizeof(void *), "import.call");

/* Returns the static table of imports and stores its length in *count (when count is not NULL):
 * today the 13 port calls for wasix_32v1 and then for wasix_64v1, 26 entries, each module's in
 * the order of the wasix_v1 witx (port_bridge ... port_mac, port_addr_list, ... port_route_list).
 * Later versions may add entries, so loop over *count and match entries by name. */
const wasixnet_import_t *wasixnet_imports(size_t *count);

/* ---------------------------------------------------------------------------------------------
 * Plugin table: every public function behind one dlsym("wasixnet_plugin_v1")
 * ------------------------------------------------------------------------------------------- */
typedef struct wasixnet_plugin_v1 {
    uint32_t abi_version; /* WASIXNET_ABI_VERSION */
    uint32_t struct_size; /* sizeof the table the library has; a newer library may append entries */
    uint32_t (*abi_version_fn)(void);
    const char *(*version)(void);
    const char *(*errno_name)(wasixnet_errno_t);
    const wasixnet_import_t *(*imports)(size_t *);
    wasixnet_errno_t (*port_new)(const wasixnet_port_config_t *, wasixnet_port_t **);
    void (*port_free)(wasixnet_port_t *);
    wasixnet_errno_t (*port_bridge)(wasixnet_port_t *, const char *, size_t, const char *, size_t, uint8_t);
    wasixnet_errno_t (*port_unbridge)(wasixnet_port_t *);
    wasixnet_errno_t (*port_dhcp_acquire)(wasixnet_port_t *);
    wasixnet_errno_t (*port_addr_add)(wasixnet_port_t *, const wasixnet_addr_cidr_t *);
    wasixnet_errno_t (*port_addr_remove)(wasixnet_port_t *, const wasixnet_addr_t *);
    wasixnet_errno_t (*port_addr_clear)(wasixnet_port_t *);
    wasixnet_errno_t (*port_addr_list)(wasixnet_port_t *, wasixnet_addr_cidr_t *, uint32_t *);
    wasixnet_errno_t (*port_mac)(wasixnet_port_t *, wasixnet_hardware_address_t *);
    wasixnet_errno_t (*port_gateway_set)(wasixnet_port_t *, const wasixnet_addr_t *);
    wasixnet_errno_t (*port_route_add)(wasixnet_port_t *, const wasixnet_addr_cidr_t *, const wasixnet_addr_t *,
                                       const wasixnet_option_timestamp_t *, const wasixnet_option_timestamp_t *);
    wasixnet_errno_t (*port_route_remove)(wasixnet_port_t *, const wasixnet_addr_t *);
    wasixnet_errno_t (*port_route_clear)(wasixnet_port_t *);
    wasixnet_errno_t (*port_route_list)(wasixnet_port_t *, wasixnet_route_t *, uint32_t *);
    wasixnet_errno_t (*port_route_lookup)(wasixnet_port_t *, const wasixnet_addr_t *, wasixnet_route_t *, uint8_t *);
    wasixnet_errno_t (*guest_port_bridge)(wasixnet_port_t *, const wasixnet_guest_t *, uint64_t, uint64_t, uint64_t,
                                          uint64_t, uint64_t);
    wasixnet_errno_t (*guest_port_unbridge)(wasixnet_port_t *, const wasixnet_guest_t *);
    wasixnet_errno_t (*guest_port_dhcp_acquire)(wasixnet_port_t *, const wasixnet_guest_t *);
    wasixnet_errno_t (*guest_port_addr_add)(wasixnet_port_t *, const wasixnet_guest_t *, uint64_t);
    wasixnet_errno_t (*guest_port_addr_remove)(wasixnet_port_t *, const wasixnet_guest_t *, uint64_t);
    wasixnet_errno_t (*guest_port_addr_clear)(wasixnet_port_t *, const wasixnet_guest_t *);
    wasixnet_errno_t (*guest_port_addr_list)(wasixnet_port_t *, const wasixnet_guest_t *, uint64_t, uint64_t);
    wasixnet_errno_t (*guest_port_mac)(wasixnet_port_t *, const wasixnet_guest_t *, uint64_t);
    wasixnet_errno_t (*guest_port_gateway_set)(wasixnet_port_t *, const wasixnet_guest_t *, uint64_t);
    wasixnet_errno_t (*guest_port_route_add)(wasixnet_port_t *, const wasixnet_guest_t *, uint64_t, uint64_t,
                                             uint64_t, uint64_t);
    wasixnet_errno_t (*guest_port_route_remove)(wasixnet_port_t *, const wasixnet_guest_t *, uint64_t);
    wasixnet_errno_t (*guest_port_route_clear)(wasixnet_port_t *, const wasixnet_guest_t *);
    wasixnet_errno_t (*guest_port_route_list)(wasixnet_port_t *, const wasixnet_guest_t *, uint64_t, uint64_t);
    /* wasi:sockets/udp, appended in the order of their declarations above */
    const char *(*sock_status_name)(wasixnet_sock_status_t);
    wasixnet_sock_status_t (*udp_create)(wasixnet_port_t *, uint8_t, wasixnet_udp_socket_t **);
    void (*udp_free)(wasixnet_udp_socket_t *);
    wasixnet_sock_status_t (*udp_start_bind)(wasixnet_udp_socket_t *, const wasixnet_ip_socket_address_t *);
    wasixnet_sock_status_t (*udp_finish_bind)(wasixnet_udp_socket_t *);
    wasixnet_sock_status_t (*udp_stream)(wasixnet_udp_socket_t *, const wasixnet_ip_socket_address_t *);
    wasixnet_sock_status_t (*udp_local_address)(wasixnet_udp_socket_t *, wasixnet_ip_socket_address_t *);
    wasixnet_sock_status_t (*udp_remote_address)(wasixnet_udp_socket_t *, wasixnet_ip_socket_address_t *);
    uint8_t (*udp_address_family)(wasixnet_udp_socket_t *);
    wasixnet_sock_status_t (*udp_unicast_hop_limit)(wasixnet_udp_socket_t *, uint8_t *);
    wasixnet_sock_status_t (*udp_set_unicast_hop_limit)(wasixnet_udp_socket_t *, uint8_t);
    wasixnet_sock_status_t (*udp_receive_buffer_size)(wasixnet_udp_socket_t *, uint64_t *);
    wasixnet_sock_status_t (*udp_set_receive_buffer_size)(wasixnet_udp_socket_t *, uint64_t);
    wasixnet_sock_status_t (*udp_send_buffer_size)(wasixnet_udp_socket_t *, uint64_t *);
    wasixnet_sock_status_t (*udp_set_send_buffer_size)(wasixnet_udp_socket_t *, uint64_t);
    int (*udp_fd)(wasixnet_udp_socket_t *);
    wasixnet_sock_status_t (*udp_check_send)(wasixnet_udp_socket_t *, uint64_t *);
    wasixnet_sock_status_t (*udp_send)(wasixnet_udp_socket_t *, const wasixnet_outgoing_datagram_t *, size_t, uint64_t *);
    wasixnet_sock_status_t (*udp_receive)(wasixnet_udp_socket_t *, wasixnet_incoming_datagram_t *, size_t, size_t *);
    wasixnet_sock_status_t (*guest_udp_send)(wasixnet_udp_socket_t *, const wasixnet_guest_t *, uint64_t, uint64_t,
                                             uint64_t *);
} wasixnet_plugin_v1_t;
WASIXNET_STATIC_ASSERT(sizeof(wasixnet_plugin_v1_t) == 8 + 53 * sizeof(void *), "plugin_v1 size");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_plugin_v1_t, abi_version) == 0, "plugin_v1.abi_version");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_plugin_v1_t, struct_size) == 4, "plugin_v1.struct_size");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_plugin_v1_t, abi_version_fn) == 8, "plugin_v1.abi_version_fn");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_plugin_v1_t, port_new) == 8 + 4 * sizeof(void *), "plugin_v1.port_new");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_plugin_v1_t, port_route_lookup) == 8 + 19 * sizeof(void *),
                       "plugin_v1.port_route_lookup");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_plugin_v1_t, guest_port_route_list) == 8 + 32 * sizeof(void *),
                       "plugin_v1.guest_port_route_list");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_plugin_v1_t, sock_status_name) == 8 + 33 * sizeof(void *),
                       "plugin_v1.sock_status_name");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_plugin_v1_t, udp_create) == 8 + 34 * sizeof(void *),
                       "plugin_v1.udp_create");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_plugin_v1_t, udp_free) == 8 + 35 * sizeof(void *),
                       "plugin_v1.udp_free");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_plugin_v1_t, udp_start_bind) == 8 + 36 * sizeof(void *),
                       "plugin_v1.udp_start_bind");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_plugin_v1_t, udp_finish_bind) == 8 + 37 * sizeof(void *),
                       "plugin_v1.udp_finish_bind");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_plugin_v1_t, udp_stream) == 8 + 38 * sizeof(void *),
                       "plugin_v1.udp_stream");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_plugin_v1_t, udp_local_address) == 8 + 39 * sizeof(void *),
                       "plugin_v1.udp_local_address");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_plugin_v1_t, udp_remote_address) == 8 + 40 * sizeof(void *),
                       "plugin_v1.udp_remote_address");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_plugin_v1_t, udp_address_family) == 8 + 41 * sizeof(void *),
                       "plugin_v1.udp_address_family");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_plugin_v1_t, udp_unicast_hop_limit) == 8 + 42 * sizeof(void *),
                       "plugin_v1.udp_unicast_hop_limit");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_plugin_v1_t, udp_set_unicast_hop_limit) == 8 + 43 * sizeof(void *),
                       "plugin_v1.udp_set_unicast_hop_limit");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_plugin_v1_t, udp_receive_buffer_size) == 8 + 44 * sizeof(void *),
                       "plugin_v1.udp_receive_buffer_size");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_plugin_v1_t, udp_set_receive_buffer_size) == 8 + 45 * sizeof(void *),
                       "plugin_v1.udp_set_receive_buffer_size");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_plugin_v1_t, udp_send_buffer_size) == 8 + 46 * sizeof(void *),
                       "plugin_v1.udp_send_buffer_size");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_plugin_v1_t, udp_set_send_buffer_size) == 8 + 47 * sizeof(void *),
                       "plugin_v1.udp_set_send_buffer_size");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_plugin_v1_t, udp_fd) == 8 + 48 * sizeof(void *),
                       "plugin_v1.udp_fd");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_plugin_v1_t, udp_check_send) == 8 + 49 * sizeof(void *),
                       "plugin_v1.udp_check_send");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_plugin_v1_t, udp_send) == 8 + 50 * sizeof(void *),
                       "plugin_v1.udp_send");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_plugin_v1_t, udp_receive) == 8 + 51 * sizeof(void *),
                       "plugin_v1.udp_receive");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_plugin_v1_t, guest_udp_send) == 8 + 52 * sizeof(void *),
                       "plugin_v1.guest_udp_send");

/* Returns the library's static plugin table. A host that dlopens the library checks
 * `abi_version == WASIXNET_ABI_VERSION` and `struct_size >= sizeof(wasixnet_plugin_v1_t)`. */
const wasixnet_plugin_v1_t *wasixnet_plugin_v1(void);

#ifdef __cplusplus
}
#endif

#endif /* WASIXNET_H */
