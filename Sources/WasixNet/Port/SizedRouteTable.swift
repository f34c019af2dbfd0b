import CWasixNetSystem

/// A port's routing table in the form that serves its size: `CompactRouteTable` (a short array)
/// while it holds at most `compactLimit` entries, `RouteTable` (the trie) past that, and back to
/// the short array once it shrinks to `compactLimit / 2` (the gap keeps a table that hovers at the
/// limit from rebuilding on every change). Both forms give the same answers; the move between
/// them keeps the insertion order, lifetimes and scopes, so no caller can tell which form it read
/// (the fuzz target FuzzRouteTable checks both against one naive oracle, across the moves).
///
/// The large form lives in its own allocation, owned by hand (`release()`): inline, its
/// RouteTable would make every port, even an empty one, a few hundred bytes larger (issue 11:
/// an empty port ≤ 256 B); and a class box would cost the lookups a retain and an exclusivity
/// check that a plain pointer does not.
struct SizedRouteTable {
    /// Routes and own prefixes the short array holds before the trie takes over: sixteen 56-byte
    /// entries, 14 cache lines (FreeBSD switches near 16 too).
    static let compactLimit = 16

    private var compact = CompactRouteTable()
    /// Non-nil: the table is in its large form, and `compact` is empty.
    private var large: UnsafeMutablePointer<RouteTable>?

    // (The route limit is not kept here but passed in by the owner, which has room for it: a
    // port's table sits in its lock's allocation, which it would push up a malloc size class.)
    init() {}

    /// Frees the large form, if any, at once: the owner calls this once, when it is done with the
    /// table and no reader can hold it.
    mutating func release() {
        guard let large else { return }
        large.move().retireAll { free($0) }
        large.deallocate()
        self.large = nil
    }

    var isCompact: Bool { large == nil }
    /// The short array, while the table is in that form: what a port publishes to its readers.
    var compactForm: CompactRouteTable? { large == nil ? compact : nil }
    /// The large form's read side, while the table is in that form (it publishes its own changes).
    var largeReader: RouteTable.Reader? { large?.pointee.reader }
    var routeCount: Int { large?.pointee.routeCount ?? compact.routeCount }
    var routesWithLifetimes: Int { large?.pointee.routesWithLifetimes ?? compact.routesWithLifetimes }
    var nextExpiry: UInt64? {
        if let large { return large.pointee.nextExpiry }
        return compact.earliestExpiry == .max ? nil : compact.earliestExpiry
    }

    // MARK: Queries

    /// The route a datagram to `address` takes (wasixnet.h [port.lookup]). Mutating so that the
    /// caller, holding the table inout under a lock, does not copy it to call a read.
    @inline(__always)
    mutating func longestMatchInPlace(for address: IPAddress) -> Route? {
        if let large { return large.pointee.longestMatchInPlace(for: address) }
        return compact.longestMatchInPlace(for: address)
    }

    /// Calls `body` with each route in insertion order until it returns false.
    func forEachRoute(_ body: (Route) -> Bool) {
        if let large { large.pointee.forEachRoute(body) } else { compact.forEachRoute(body) }
    }

    // MARK: Changes

    mutating func addRoute(_ route: Route, maxRoutes: Int) -> WasixErrno {
        defer { settleForm(maxRoutes: maxRoutes) }
        if let large { defer { handOverRetired() }; return large.pointee.addRoute(route) }
        return compact.addRoute(route, maxRoutes: maxRoutes)
    }

    mutating func setDefaultRoute(via router: ScopedAddress, maxRoutes: Int) -> WasixErrno {
        defer { settleForm(maxRoutes: maxRoutes) }
        if let large { defer { handOverRetired() }; return large.pointee.setDefaultRoute(via: router) }
        return compact.setDefaultRoute(via: router, maxRoutes: maxRoutes)
    }

    /// Removes every route to `address`; `beforeSeveral` runs first when a large table is about to
    /// lose more than one (the short array is replaced whole: nothing to announce).
    mutating func removeRoutes(to address: IPAddress, beforeSeveral: () -> Void = {}) -> Int {
        defer { settleForm() }
        if let large { defer { handOverRetired() }; return large.pointee.removeRoutes(to: address, beforeSeveral: beforeSeveral) }
        return compact.removeRoutes(to: address)
    }

    /// Removes every route. A large table is not emptied route by route where readers could watch
    /// it go: its own prefixes move into a new table (the short array, or a trie again if they are
    /// more than it holds), which the port publishes with one store (wasixnet.h [port.concurrency]),
    /// and the old one is retired whole.
    mutating func removeAllRoutes(maxRoutes: Int) {
        guard let large else { return compact.removeAllRoutes() }
        var small = CompactRouteTable()
        for (network, references) in large.pointee.onLinkPrefixes { small.addOnLink(network, references: references) }
        retireLarge()
        compact = small
        settleForm(maxRoutes: maxRoutes)
    }

    mutating func expireRoutes(at now: UInt64) {
        guard let next = nextExpiry, next <= now else { return }
        defer { settleForm() }
        if let large { large.pointee.expireRoutes(at: now); handOverRetired() } else { compact.expireRoutes(at: now) }
    }

    /// Makes `network` on-link; false when a large table has no record index left for it.
    mutating func addOnLink(_ network: Network, maxRoutes: Int) -> Bool {
        defer { settleForm(maxRoutes: maxRoutes) }
        guard let large else {
            compact.addOnLink(network)
            return true
        }
        defer { handOverRetired() }
        return large.pointee.addOnLink(network)
    }

    mutating func removeOnLink(_ network: Network) {
        defer { settleForm() }
        if let large { large.pointee.removeOnLink(network); handOverRetired() } else { compact.removeOnLink(network) }
    }

    /// Hands what the large form's last change unlinked to the retire queue, and lets it name
    /// again the record ids that no reader can hold any more.
    private mutating func handOverRetired() {
        guard let large else { return }
        large.pointee.takeRetired { ReadSection.retire(block: $0) }
        large.pointee.reuseIDsPastTheirWait()
    }

    // MARK: The move between forms

    /// Moves to the form the table's size calls for (`maxRoutes`: the limit a new trie enforces;
    /// nil after a change that can only shrink the table).
    private mutating func settleForm(maxRoutes: Int? = nil) {
        if let large {
            guard large.pointee.entryCount <= Self.compactLimit / 2 else { return }
            var small = CompactRouteTable()
            for (network, references) in large.pointee.onLinkPrefixes { small.addOnLink(network, references: references) }
            large.pointee.forEachRoute { _ = small.addRoute($0, maxRoutes: .max); return true }
            retireLarge()
            compact = small
        } else if let maxRoutes, compact.entryCount > Self.compactLimit {
            var table = RouteTable(maxRoutes: maxRoutes)
            // A new table has every record index free: the short array's few entries all fit.
            for (network, references) in compact.onLinkPrefixes { _ = table.addOnLink(network, references: references) }
            for route in compact.routes { _ = table.addRoute(route) }
            table.freeRetiredNow()  // not published yet: nobody can hold what it let go
            let box = UnsafeMutablePointer<RouteTable>.allocate(capacity: 1)
            box.initialize(to: table)
            (compact, large) = (CompactRouteTable(), box)
        }
    }

    /// Drops the large form while readers may still walk its trie: every block of it goes through
    /// the retire queue.
    private mutating func retireLarge() {
        guard let large else { return }
        large.move().retireAll { ReadSection.retire(block: $0) }
        large.deallocate()
        self.large = nil
    }
}
