/// A port's routing table in the form that serves its size: `CompactRouteTable` (a short array)
/// while it holds at most `compactLimit` entries, `RouteTable` (the trie) past that, and back to
/// the short array once it shrinks to `compactLimit / 2` (the gap keeps a table that hovers at the
/// limit from rebuilding on every change). Both forms give the same answers; the move between
/// them keeps the insertion order, lifetimes and scopes, so no reader can tell which form it read
/// (the fuzz target FuzzRouteTable checks both against one naive oracle, across the moves).
struct SizedRouteTable {
    /// Routes and own prefixes the short array holds before the trie takes over. Sixteen
    /// 56-byte entries are 14 cache lines: a full scan still costs about what the trie's
    /// dependent loads do.
    static let compactLimit = 16

    /// The large form, boxed: held inline, its 400-odd bytes of array headers and counters would
    /// sit in every small port too. The box is shared by copies of this value until one of them
    /// changes it (copy on write, as the arrays inside it do).
    private final class LargeForm {
        /// Reached through `unsafeAddress` so that a lookup borrows the table where it lies
        /// (see `PortSnapshot.routes`).
        private let storage: UnsafeMutablePointer<RouteTable>
        var table: RouteTable {
            unsafeAddress { UnsafePointer(storage) }
            unsafeMutableAddress { storage }
        }

        init(_ table: RouteTable) {
            storage = .allocate(capacity: 1)
            storage.initialize(to: table)
        }

        deinit {
            storage.deinitialize(count: 1)
            storage.deallocate()
        }
    }

    let maxRoutes: Int
    private var compact = CompactRouteTable()
    /// Non-nil: the table is in its large form, and `compact` is empty.
    private var largeForm: LargeForm?

    /// Runs `change` on the large form, copying it first if another value shares it.
    private mutating func changeLarge<Result>(_ change: (inout RouteTable) -> Result) -> Result {
        if !isKnownUniquelyReferenced(&largeForm) { largeForm = LargeForm(largeForm!.table) }
        return change(&largeForm!.table)
    }

    init(maxRoutes: Int) { self.maxRoutes = maxRoutes }

    var isCompact: Bool { largeForm == nil }
    var isEmpty: Bool { largeForm == nil && compact.entryCount == 0 }
    var routesWithLifetimes: Int { largeForm?.table.routesWithLifetimes ?? compact.routesWithLifetimes }
    var nextExpiry: UInt64? {
        if let largeForm { return largeForm.table.nextExpiry }
        return compact.earliestExpiry == .max ? nil : compact.earliestExpiry
    }

    // MARK: Reads (exact at `now`: nil when no route has a lifetime)

    @inline(__always)
    func longestMatch(for address: IPAddress, at now: UInt64?) -> Route? {
        if let largeForm { return largeForm.table.longestMatch(for: address, liveAt: now) }
        return compact.longestMatch(for: address, at: now)
    }

    @inline(__always)
    func reaches(_ address: IPAddress, at now: UInt64?) -> Bool {
        if let largeForm { return largeForm.table.longestMatch(for: address, liveAt: now) != nil }
        return compact.reaches(address, at: now)
    }

    /// Calls `body` with each live route in insertion order until it returns false; returns how
    /// many routes are live.
    func forEachRoute(liveAt now: UInt64?, _ body: (Route) -> Bool) -> Int {
        if let largeForm { return largeForm.table.forEachRoute(liveAt: now, body) }
        return compact.forEachRoute(liveAt: now, body)
    }

    // MARK: Changes

    mutating func addRoute(_ route: Route) -> WasixErrno {
        defer { settleForm() }
        if largeForm != nil { return changeLarge { $0.addRoute(route) } }
        return compact.addRoute(route, maxRoutes: maxRoutes)
    }

    mutating func setDefaultRoute(via router: ScopedAddress) -> WasixErrno {
        defer { settleForm() }
        if largeForm != nil { return changeLarge { $0.setDefaultRoute(via: router) } }
        return compact.setDefaultRoute(via: router, maxRoutes: maxRoutes)
    }

    mutating func removeRoutes(to address: IPAddress) -> Int {
        defer { settleForm() }
        if largeForm != nil { return changeLarge { $0.removeRoutes(to: address) } }
        return compact.removeRoutes(to: address)
    }

    mutating func removeAllRoutes() {
        defer { settleForm() }
        if largeForm != nil { changeLarge { $0.removeAllRoutes() } } else { compact.removeAllRoutes() }
    }

    mutating func expireRoutes(at now: UInt64) {
        guard let next = nextExpiry, next <= now else { return }
        defer { settleForm() }
        if largeForm != nil { changeLarge { $0.expireRoutes(at: now) } } else { compact.expireRoutes(at: now) }
    }

    mutating func addOnLink(_ network: Network) {
        defer { settleForm() }
        if largeForm != nil { changeLarge { $0.addOnLink(network) } } else { compact.addOnLink(network) }
    }

    mutating func removeOnLink(_ network: Network) {
        defer { settleForm() }
        if largeForm != nil { changeLarge { $0.removeOnLink(network) } } else { compact.removeOnLink(network) }
    }

    // MARK: The move between forms

    private mutating func settleForm() {
        if let table = largeForm?.table {
            guard table.entryCount <= Self.compactLimit / 2 else { return }
            var small = CompactRouteTable()
            for (network, references) in table.onLinkPrefixes { small.addOnLink(network, references: references) }
            table.forEachRoute { _ = small.addRoute($0, maxRoutes: .max); return true }
            (compact, largeForm) = (small, nil)
        } else if compact.entryCount > Self.compactLimit {
            var table = RouteTable(maxRoutes: maxRoutes)
            for (network, references) in compact.onLinkPrefixes { table.addOnLink(network, references: references) }
            for route in compact.routes { _ = table.addRoute(route) }
            (compact, largeForm) = (CompactRouteTable(), LargeForm(table))
        }
    }
}
