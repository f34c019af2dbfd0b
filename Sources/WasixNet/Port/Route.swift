/// A routing-table entry as a guest sees it: where it leads, through which router, and for how
/// long. Timestamps are absolute, on the port's clock.
public struct Route: Equatable, Sendable {
    /// The destination prefix, with the flow info and scope id the guest gave it.
    public var destination: CIDR
    /// The next hop; nil for an on-link route.
    public var router: ScopedAddress?
    /// From this instant on the route is deprecated: still used, but reported as such.
    public var preferredUntil: UInt64?
    /// From this instant on the route is gone.
    public var expiresAt: UInt64?

    public init(destination: CIDR, router: ScopedAddress? = nil, preferredUntil: UInt64? = nil, expiresAt: UInt64? = nil) {
        self.destination = destination
        self.router = router
        self.preferredUntil = preferredUntil
        self.expiresAt = expiresAt
    }

    public func isDeprecated(at now: UInt64) -> Bool {
        preferredUntil.map { now >= $0 } ?? false
    }

    var hasLifetimes: Bool { preferredUntil != nil || expiresAt != nil }
}
