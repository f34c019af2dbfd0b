/// A port's routing table in the form that serves its size: `CompactRouteTable` (a short array)
/// while it holds at most `compactLimit` entries, `RouteTable` (the trie) past that, and back to
/// the short array once it shrinks to `compactLimit / 2` (the gap keeps a table that hovers at the
/// limit from rebuilding on every change). Both forms give the same answers; the move between
/// them keeps the insertion order, lifetimes and scopes, so no reader can tell which form it read
/// (the fuzz target FuzzRouteTable checks both against one naive oracle, across the moves).
struct SizedRouteTable {
    /// Routes and own prefixes the short array holds before the trie takes over: sixteen 56-byte
    /// entries, 14 cache lines. A first choice (FreeBSD switches near 16 too), not a measured
    /// optimum.
    static let compactLimit = 16

    let maxRoutes: Int
    private var compact = CompactRouteTable()
    /// Non-nil: the table is in its large form, and `compact` is empty.
    private var large: RouteTable?

    init(maxRoutes: Int) { self.maxRoutes = maxRoutes }

    init(maxRoutes: Int, compact: CompactRouteTable, large: RouteTable?) {
        self.maxRoutes = maxRoutes
        self.compact = compact
        self.large = large
    }

    /// The short array, or nil in the large form (then `largeTable` is the table).
    var parts: CompactRouteTable? { large == nil ? compact : nil }
    var largeTable: RouteTable? { large }

    var isCompact: Bool { large == nil }
    var isEmpty: Bool { large == nil && compact.entryCount == 0 }
    var routesWithLifetimes: Int { large?.routesWithLifetimes ?? compact.routesWithLifetimes }
    var nextExpiry: UInt64? {
        if let large { return large.nextExpiry }
        return compact.earliestExpiry == .max ? nil : compact.earliestExpiry
    }

    // MARK: Changes

    mutating func addRoute(_ route: Route) -> WasixErrno {
        defer { settleForm() }
        if large != nil { return large!.addRoute(route) }
        return compact.addRoute(route, maxRoutes: maxRoutes)
    }

    mutating func setDefaultRoute(via router: ScopedAddress) -> WasixErrno {
        defer { settleForm() }
        if large != nil { return large!.setDefaultRoute(via: router) }
        return compact.setDefaultRoute(via: router, maxRoutes: maxRoutes)
    }

    mutating func removeRoutes(to address: IPAddress) -> Int {
        defer { settleForm() }
        if large != nil { return large!.removeRoutes(to: address) }
        return compact.removeRoutes(to: address)
    }

    mutating func removeAllRoutes() {
        defer { settleForm() }
        if large != nil { large!.removeAllRoutes() } else { compact.removeAllRoutes() }
    }

    mutating func expireRoutes(at now: UInt64) {
        guard let next = nextExpiry, next <= now else { return }
        defer { settleForm() }
        if large != nil { large!.expireRoutes(at: now) } else { compact.expireRoutes(at: now) }
    }

    mutating func addOnLink(_ network: Network) {
        defer { settleForm() }
        if large != nil { large!.addOnLink(network) } else { compact.addOnLink(network) }
    }

    mutating func removeOnLink(_ network: Network) {
        defer { settleForm() }
        if large != nil { large!.removeOnLink(network) } else { compact.removeOnLink(network) }
    }

    // MARK: The move between forms

    private mutating func settleForm() {
        if let entryCount = large?.entryCount {
            // (Only the count is read: binding the table itself would copy it on every change.)
            guard entryCount <= Self.compactLimit / 2, let table = large else { return }
            var small = CompactRouteTable()
            for (network, references) in table.onLinkPrefixes { small.addOnLink(network, references: references) }
            table.forEachRoute { _ = small.addRoute($0, maxRoutes: .max); return true }
            (compact, large) = (small, nil)
        } else if compact.entryCount > Self.compactLimit {
            var table = RouteTable(maxRoutes: maxRoutes)
            for (network, references) in compact.onLinkPrefixes { table.addOnLink(network, references: references) }
            for route in compact.routes { _ = table.addRoute(route) }
            (compact, large) = (CompactRouteTable(), table)
        }
    }
}
