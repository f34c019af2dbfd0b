/// Where each field of the WASIX structs sits in memory, for one flavor of layout: data, read by
/// `WireCodec`. Offsets common to both flavors (tags at 0, the union at 2, the IPv4 prefix at 6,
/// option timestamps of 16 bytes with the value at 8) are constants of the codec.
struct WireLayout {
    /// Size of an addr (`__wasi_addr_t`).
    let addressSize: Int
    /// Size of a CIDR (`__wasi_addr_cidr_t`): the stride of addr_list.
    let cidrSize: Int
    /// Size of a route (`__wasi_route_t`): the stride of route_list.
    let routeSize: Int
    let cidrIPv6PrefixOffset: Int
    let routeRouterOffset: Int
    let routePreferredUntilOffset: Int
    let routeExpiresAtOffset: Int
    /// IPv6 flow info and scope id follow the 16 octets (as two pairs of 16-bit halves).
    let hasIPv6Scope: Bool
    /// IPv6 addresses read from the guest are eight little-endian 16-bit groups, not network-order
    /// octets (Wasmer's `read_ip`); they are always written as network-order octets.
    let readsIPv6AsGroups: Bool

    // Both computed rather than stored: a stored static is a lazily initialised global, checked on
    // every use; these are constants the optimizer folds into each call.

    /// wasix-libc's layout, from the `wasix_v1` witx (and the host-typed structs of wasixnet.h).
    static var wasixV1: WireLayout { WireLayout(
        addressSize: 110, cidrSize: 28, routeSize: 176, cidrIPv6PrefixOffset: 26,
        routeRouterOffset: 28, routePreferredUntilOffset: 144, routeExpiresAtOffset: 160,
        hasIPv6Scope: true, readsIPv6AsGroups: false) }

    /// What Wasmer's host reads and writes (its Rust `__wasi_addr_t`, `__wasi_cidr_t`, `Route`).
    static var wasmer: WireLayout { WireLayout(
        addressSize: 18, cidrSize: 19, routeSize: 72, cidrIPv6PrefixOffset: 18,
        routeRouterOffset: 19, routePreferredUntilOffset: 40, routeExpiresAtOffset: 56,
        hasIPv6Scope: false, readsIPv6AsGroups: true) }

    /// The layout named by `wasixnet_guest_t.layout`.
    init?(code: UInt8) {
        switch code {
        case 0: self = .wasixV1
        case 1: self = .wasmer
        default: return nil
        }
    }

    private init(addressSize: Int, cidrSize: Int, routeSize: Int, cidrIPv6PrefixOffset: Int, routeRouterOffset: Int,
                 routePreferredUntilOffset: Int, routeExpiresAtOffset: Int, hasIPv6Scope: Bool, readsIPv6AsGroups: Bool) {
        self.addressSize = addressSize
        self.cidrSize = cidrSize
        self.routeSize = routeSize
        self.cidrIPv6PrefixOffset = cidrIPv6PrefixOffset
        self.routeRouterOffset = routeRouterOffset
        self.routePreferredUntilOffset = routePreferredUntilOffset
        self.routeExpiresAtOffset = routeExpiresAtOffset
        self.hasIPv6Scope = hasIPv6Scope
        self.readsIPv6AsGroups = readsIPv6AsGroups
    }
}
