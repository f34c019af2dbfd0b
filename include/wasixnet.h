/*
 * wasixnet.h — the whole public interface of libwasixnet, and its contract.
 *
 * wasixnet gives the guests of a WebAssembly runtime written in C or C++ two things: their own
 * network interface, as the 13 WASIX `port_*` imports (addresses, gateway, MAC and a routing
 * table with longest-prefix match and lifetimes), byte-exact with wasix-libc and optionally
 * with the layouts Wasmer's host uses; and `wasi:sockets/udp` (WASI 0.2) with batch send and
 * receive (sendmmsg with UDP GSO, recvmmsg).
 *
 * This header is the manual and the contract: every rule the library keeps is stated here. It is
 * divided into numbered sections, each with an anchor in brackets, such as [port.lists]. Code
 * comments and tests cite the anchors ("wasixnet.h [port.lists]"); an anchor never changes once
 * published, whatever the section's number becomes.
 *
 *   §1  Conventions ............................ [conventions]
 *   §2  Versions ............................... [versions]
 *   §3  WASIX error numbers and types .......... [types] [types.errno] [types.layouts]
 *   §4  The port ............................... [port] [port.new] [port.validation] [port.lists]
 *                                                [port.lifetimes] [port.lookup] [port.hooks]
 *                                                [port.concurrency] [port.memory] [port.calls]
 *   §5  Guest-memory calls ..................... [guest] [guest.bounds] [guest.layouts] [guest.calls]
 *   §6  wasi:sockets/udp ....................... [udp] [udp.status] [udp.address] [udp.states]
 *                                                [udp.options] [udp.send] [udp.errors]
 *                                                [udp.batching] [udp.receive] [udp.guest-send]
 *                                                [udp.guest-receive]
 *   §7  Runtime integration .................... [imports] [imports.args]
 *   §8  The function list and the plugin table . [functions] [plugin]
 *
 * §1 Conventions [conventions]
 *   - Every symbol is `wasixnet_*`, every type `wasixnet_*_t`, every macro `WASIXNET_*`; the
 *     library exports nothing else. It carries no language runtime: it needs only libc and libm,
 *     and neither a Swift toolchain nor a Swift library to link or run.
 *   - No function aborts the host process, whatever it is given. Bad input is answered with the
 *     error this header names for it, and changes nothing.
 *   - A NULL pointer where one is required is WASIXNET_EFAULT for the port calls (§4, §5) and
 *     WASIXNET_SOCK_E_INVALID_ARGUMENT for the socket calls (§6); pointers that may be NULL are
 *     marked nullable.
 *   - Every function may be called from any thread, and one port or socket from several threads
 *     at once (§4 [port.concurrency]).
 *   - The library owns nothing it is handed: pointers passed in are read (or written) during the
 *     call only. What the library makes (a port, a socket) is released with its own `_free`.
 *   - The library starts no threads and keeps no state outside the ports and sockets it made,
 *     but for what their writes replaced, until it is freed, and 128 bytes for each thread that
 *     has read a port, until that thread exits ([port.concurrency]). Once they are freed it can
 *     be unloaded (dlclose) and loaded again at no lasting cost; while a thread that read a port
 *     lives, dlclose leaves the library mapped, and it goes when the last such thread exits.
 *   - Every struct that crosses this interface has its size, alignment and every field offset
 *     pinned with static assertions: if this header compiles, the layout is the contract's.
 *   - Each list of numbers or names that code and text both state (error numbers, socket
 *     statuses, what kernel errors become, the functions) is written once here, as an X-macro,
 *     and everything else is derived from it.
 *
 * Plain C11 with no compiler extensions; usable from C++ (the declarations are `extern "C"`).
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

/* =============================================================================================
 * §2 Versions [versions]
 * ========================================================================================== */

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

/* =============================================================================================
 * §3 WASIX error numbers and types [types]
 *
 * §3.1 Error numbers [types.errno]
 * `wasixnet_errno_t` is a WASIX error number: the numbering of the `wasix_v1` witx and of
 * wasix-libc's <errno.h>, 0..80. Every port call (§4, §5) returns one; WASIXNET_ESUCCESS (0)
 * means the call did what it says. WASIXNET_ERRNO_MAP(XX) is the one list of numbers and names,
 * XX(number, NAME); the constants WASIXNET_E<NAME> (WASIXNET_EINVAL is 28) and
 * wasixnet_errno_name() are generated from it.
 * ========================================================================================== */
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

/* WASIXNET_ESUCCESS, WASIXNET_E2BIG, ... WASIXNET_EPENDING, and WASIXNET_ERRNO_COUNT (81). */
#define WASIXNET_ERRNO_ENUMERATOR_(number, name) WASIXNET_E##name = (number),
enum { WASIXNET_ERRNO_MAP(WASIXNET_ERRNO_ENUMERATOR_) WASIXNET_ERRNO_COUNT };
#undef WASIXNET_ERRNO_ENUMERATOR_
WASIXNET_STATIC_ASSERT(WASIXNET_ERRNO_COUNT == 81, "WASIX numbers its errors 0..80");

/* Returns the upper-case WASIX name of an error number ("INVAL" for 28), or "UNKNOWN_ERRNO" for a
 * number outside 0..80. A static string, never freed. */
const char *wasixnet_errno_name(wasixnet_errno_t err);

/* §3.2 Layouts [types.layouts]
 * The WASIX structs, byte-exact with wasix-libc (the `wasix_v1` witx), all little-endian. The
 * host-typed calls (§4) take them in host memory; in guest memory the same bytes are read (§5),
 * or Wasmer's layouts when the guest asks for them (§5 [guest.layouts]). */

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

/* =============================================================================================
 * §4 The port [port]
 *
 * A port is one guest's network interface: its own addresses (each with its prefix, which is
 * on-link), its MAC, and its routing table, with the embedder's clock and hooks. The host-typed
 * calls (§4.9) take the structs of §3.2 in host memory; the guest-memory calls (§5) read and
 * write the same structs in a guest's linear memory and then do exactly what these do.
 *
 * §4.1 Making and freeing a port [port.new]: wasixnet_port_new and wasixnet_port_free, below.
 *
 * §4.2 Validation [port.validation]
 * Every call checks its input completely before it changes anything, and the first rule that
 * fails decides the error; a failed call changes nothing. A required pointer that is NULL is
 * EFAULT before anything else. Then, for the calls that take them:
 *   1. a family tag other than inet4/inet6 where an IP address is needed: EINVAL;
 *   2. a CIDR prefix over 32 (IPv4) or 128 (IPv6): EINVAL;
 *   3. route_add: host bits set beyond the prefix (10.1.2.3/24): EINVAL, as Linux answers
 *      "invalid prefix for given prefix length";
 *   4. route_add: via_router neither tag unspec (an on-link route, no gateway) nor the CIDR's
 *      family: EINVAL; a router that is unspecified (0.0.0.0, ::), multicast, or the broadcast
 *      address 255.255.255.255: EINVAL (gateway_set likewise);
 *   5. an option tag other than 0 (none) or 1 (some): EINVAL;
 *   6. preferred_until > expires_at, both some: EINVAL;
 *   7. expires_at <= now: EINVAL;
 *   8. a live route to the same CIDR: EEXIST; max_routes live routes already: ENOMEM.
 * addr_add allows host bits (10.0.0.5/24 is an address with its prefix); an unspecified or
 * multicast address is EINVAL, an address the port already has (whatever its prefix) EEXIST,
 * max_addrs addresses already ENOMEM. Removing what is not there is ENOENT.
 * Whatever max_routes says, one family of a port holds at most 16,777,215 routes and own
 * prefixes together (as many as IPv4 has /24 networks; a full internet table is about a
 * million), the entries just removed counted until readers have moved past them: a route_add,
 * gateway_set or addr_add that would need one more is ENOMEM ([port.memory] says why).
 *
 * §4.3 Lists [port.lists]
 * addr_list and route_list follow one protocol. On entry the count cell (*naddrs, *nroutes)
 * holds the capacity of the array; on return it holds the number of entries the port has,
 * always, unless the call fails with EFAULT. When that number exceeds the capacity, the first
 * `capacity` entries are written and the call returns EOVERFLOW (the witx's "fills the output
 * buffer as much as possible"); else all are written and it returns ESUCCESS. Entries come in
 * the order they were added. A written entry echoes what was added, IPv6 flow info and scope id
 * included; bytes with no meaning (an on-link route's router, a `none` timestamp's value,
 * padding) are zero.
 *
 * §4.4 Lifetimes [port.lifetimes]
 * Timestamps are absolute, on the port's clock (§4.6). A route is deprecated from the instant
 * `now >= preferred_until`: still used and listed, and route_lookup says so. It is gone from the
 * instant `now >= expires_at`: not listed, not used, not counted toward max_routes, its CIDR free
 * to be added again. The gateway's default route has no lifetimes. gateway_set installs the
 * default route (0.0.0.0/0 or ::/0) of the router's family, replacing that family's previous
 * default route (one added with route_add included) in its place in the list order; it counts
 * toward max_routes.
 *
 * §4.5 Lookup [port.lookup]
 * The route a datagram to an address takes is the longest prefix that matches it among the live
 * routes and the prefixes of the port's own addresses; at equal length an explicit route wins
 * over an own prefix. An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is an IPv6 address here. The
 * cost of a lookup does not grow linearly with the number of routes.
 *
 * §4.6 The clock and the hooks [port.hooks]
 * The port's clock (the config's, or CLOCK_REALTIME in nanoseconds) decides every lifetime.
 * bridge, unbridge and dhcp_acquire call the embedder's hooks and answer ENOTSUP without one;
 * bridge first checks that its strings are valid UTF-8 and `security` is a non-empty set of the
 * WASIXNET_STREAM_SECURITY_* flags (EINVAL otherwise, with or without a hook). A hook's error
 * number reaches the caller unchanged. The clock and the hooks are called with no lock held, from
 * the thread that made the call, so a hook may call back into the port (a DHCP hook adds the
 * addresses it acquired with wasixnet_port_addr_add).
 *
 * §4.7 Concurrency [port.concurrency]
 * Every call may come from any thread, and one port may be used from several at once. Each call
 * sees the table as it was before or after every other call: a change is atomic to every reader,
 * and every call that starts after a change's call has returned sees it.
 *   - Readers never wait for writers. wasixnet_port_route_lookup, the route and address lists
 *     (host and guest forms) and the route check of an ENFORCE_ROUTES socket take no lock that a
 *     writer holds: a small table (at most 16 entries, [port.memory]) is published whole with
 *     one atomic store, a large one node by node, each change of one prefix with one atomic
 *     store; a list of a large table, or a lookup that overlaps a write of several prefixes at
 *     once (a removal of every length at one address, clearing the addresses, expiries falling
 *     due together), is taken again until no write ran through it, and under the lock only if
 *     writes keep coming (after 8 tries for a list, 256 or more for a lookup). The other
 *     exception is time: a lookup whose best route has reached its expires_at drops what is due
 *     first, as a write would ([port.lifetimes]), then looks again.
 *   - Writes (route and address adds and removes, clears, the gateway) take turns on one lock per
 *     port, held only for the table work itself: never while the clock or a hook runs, never
 *     across a system call, and never waiting for a reader. What a write replaced is freed once
 *     no read that could still see it is running, by a later write of any port or by a port's
 *     free; once the last port is freed the library holds nothing but its readers' counts.
 *   - A read counts itself in and out on a count of its own thread's (128 bytes, made at the
 *     thread's first read, freed when it exits), with no locked instruction: when the library is
 *     loaded it registers the process for membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED), and a
 *     write that checks for readers has the kernel run a memory barrier on the process's running
 *     threads if a thread other than its own has read a port (then every 64th write that
 *     replaced something checks; else every 8th, with no system call).
 *     Where the kernel refuses (before Linux 4.14, or a seccomp filter), reads use atomic
 *     read-modify-writes instead, with the same guarantees; if it refuses the barrier later,
 *     after accepting the registration, nothing written over is freed from then on (memory
 *     grows, nothing is freed early).
 *   - fork() may be called at any time, from any thread. The child, which has only the thread
 *     that forked, reads every port and frees what its writes replace, whatever the parent's
 *     other threads were doing at the fork; but a port that another thread was writing at that
 *     instant stays locked in the child, as any mutex would, so a child writes only ports that
 *     no other thread was writing, or ports of its own.
 *
 * §4.8 Memory [port.memory]
 * A port's memory follows its table. While its routes and own prefixes number at most 16 they
 * live in one short array; past 16 the port moves them into a bitmap trie (one byte of the
 * address a level, each node's prefixes and children packed behind bitmaps, about 30 bytes a
 * route with its record at a million IPv4 routes, an IPv4 router being stored once per table
 * however many routes go through it), and back into the array at 8. An empty port costs under
 * 256 bytes, a typical guest's port (an own IPv4 address, the gateway, three more IPv4 routes,
 * two IPv6 routes) under 1 KiB, both measured as resident memory per port with 20,000 live
 * ports (`make bench`); what routes and addresses held is returned when they go (after the
 * readers that could still see it, [port.concurrency]). The trie names each entry in 24 bits and
 * keeps beside it, in the other 8, what most lookups answer (no router, or one of the first 254
 * IPv4 routers), so that a lookup in a table bigger than the cache reads no more than the trie:
 * hence the 16,777,215 entries a family at most ([port.validation]).
 * ========================================================================================== */
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

/* §4.9 Host-typed calls [port.calls]
 * The 13 WASIX port calls on host structs of §3.2, and route_lookup. Every pointer is required
 * (NULL: EFAULT) unless marked nullable; validation as in [port.validation]. */

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
 * address; EEXIST: the address is already the port's (whatever its prefix); ENOMEM: max_addrs,
 * or its prefix is new and its family holds 16,777,215 entries ([port.validation]). */
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
 * ENOMEM: a new default route would exceed max_routes, or the family's 16,777,215 entries
 * ([port.validation]). */
wasixnet_errno_t wasixnet_port_gateway_set(wasixnet_port_t *port, const wasixnet_addr_t *addr);

/* Adds a route to `cidr` via `via_router` (tag UNSPEC: on-link, no gateway).
 * EINVAL, in this order: cidr not inet4/inet6; prefix over 32/128; host bits set beyond the
 * prefix (10.1.2.3/24); via_router neither UNSPEC nor the cidr's family; via_router unspecified,
 * multicast or 255.255.255.255; an option tag other than 0/1; preferred_until > expires_at;
 * expires_at <= now. Then EEXIST: a live route to the same CIDR; ENOMEM: max_routes live routes,
 * or the family's 16,777,215 entries ([port.validation]). */
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

/* =============================================================================================
 * §5 Guest-memory calls [guest]
 *
 * What a runtime's host-import callback calls directly: the 13 WASIX imports, taking the
 * import's own parameters as guest offsets and doing what the host-typed call of the same name
 * does (§4), on structs in the guest's linear memory described by a wasixnet_guest_t.
 *
 * §5.1 Layouts [guest.layouts]
 * WASIXNET_LAYOUT_WASIX_V1 (the default) reads and writes the structs of §3.2, as wasix-libc
 * lays them out. WASIXNET_LAYOUT_WASMER reads and writes what Wasmer's host does, for guests
 * that only ever ran there: addr 18 B, cidr 19 B (the IPv6 prefix @18), route 72 B (via_router
 * @19, preferred_until @40, expires_at @56); the IPv6 addresses of port_* inputs are read as
 * eight little-endian u16 groups and written as network-order bytes; there is no flow info or
 * scope id. Errors and the list protocol ([port.lists]) are the same in both layouts.
 * pointer_size 8 (wasix_64v1) widens the count cell of a list to 8 bytes, as Wasmer reads it.
 * ========================================================================================== */

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

/* §5.2 Bounds [guest.bounds]
 * Every struct a call reads or writes must lie whole inside [0, memory_size) at its layout's
 * full size (a cidr, an addr, a route, a 16-byte option timestamp, a count cell of pointer_size
 * bytes), and so must a list's whole declared buffer, capacity x stride bytes, however few
 * entries are then written. Otherwise the call returns EFAULT and writes nothing at all, the
 * count cell included. All bounds are checked before any other rule of [port.validation].
 * Offsets need no alignment; an offset + size that overflows 64 bits is EFAULT; guest offset 0
 * is an ordinary offset. Other errors: EFAULT for a NULL port or guest, or a NULL memory with a
 * non-zero size; EINVAL for a pointer_size other than 4 or 8, or an unknown layout.
 *
 * §5.3 The calls [guest.calls]
 * wasixnet_guest_port_<name>(port, guest, <the import's parameters as uint64_t, in its order>),
 * for each of the 13 imports: bridge (network, network_len, token, token_len, security),
 * unbridge, dhcp_acquire, addr_add (addr), addr_remove (addr), addr_clear, addr_list (addrs,
 * naddrs), mac (ret), gateway_set (addr), route_add (cidr, via_router, preferred_until,
 * expires_at), route_remove (cidr), route_clear, route_list (routes, nroutes). */
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

/* =============================================================================================
 * §6 wasi:sockets/udp (WASI 0.2) [udp]
 *
 * The calls of the WIT resources `udp-socket`, `incoming-datagram-stream` and
 * `outgoing-datagram-stream`, with the WIT's exact rules, carried out with one `sendmmsg` per
 * batch (runs of equal-sized datagrams to one peer coalesced with UDP GSO) and one `recvmmsg` per
 * receive (coalesced buffers split with UDP GRO). Component runtimes pass a guest's lists as they
 * lie in its memory: wasixnet_guest_udp_send lifts a list<outgoing-datagram>,
 * wasixnet_guest_udp_receive lowers a list<incoming-datagram> through the guest's realloc. A socket is one non-blocking kernel socket: the streams of the WIT are the socket
 * itself once `wasixnet_udp_stream` succeeded; each call of it starts fresh streams.
 *
 * §6.1 Statuses [udp.status]
 * Every call answers a wasixnet_sock_status_t: WASIXNET_SOCK_OK (0); WASIXNET_SOCK_TRAP (-1)
 * when the guest broke the protocol (the runtime must trap the guest: it is not an error code
 * the guest may see); or 1 + the discriminant of the wasi:sockets `error-code` the WIT call
 * returns. A NULL socket or a NULL required pointer is WASIXNET_SOCK_E_INVALID_ARGUMENT.
 * WASIXNET_SOCK_ERROR_MAP(XX) is the `error-code` enum in order, XX(status, NAME, "wit-name");
 * the constants WASIXNET_SOCK_E_<NAME> and wasixnet_sock_status_name() are generated from it.
 * ========================================================================================== */
typedef int32_t wasixnet_sock_status_t;

#define WASIXNET_SOCK_OK 0
#define WASIXNET_SOCK_TRAP (-1)

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

/* WASIXNET_SOCK_E_UNKNOWN (1) ... WASIXNET_SOCK_E_PERMANENT_RESOLVER_FAILURE (21). */
#define WASIXNET_SOCK_ERROR_ENUMERATOR_(status, name, text) WASIXNET_SOCK_E_##name = (status),
/* WASIXNET_SOCK_ERROR_COUNT: the number of error codes (statuses 1 .. it are errors). */
enum {
    WASIXNET_SOCK_ERROR_MAP(WASIXNET_SOCK_ERROR_ENUMERATOR_)
    WASIXNET_SOCK_ERROR_END_,
    WASIXNET_SOCK_ERROR_COUNT = WASIXNET_SOCK_ERROR_END_ - 1
};
#undef WASIXNET_SOCK_ERROR_ENUMERATOR_
WASIXNET_STATIC_ASSERT(WASIXNET_SOCK_ERROR_COUNT == 21, "wasi:sockets 0.2 has 21 error codes");

/* Returns the name of a status: "ok", "trap", or the WIT name of the error ("invalid-argument");
 * "unknown-status" for any other value. A static string, never freed. */
const char *wasixnet_sock_status_name(wasixnet_sock_status_t status);

/* §6.2 Addresses [udp.address]
 * Address family of a socket and tag of wasixnet_ip_socket_address_t (the WIT's discriminants). */
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

/* §6.3 Sockets and their states [udp.states]
 * A socket goes unbound -> bound (start_bind, then finish_bind) -> streaming (stream). A call in
 * the wrong state is INVALID_STATE (a second start_bind included); finish_bind with no
 * start_bind in progress is NOT_IN_PROGRESS. The bind happens in start_bind, which reports its
 * errors. check_send, send and receive before stream are INVALID_STATE. Each stream starts fresh
 * streams: the grant of check_send is reset to 0. IPv6 sockets are IPV6_V6ONLY.
 *
 * A UDP socket: one `udp-socket` with its current pair of datagram streams. */
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
 * address or port 0 (these change nothing); the kernel's errors of connect, as [udp.errors] maps them,
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

/* §6.4 Options [udp.options]
 * `unicast-hop-limit` / `set-unicast-hop-limit`: IP_TTL or IPV6_UNICAST_HOPS. Setting 0 is
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
 * datagram; receive also has datagrams while wasixnet_udp_pending() is above 0, with the
 * descriptor unreadable ([udp.receive]). Owned by the socket: do not close it or change its flags. -1 for a NULL socket. */
int wasixnet_udp_fd(wasixnet_udp_socket_t *socket);

/* §6.5 Send [udp.send]
 * `check-send`: never blocks and never answers WOULD_BLOCK. Grants WASIXNET_UDP_MAX_PERMITS
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
 *   - Once one datagram was sent the answer is OK with the count ("if at least one datagram has
 *     been sent successfully, this function never returns an error"); kernel errors after it are
 *     dropped. With none sent: EAGAIN (the send buffer is full) is OK with 0, EINTR is retried,
 *     and any other kernel error is answered as [udp.errors] maps it.
 *   - Batching and GSO as in [udp.batching]: the count reported is exact whatever the kernel did.
 * `sent` is required; it is written on OK only. */
wasixnet_sock_status_t wasixnet_udp_send(wasixnet_udp_socket_t *socket, const wasixnet_outgoing_datagram_t *datagrams,
                                         size_t count, uint64_t *sent);

/* §6.6 Kernel errors [udp.errors]
 * What a Linux errno becomes when a socket call fails in the kernel (bind, connect, sendmmsg with
 * nothing sent, recvmmsg with nothing received): XX(ERRNO, NAME) answers WASIXNET_SOCK_E_<NAME>;
 * an errno not listed answers WASIXNET_SOCK_E_UNKNOWN. This is the library's own table: the code
 * is generated from it. EAGAIN is listed for completeness, but send and receive never answer it
 * (nothing done is OK with 0 for them). ERRNO names the <errno.h> macro; EWOULDBLOCK is EAGAIN
 * and ENOTSUP is EOPNOTSUPP on Linux. */
#define WASIXNET_SOCK_ERRNO_MAP(XX) \
    XX(EAGAIN, WOULD_BLOCK) XX(EMSGSIZE, DATAGRAM_TOO_LARGE) XX(ECONNREFUSED, CONNECTION_REFUSED) \
    XX(ECONNRESET, REMOTE_UNREACHABLE) XX(EHOSTUNREACH, REMOTE_UNREACHABLE) XX(EHOSTDOWN, REMOTE_UNREACHABLE) \
    XX(ENETUNREACH, REMOTE_UNREACHABLE) XX(ENETDOWN, REMOTE_UNREACHABLE) XX(ENONET, REMOTE_UNREACHABLE) \
    XX(ENETRESET, REMOTE_UNREACHABLE) XX(ENOMEM, OUT_OF_MEMORY) XX(ENOBUFS, OUT_OF_MEMORY) \
    XX(EACCES, ACCESS_DENIED) XX(EPERM, ACCESS_DENIED) XX(EADDRINUSE, ADDRESS_IN_USE) \
    XX(EADDRNOTAVAIL, ADDRESS_NOT_BINDABLE) XX(EMFILE, NEW_SOCKET_LIMIT) XX(ENFILE, NEW_SOCKET_LIMIT) \
    XX(EINVAL, INVALID_ARGUMENT) XX(EISCONN, INVALID_ARGUMENT) XX(EDESTADDRREQ, INVALID_ARGUMENT) \
    XX(EAFNOSUPPORT, NOT_SUPPORTED) XX(EOPNOTSUPP, NOT_SUPPORTED) XX(EPROTONOSUPPORT, NOT_SUPPORTED) \
    XX(ENOPROTOOPT, NOT_SUPPORTED) XX(EPFNOSUPPORT, NOT_SUPPORTED) XX(ETIMEDOUT, TIMEOUT) \
    XX(EALREADY, CONCURRENCY_CONFLICT) XX(ECONNABORTED, CONNECTION_ABORTED)

/* §6.7 Batching and GSO [udp.batching]
 * A send goes out in one sendmmsg per up to WASIXNET_UDP_MAX_PERMITS datagrams. A run of
 * datagrams to one destination with equal sizes (the last may be shorter) goes as one UDP GSO
 * message (a UDP_SEGMENT control message) of at most WASIXNET_UDP_GSO_MAX_SEGMENTS segments and
 * WASIXNET_UDP_GSO_MAX_BYTES payload bytes; a run of one, and a zero-length datagram, go alone.
 * When the kernel refuses a coalesced message:
 *   - EIO or EINVAL (a device or kernel without GSO): the socket stops using GSO for good, and
 *     the datagrams not yet sent go again one by one;
 *   - EMSGSIZE (its segments exceed what the path takes): the socket stops coalescing segments
 *     of that size or larger, and those datagrams go again one by one, where a single one that
 *     is still too large meets the EMSGSIZE rule of [udp.errors].
 * Either way nothing is lost or sent twice, and the count reported is exact. */
#define WASIXNET_UDP_GSO_MAX_SEGMENTS 64u  /* Linux's UDP_MAX_SEGMENTS before 2024 (newer: 128) */
#define WASIXNET_UDP_GSO_MAX_BYTES 65000u  /* under the 65507 (IPv4) / 65527 (IPv6) datagram limit */

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

/* §6.8 Receive [udp.receive]
 * `receive`: receives up to `max_results` datagrams (at most WASIXNET_UDP_MAX_PERMITS a call)
 * into out[0 .. *received). Never blocks and never answers WOULD_BLOCK: with nothing queued it is
 * OK with 0. Each element is one datagram as its sender sent it: its own length, bytes, sender and
 * `truncated` flag. Where the kernel accepts UDP_GRO the socket reads coalesced buffers with
 * recvmmsg and splits each at its segment size (a shorter last segment is its own datagram);
 * where it refuses, or after a fault on that path, it reads one datagram per message, losing
 * nothing. Datagrams taken from the kernel that a call had no room for are held by the socket,
 * in order, and handed out first by the next receive (this one or wasixnet_guest_udp_receive);
 * none is lost or given twice; stream drops them, free frees them. When streaming to a peer,
 * datagrams from others are dropped, those queued before stream included. Zero-length datagrams
 * are datagrams. INVALID_STATE before stream; errors of the kernel as [udp.errors] maps them,
 * when nothing was received. `out` may be NULL only with max_results 0; `received` is required.
 *
 * Readiness: since held datagrams leave the descriptor unreadable, a runtime's `subscribe`
 * pollable for the incoming stream is ready when wasixnet_udp_pending() is above 0 or
 * wasixnet_udp_fd() is readable (POLLIN): check pending before waiting on the descriptor. The
 * outgoing stream's pollable is POLLOUT on the descriptor alone. */
wasixnet_sock_status_t wasixnet_udp_receive(wasixnet_udp_socket_t *socket, wasixnet_incoming_datagram_t *out,
                                            size_t max_results, size_t *received);

/* Datagrams the socket already took from the kernel and will hand out first (0 when none; 0 for
 * a NULL socket). Never blocks, never waits for a receive in progress. */
size_t wasixnet_udp_pending(wasixnet_udp_socket_t *socket);

/* §6.9 The guest form of send [udp.guest-send]
 * `send` as a component runtime lifts it: `list_ptr` and `list_len` are a canonical-ABI
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

/* §6.10 The guest form of receive [udp.guest-receive]
 * `receive` as a component runtime lowers it: `result<list<incoming-datagram>, error-code>` is
 * written into the guest's memory at `ret_ptr`, exactly as the canonical ABI stores it, in its
 * order, and only the bytes it stores (padding and the unused part of an address keep what the
 * guest had there):
 *   - The result: 12 bytes, align 4: discriminant u8 @0 (0 ok, 1 err); ok: list pointer u32 @4
 *     and length u32 @8; err: the error-code's discriminant u8 @4.
 *   - An element: WASIXNET_GUEST_INCOMING_DATAGRAM_SIZE (40) bytes, align 4: data pointer u32 @0,
 *     data length u32 @4, ip-socket-address @8 (tag u8 @8, the case's record @12 laid out as in
 *     wasixnet_ip_socket_address_t: ipv4 port @12, octets @14; ipv6 port @12, flow info @16,
 *     groups @20, scope id @36). No datagram is truncated.
 *   - As the canonical ABI's store_list does, `realloc` is called once for the element array
 *     (old_ptr 0, old_size 0, align 4, 40 x n bytes, also when n is 0) and then, element by
 *     element, once for each datagram's bytes (align 1, its length, also when 0). After every
 *     call the library reads guest->memory and guest->memory_size again: realloc may grow the
 *     memory, and must store its new base and size in *guest before it returns. It runs under
 *     the socket's receive lock: it must not receive from or free this socket.
 * The datagrams are those wasixnet_udp_receive would hand out (held ones first), read in place
 * from the socket's staging area: at most `max_results`, and at most what one read from the
 * kernel brought (the WIT allows fewer than max-results; call again for more). `max_results`
 * above WASIXNET_UDP_MAX_PERMITS is served as that; 0 is an empty list.
 * The status: OK when the result (ok or err) was written: the runtime has nothing more to do.
 * The socket's errors (INVALID_STATE before stream, the kernel's as [udp.errors] maps them) are
 * written as `err` with status OK. WASIXNET_SOCK_TRAP when the guest must be trapped: `ret_ptr`
 * out of bounds or not a multiple of 4 (checked before anything is received), a block from
 * realloc out of bounds (or ending above 4 GiB) or misaligned, or realloc answered UINT64_MAX;
 * the socket stays usable by the host (what was received for the trapped call is dropped with
 * it). guest->pointer_size 8: NOT_SUPPORTED, nothing written; other sizes, a NULL guest or
 * realloc, a NULL memory with a non-zero size: INVALID_ARGUMENT, nothing written; guest->layout
 * is not used. */
#define WASIXNET_GUEST_INCOMING_DATAGRAM_SIZE 40u
WASIXNET_STATIC_ASSERT(WASIXNET_GUEST_INCOMING_DATAGRAM_SIZE == 8 + sizeof(wasixnet_ip_socket_address_t) &&
                           WASIXNET_ALIGNOF(wasixnet_ip_socket_address_t) == 4,
                       "incoming-datagram: data pointer and length, then ip-socket-address at its 4-byte alignment");

/* The guest's `cabi_realloc`, called through the runtime: returns the guest offset of a block of
 * `new_size` bytes aligned to `align`, or UINT64_MAX when the guest could not allocate. It may
 * grow the guest's memory; before returning it stores the memory's current base and size in
 * *guest. */
typedef uint64_t (*wasixnet_guest_realloc_t)(void *ctx, wasixnet_guest_t *guest, uint64_t old_ptr, uint64_t old_size,
                                             uint64_t align, uint64_t new_size);

wasixnet_sock_status_t wasixnet_guest_udp_receive(wasixnet_udp_socket_t *socket, wasixnet_guest_t *guest,
                                                  uint64_t max_results, wasixnet_guest_realloc_t realloc,
                                                  void *realloc_ctx, uint64_t ret_ptr);

/* =============================================================================================
 * §7 Runtime integration [imports]
 *
 * One table of imports that a runtime registers with its engine in one loop: every WASIX port
 * import, with its wasm signature and a host function that takes the wasm arguments as an array
 * of 64-bit slots, so one adapter (or one trampoline) serves every entry.
 *
 * §7.1 Arguments [imports.args]
 * `args` holds the wasm arguments in order, one 64-bit slot each. For an i32 parameter (letter
 * 'i' in `params`) only the low 32 bits of its slot are read, whatever the high half holds: zero-
 * or sign-extended, or left stale as a raw-function runtime leaves it (wasm3 writes an i32 into
 * the low half of its slot and leaves the high half as it was). An i64 parameter ('I') is read
 * whole. The entry's module decides the count-cell width (4 for wasix_32v1, 8 for wasix_64v1),
 * whatever guest->pointer_size says. The result is the import's i32 result.
 * The functions outside the table take full 64-bit values: a runtime that calls, say,
 * wasixnet_guest_udp_send for a guest's i32 arguments must pass their low 32 bits itself.
 * ========================================================================================== */
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

/* =============================================================================================
 * §8 The function list and the plugin table [functions]
 *
 * WASIXNET_PLUGIN_FUNCTIONS(X) lists every public function after wasixnet_abi_version in the
 * order of the plugin table, as X(return type, name without `wasixnet_`, (parameter types)). It is
 * the one list that the tables follow: the plugin table's struct and its offset checks below, the
 * library's own table, the ABI test's rows and the export check of `make check-exports` are all
 * generated from it, and each declaration above is checked against its entry here (a function
 * declared with another type does not compile). Adding a function is one line at the end of
 * this list, with its declaration and documentation in its section.
 *
 * The order is binary interface: an entry is never moved or removed, and a new one is appended
 * at the end. The plugin table of WASIXNET_ABI_VERSION 1 was released ending with guest_udp_send
 * at slot 52; udp_pending (53) and guest_udp_receive (54) were appended after it.
 * ========================================================================================== */
#define WASIXNET_PLUGIN_FUNCTIONS(X) \
    X(const char *, version, (void)) \
    X(const char *, errno_name, (wasixnet_errno_t)) \
    X(const wasixnet_import_t *, imports, (size_t *)) \
    X(wasixnet_errno_t, port_new, (const wasixnet_port_config_t *, wasixnet_port_t **)) \
    X(void, port_free, (wasixnet_port_t *)) \
    X(wasixnet_errno_t, port_bridge, (wasixnet_port_t *, const char *, size_t, const char *, size_t, uint8_t)) \
    X(wasixnet_errno_t, port_unbridge, (wasixnet_port_t *)) \
    X(wasixnet_errno_t, port_dhcp_acquire, (wasixnet_port_t *)) \
    X(wasixnet_errno_t, port_addr_add, (wasixnet_port_t *, const wasixnet_addr_cidr_t *)) \
    X(wasixnet_errno_t, port_addr_remove, (wasixnet_port_t *, const wasixnet_addr_t *)) \
    X(wasixnet_errno_t, port_addr_clear, (wasixnet_port_t *)) \
    X(wasixnet_errno_t, port_addr_list, (wasixnet_port_t *, wasixnet_addr_cidr_t *, uint32_t *)) \
    X(wasixnet_errno_t, port_mac, (wasixnet_port_t *, wasixnet_hardware_address_t *)) \
    X(wasixnet_errno_t, port_gateway_set, (wasixnet_port_t *, const wasixnet_addr_t *)) \
    X(wasixnet_errno_t, port_route_add, (wasixnet_port_t *, const wasixnet_addr_cidr_t *, const wasixnet_addr_t *, const wasixnet_option_timestamp_t *, const wasixnet_option_timestamp_t *)) \
    X(wasixnet_errno_t, port_route_remove, (wasixnet_port_t *, const wasixnet_addr_t *)) \
    X(wasixnet_errno_t, port_route_clear, (wasixnet_port_t *)) \
    X(wasixnet_errno_t, port_route_list, (wasixnet_port_t *, wasixnet_route_t *, uint32_t *)) \
    X(wasixnet_errno_t, port_route_lookup, (wasixnet_port_t *, const wasixnet_addr_t *, wasixnet_route_t *, uint8_t *)) \
    X(wasixnet_errno_t, guest_port_bridge, (wasixnet_port_t *, const wasixnet_guest_t *, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t)) \
    X(wasixnet_errno_t, guest_port_unbridge, (wasixnet_port_t *, const wasixnet_guest_t *)) \
    X(wasixnet_errno_t, guest_port_dhcp_acquire, (wasixnet_port_t *, const wasixnet_guest_t *)) \
    X(wasixnet_errno_t, guest_port_addr_add, (wasixnet_port_t *, const wasixnet_guest_t *, uint64_t)) \
    X(wasixnet_errno_t, guest_port_addr_remove, (wasixnet_port_t *, const wasixnet_guest_t *, uint64_t)) \
    X(wasixnet_errno_t, guest_port_addr_clear, (wasixnet_port_t *, const wasixnet_guest_t *)) \
    X(wasixnet_errno_t, guest_port_addr_list, (wasixnet_port_t *, const wasixnet_guest_t *, uint64_t, uint64_t)) \
    X(wasixnet_errno_t, guest_port_mac, (wasixnet_port_t *, const wasixnet_guest_t *, uint64_t)) \
    X(wasixnet_errno_t, guest_port_gateway_set, (wasixnet_port_t *, const wasixnet_guest_t *, uint64_t)) \
    X(wasixnet_errno_t, guest_port_route_add, (wasixnet_port_t *, const wasixnet_guest_t *, uint64_t, uint64_t, uint64_t, uint64_t)) \
    X(wasixnet_errno_t, guest_port_route_remove, (wasixnet_port_t *, const wasixnet_guest_t *, uint64_t)) \
    X(wasixnet_errno_t, guest_port_route_clear, (wasixnet_port_t *, const wasixnet_guest_t *)) \
    X(wasixnet_errno_t, guest_port_route_list, (wasixnet_port_t *, const wasixnet_guest_t *, uint64_t, uint64_t)) \
    X(const char *, sock_status_name, (wasixnet_sock_status_t)) \
    X(wasixnet_sock_status_t, udp_create, (wasixnet_port_t *, uint8_t, wasixnet_udp_socket_t **)) \
    X(void, udp_free, (wasixnet_udp_socket_t *)) \
    X(wasixnet_sock_status_t, udp_start_bind, (wasixnet_udp_socket_t *, const wasixnet_ip_socket_address_t *)) \
    X(wasixnet_sock_status_t, udp_finish_bind, (wasixnet_udp_socket_t *)) \
    X(wasixnet_sock_status_t, udp_stream, (wasixnet_udp_socket_t *, const wasixnet_ip_socket_address_t *)) \
    X(wasixnet_sock_status_t, udp_local_address, (wasixnet_udp_socket_t *, wasixnet_ip_socket_address_t *)) \
    X(wasixnet_sock_status_t, udp_remote_address, (wasixnet_udp_socket_t *, wasixnet_ip_socket_address_t *)) \
    X(uint8_t, udp_address_family, (wasixnet_udp_socket_t *)) \
    X(wasixnet_sock_status_t, udp_unicast_hop_limit, (wasixnet_udp_socket_t *, uint8_t *)) \
    X(wasixnet_sock_status_t, udp_set_unicast_hop_limit, (wasixnet_udp_socket_t *, uint8_t)) \
    X(wasixnet_sock_status_t, udp_receive_buffer_size, (wasixnet_udp_socket_t *, uint64_t *)) \
    X(wasixnet_sock_status_t, udp_set_receive_buffer_size, (wasixnet_udp_socket_t *, uint64_t)) \
    X(wasixnet_sock_status_t, udp_send_buffer_size, (wasixnet_udp_socket_t *, uint64_t *)) \
    X(wasixnet_sock_status_t, udp_set_send_buffer_size, (wasixnet_udp_socket_t *, uint64_t)) \
    X(int, udp_fd, (wasixnet_udp_socket_t *)) \
    X(wasixnet_sock_status_t, udp_check_send, (wasixnet_udp_socket_t *, uint64_t *)) \
    X(wasixnet_sock_status_t, udp_send, (wasixnet_udp_socket_t *, const wasixnet_outgoing_datagram_t *, size_t, uint64_t *)) \
    X(wasixnet_sock_status_t, udp_receive, (wasixnet_udp_socket_t *, wasixnet_incoming_datagram_t *, size_t, size_t *)) \
    X(wasixnet_sock_status_t, guest_udp_send, (wasixnet_udp_socket_t *, const wasixnet_guest_t *, uint64_t, uint64_t, uint64_t *)) \
    X(size_t, udp_pending, (wasixnet_udp_socket_t *)) \
    X(wasixnet_sock_status_t, guest_udp_receive, (wasixnet_udp_socket_t *, wasixnet_guest_t *, uint64_t, wasixnet_guest_realloc_t, void *, uint64_t))

/* Every public function: wasixnet_abi_version, the table's functions, wasixnet_plugin_v1. */
#define WASIXNET_FUNCTIONS(X) \
    X(uint32_t, abi_version, (void)) WASIXNET_PLUGIN_FUNCTIONS(X) X(const struct wasixnet_plugin_v1 *, plugin_v1, (void))

#define WASIXNET_REDECLARE_(ret, name, params) ret wasixnet_##name params;
WASIXNET_PLUGIN_FUNCTIONS(WASIXNET_REDECLARE_)
#undef WASIXNET_REDECLARE_

/* §8.1 The plugin table [plugin]
 * Every public function behind one dlsym("wasixnet_plugin_v1"), for hosts that load the library
 * as a plugin. `abi_version` and `struct_size` come first; then a pointer to every function, in
 * the order of WASIXNET_PLUGIN_FUNCTIONS, each field named as the function without `wasixnet_`
 * (wasixnet_abi_version's is `abi_version_fn`, apart from the number). A newer library may
 * append entries: a host checks `abi_version == WASIXNET_ABI_VERSION` and
 * `struct_size >= sizeof(wasixnet_plugin_v1_t)` before it calls through the table. */
typedef struct wasixnet_plugin_v1 {
    uint32_t abi_version; /* WASIXNET_ABI_VERSION */
    uint32_t struct_size; /* sizeof the table the library has; a newer library may append entries */
    uint32_t (*abi_version_fn)(void);
#define WASIXNET_PLUGIN_FIELD_(ret, name, params) ret (*name) params;
    WASIXNET_PLUGIN_FUNCTIONS(WASIXNET_PLUGIN_FIELD_)
#undef WASIXNET_PLUGIN_FIELD_
} wasixnet_plugin_v1_t;

/* Each function's slot in the table (abi_version_fn is slot 0), and their number. */
#define WASIXNET_PLUGIN_SLOT_(ret, name, params) WASIXNET_PLUGIN_SLOT_##name##_,
enum { WASIXNET_PLUGIN_SLOT_abi_version_fn_, WASIXNET_PLUGIN_FUNCTIONS(WASIXNET_PLUGIN_SLOT_) WASIXNET_PLUGIN_V1_SLOTS };
#undef WASIXNET_PLUGIN_SLOT_
WASIXNET_STATIC_ASSERT(sizeof(wasixnet_plugin_v1_t) == 8 + WASIXNET_PLUGIN_V1_SLOTS * sizeof(void *), "plugin_v1 size");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_plugin_v1_t, abi_version) == 0, "plugin_v1.abi_version");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_plugin_v1_t, struct_size) == 4, "plugin_v1.struct_size");
WASIXNET_STATIC_ASSERT(offsetof(wasixnet_plugin_v1_t, abi_version_fn) == 8, "plugin_v1.abi_version_fn");
#define WASIXNET_PLUGIN_OFFSET_CHECK_(ret, name, params) \
    WASIXNET_STATIC_ASSERT(offsetof(wasixnet_plugin_v1_t, name) == 8 + WASIXNET_PLUGIN_SLOT_##name##_ * sizeof(void *), \
                           "plugin_v1." #name " sits at its slot, with no padding");
WASIXNET_PLUGIN_FUNCTIONS(WASIXNET_PLUGIN_OFFSET_CHECK_)
#undef WASIXNET_PLUGIN_OFFSET_CHECK_
/* The table of ABI 1 as released: nothing inserted or removed before its last entry. */
WASIXNET_STATIC_ASSERT(WASIXNET_PLUGIN_SLOT_guest_udp_send_ == 52, "ABI 1 plugin table: guest_udp_send at slot 52");
WASIXNET_STATIC_ASSERT(WASIXNET_PLUGIN_SLOT_udp_pending_ == 53 && WASIXNET_PLUGIN_SLOT_guest_udp_receive_ == 54,
                       "appended after the released table: udp_pending, guest_udp_receive");

/* Returns the library's static plugin table (§8.1 [plugin]). */
const wasixnet_plugin_v1_t *wasixnet_plugin_v1(void);

#ifdef __cplusplus
}
#endif

#endif /* WASIXNET_H */
