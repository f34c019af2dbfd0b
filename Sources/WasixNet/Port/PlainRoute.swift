/// A route as nearly every lookup finds it — no lifetimes, no IPv6 flow info or scope id — in the
/// few words that say it: what `Port.plainLookup` answers without building a `Route`.
///
/// Why it exists: a lookup through the C ABI (wasixnet_port_route_lookup, and the check of every
/// datagram an ENFORCE_ROUTES socket sends) spent more instructions assembling, moving and encoding
/// the 128-byte `Route` from the table's record than searching the table (callgrind, 1,000 IPv4
/// routes: about 250 of 610 per found route, issue 11). The rare route with more to say is
/// answered by `Port.lookup`, which builds the whole `Route`.
public struct PlainRoute: Equatable, Sendable {
    public let family: IPAddress.Family
    public let prefixLength: UInt8
    public let hasRouter: Bool
    /// The destination network's bits, as in `IPAddress.bits` (host bits clear).
    public let destination: UInt128
    /// The router's bits; 0 without a router.
    public let router: UInt128

    @inline(__always)
    init(family: IPAddress.Family, prefixLength: UInt8, destination: UInt128, router: UInt128?) {
        self.family = family
        self.prefixLength = prefixLength
        self.hasRouter = router != nil
        self.destination = destination
        self.router = router ?? 0
    }

    /// The same route as `Port.lookup` gives it.
    public var route: Route {
        Route(destination: CIDR(ScopedAddress(IPAddress(family: family, bits: destination)), prefixLength: prefixLength),
              router: hasRouter ? ScopedAddress(IPAddress(family: family, bits: router)) : nil)
    }
}

/// What `Port.plainLookup` found.
public enum PlainLookup: Equatable, Sendable {
    /// No route or own prefix covers the address (wasixnet.h: ENETUNREACH).
    case unreachable
    /// The best match, which has nothing beyond a `PlainRoute` to say: no lifetime (so it is live
    /// and not deprecated), no flow info or scope id.
    case found(PlainRoute)
    /// The best match has lifetimes, flow infos or scope ids, or writes kept overlapping the
    /// lookup: `Port.lookup` answers.
    case needsFullAnswer
}
