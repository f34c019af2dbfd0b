/// A port's routing table: explicit routes (with lifetimes, in insertion order, up to a limit)
/// and the on-link prefixes of the port's own addresses, answering longest-prefix lookups in
/// time that does not grow with the number of routes.
///
/// It enforces what a table must (a prefix is routed once; the limit) and leaves the guest-facing
/// rules to `Port`, which validates first. Time is given by the caller: `expireRoutes(at:)` drops
/// what is due, and every other method assumes it was called with the current instant.
public struct RouteTable {
    /// One stored entry: a route or an on-link prefix, packed (80 bytes) since large tables
    /// hold millions. Addresses are split in two UInt64 halves to keep the alignment at 8.
    private struct Entry {
        struct Flags: OptionSet {
            let rawValue: UInt8
            static let live = Flags(rawValue: 1)
            static let route = Flags(rawValue: 2)
            static let v6 = Flags(rawValue: 4)
            static let router = Flags(rawValue: 8)
            static let preferredUntil = Flags(rawValue: 16)
            static let expiresAt = Flags(rawValue: 32)
        }

        var destinationHigh: UInt64 = 0, destinationLow: UInt64 = 0
        var routerHigh: UInt64 = 0, routerLow: UInt64 = 0
        var preferredUntil: UInt64 = 0, expiresAt: UInt64 = 0
        var destinationFlowInfo: UInt32 = 0, destinationScopeID: UInt32 = 0
        var routerFlowInfo: UInt32 = 0, routerScopeID: UInt32 = 0
        /// Insertion-order links between routes (ids; 0 ends the list).
        var previous: UInt32 = 0, next: UInt32 = 0
        /// For an on-link prefix: how many own addresses lie in it.
        var references: UInt32 = 0
        var prefixLength: UInt8 = 0
        var flags: Flags = []

        init() {}

        init(_ route: Route, isRoute: Bool) {
            let destination = route.destination.address
            destinationHigh = UInt64(truncatingIfNeeded: destination.ip.bits >> 64)
            destinationLow = UInt64(truncatingIfNeeded: destination.ip.bits)
            destinationFlowInfo = destination.flowInfo
            destinationScopeID = destination.scopeID
            prefixLength = route.destination.prefixLength
            flags = [.live]
            if isRoute { flags.insert(.route) }
            if destination.ip.family == .v6 { flags.insert(.v6) }
            setRouter(route.router)
            setLifetimes(preferredUntil: route.preferredUntil, expiresAt: route.expiresAt)
        }

        mutating func setRouter(_ router: ScopedAddress?) {
            flags.remove(.router)
            (routerHigh, routerLow, routerFlowInfo, routerScopeID) = (0, 0, 0, 0)
            guard let router else { return }
            flags.insert(.router)
            routerHigh = UInt64(truncatingIfNeeded: router.ip.bits >> 64)
            routerLow = UInt64(truncatingIfNeeded: router.ip.bits)
            (routerFlowInfo, routerScopeID) = (router.flowInfo, router.scopeID)
        }

        mutating func setLifetimes(preferredUntil: UInt64?, expiresAt: UInt64?) {
            flags.subtract([.preferredUntil, .expiresAt])
            self.preferredUntil = preferredUntil ?? 0
            self.expiresAt = expiresAt ?? 0
            if preferredUntil != nil { flags.insert(.preferredUntil) }
            if expiresAt != nil { flags.insert(.expiresAt) }
        }

        var family: IPAddress.Family { flags.contains(.v6) ? .v6 : .v4 }

        var network: Network {
            Network(IPAddress(family: family, bits: UInt128(destinationHigh) << 64 | UInt128(destinationLow)),
                    prefixLength: prefixLength)
        }

        var hasLifetimes: Bool { !flags.isDisjoint(with: [.preferredUntil, .expiresAt]) }

        var route: Route {
            let family = self.family
            func address(_ high: UInt64, _ low: UInt64) -> IPAddress {
                IPAddress(family: family, bits: UInt128(high) << 64 | UInt128(low))
            }
            let destination = ScopedAddress(address(destinationHigh, destinationLow),
                                            flowInfo: destinationFlowInfo, scopeID: destinationScopeID)
            return Route(
                destination: CIDR(destination, prefixLength: prefixLength),
                router: flags.contains(.router)
                    ? ScopedAddress(address(routerHigh, routerLow), flowInfo: routerFlowInfo, scopeID: routerScopeID) : nil,
                preferredUntil: flags.contains(.preferredUntil) ? preferredUntil : nil,
                expiresAt: flags.contains(.expiresAt) ? expiresAt : nil)
        }
    }

    /// The most explicit routes the table holds at once (the gateway's default routes count).
    public let maxRoutes: Int
    private var entries = [Entry()]   // id 0 means "none"
    /// Per id: 0 for none, then 2 per prefix length, an explicit route one above an own prefix.
    private var ranks: [UInt16] = [0]
    private var freeIDs: [UInt32] = []
    private var v4 = FamilyTable<UInt32>()
    private var v6 = FamilyTable<UInt128>()
    private var firstRoute: UInt32 = 0, lastRoute: UInt32 = 0
    private var expiries = ExpiryQueue()

    public private(set) var routeCount = 0
    /// Live routes with a preferred_until or an expires_at: while 0, time does not matter.
    public private(set) var routesWithLifetimes = 0
    private var routesWithExpiry = 0

    public init(maxRoutes: Int) {
        self.maxRoutes = maxRoutes
    }

    /// The instant the next route expires, if any does.
    public var nextExpiry: UInt64? { expiries.earliest }

    // MARK: Queries

    /// The explicit route to exactly `network`, if there is one.
    public func route(to network: Network) -> Route? {
        routeID(for: network).map { entries[Int($0)].route }
    }

    /// The route a datagram to `address` takes: the longest matching prefix, explicit routes
    /// winning over own prefixes of the same length.
    public func longestMatch(for address: IPAddress) -> Route? {
        let id = address.family == .v4 ? v4.lookup(address) : v6.lookup(address)
        return id == 0 ? nil : entries[Int(id)].route
    }

    /// Whether any route or own prefix leads to `address` (the cheap form of `longestMatch`).
    public func hasRoute(to address: IPAddress) -> Bool {
        (address.family == .v4 ? v4.lookup(address) : v6.lookup(address)) != 0
    }

    /// Calls `body` with each route in insertion order until it returns false.
    public func forEachRoute(_ body: (Route) -> Bool) {
        var id = firstRoute
        while id != 0 {
            let entry = entries[Int(id)]
            guard body(entry.route) else { return }
            id = entry.next
        }
    }

    public var routes: [Route] {
        var all: [Route] = []
        forEachRoute { all.append($0); return true }
        return all
    }

    /// Bytes of memory the table's own arrays hold (not counting the maps' hashing overhead).
    public var approximateBytes: Int {
        entries.capacity * MemoryLayout<Entry>.stride + ranks.capacity * 2 + freeIDs.capacity * 4
            + v4.trie.allocatedBytes + v6.trie.allocatedBytes + expiries.items.capacity * MemoryLayout<ExpiryQueue.Item>.stride
    }

    /// Trie nodes in use and slots allocated, both families (for tests of memory reuse).
    var trieNodes: Int { v4.trie.nodeCount + v6.trie.nodeCount }
    var trieEdges: Int { v4.trie.edgeCount + v6.trie.edgeCount }
    var trieSlots: Int { v4.trie.slotCount + v6.trie.slotCount }

    // MARK: Routes

    /// Adds `route`, whose destination has no host bits. `.exist` if its prefix is routed
    /// already, `.nomem` when the table is full.
    public mutating func addRoute(_ route: Route) -> WasixErrno {
        let network = route.destination.network
        guard routeID(for: network) == nil else { return .exist }
        guard routeCount < maxRoutes else { return .nomem }
        let id = insert(Entry(route, isRoute: true), network: network, isRoute: true)
        link(id)
        routeCount += 1
        countLifetimes(of: entries[Int(id)], id: id, adding: true)
        return .success
    }

    /// Makes `router` the family's default route (0.0.0.0/0 or ::/0) with no lifetimes: the
    /// existing default route, if any, keeps its place in the order; else one is appended.
    public mutating func setDefaultRoute(via router: ScopedAddress) -> WasixErrno {
        let network = Network(IPAddress(family: router.ip.family, bits: 0), prefixLength: 0)
        guard let id = routeID(for: network) else {
            return addRoute(Route(destination: CIDR(ScopedAddress(network.address), prefixLength: 0), router: router))
        }
        countLifetimes(of: entries[Int(id)], id: id, adding: false)
        entries[Int(id)].setRouter(router)
        entries[Int(id)].setLifetimes(preferredUntil: nil, expiresAt: nil)
        return .success
    }

    /// Removes every route whose destination address is `address`, whatever its prefix length;
    /// returns how many went.
    public mutating func removeRoutes(to address: IPAddress) -> Int {
        var removed = 0
        for length in 0...address.family.width {
            let network = Network(address, prefixLength: UInt8(length))
            guard network.address == address, let id = routeID(for: network) else { continue }
            removeRoute(id)
            removed += 1
        }
        return removed
    }

    /// Removes every route, keeping the own prefixes: the table is rebuilt from those rather
    /// than emptied route by route.
    public mutating func removeAllRoutes() {
        let onLink = entries.filter { $0.flags.contains(.live) && !$0.flags.contains(.route) }
        self = RouteTable(maxRoutes: maxRoutes)
        for entry in onLink {
            let id = insert(entry, network: entry.network, isRoute: false)
            entries[Int(id)].references = entry.references
        }
    }

    /// Removes the routes that are gone at `now` (expires_at <= now).
    public mutating func expireRoutes(at now: UInt64) {
        while let item = expiries.popDue(at: now) {
            let entry = entries[Int(item.id)]
            if entry.flags.isSuperset(of: [.live, .route, .expiresAt]) && entry.expiresAt == item.instant {
                removeRoute(item.id)
            }
        }
    }

    // MARK: Own prefixes

    /// Makes `network` on-link (once per own address in it: it stays until each is removed).
    public mutating func addOnLink(_ network: Network) {
        if let id = onLinkID(for: network) {
            entries[Int(id)].references += 1
            return
        }
        var entry = Entry(Route(destination: CIDR(ScopedAddress(network.address), prefixLength: network.prefixLength)),
                          isRoute: false)
        entry.references = 1
        _ = insert(entry, network: network, isRoute: false)
    }

    public mutating func removeOnLink(_ network: Network) {
        guard let id = onLinkID(for: network) else { return }
        entries[Int(id)].references -= 1
        if entries[Int(id)].references == 0 { remove(id, network: network, isRoute: false) }
    }

    // MARK: Storage

    private func routeID(for network: Network) -> UInt32? {
        network.address.family == .v4 ? v4.route(network) : v6.route(network)
    }

    private func onLinkID(for network: Network) -> UInt32? {
        network.address.family == .v4 ? v4.onLinkEntry(network) : v6.onLinkEntry(network)
    }

    private mutating func insert(_ entry: Entry, network: Network, isRoute: Bool) -> UInt32 {
        let rank = UInt16(network.prefixLength) * 2 + (isRoute ? 2 : 1)
        let id: UInt32
        if let reused = freeIDs.popLast() {
            id = reused
            entries[Int(id)] = entry
            ranks[Int(id)] = rank
        } else {
            id = UInt32(entries.count)
            entries.append(entry)
            ranks.append(rank)
        }
        if network.address.family == .v4 {
            v4.insert(network, id: id, isRoute: isRoute, ranks: ranks)
        } else {
            v6.insert(network, id: id, isRoute: isRoute, ranks: ranks)
        }
        return id
    }

    private mutating func remove(_ id: UInt32, network: Network, isRoute: Bool) {
        if network.address.family == .v4 {
            v4.remove(network, id: id, isRoute: isRoute)
        } else {
            v6.remove(network, id: id, isRoute: isRoute)
        }
        entries[Int(id)] = Entry()
        ranks[Int(id)] = 0
        freeIDs.append(id)
    }

    private mutating func removeRoute(_ id: UInt32) {
        let entry = entries[Int(id)]
        countLifetimes(of: entry, id: id, adding: false)
        unlink(id)
        routeCount -= 1
        remove(id, network: entry.network, isRoute: true)
        compactExpiriesIfStale()
    }

    private mutating func link(_ id: UInt32) {
        entries[Int(id)].previous = lastRoute
        if lastRoute != 0 { entries[Int(lastRoute)].next = id } else { firstRoute = id }
        lastRoute = id
    }

    private mutating func unlink(_ id: UInt32) {
        let (previous, next) = (entries[Int(id)].previous, entries[Int(id)].next)
        if previous != 0 { entries[Int(previous)].next = next } else { firstRoute = next }
        if next != 0 { entries[Int(next)].previous = previous } else { lastRoute = previous }
    }

    private mutating func countLifetimes(of entry: Entry, id: UInt32, adding: Bool) {
        let delta = adding ? 1 : -1
        if entry.hasLifetimes { routesWithLifetimes += delta }
        if entry.flags.contains(.expiresAt) {
            routesWithExpiry += delta
            if adding { expiries.push(.init(instant: entry.expiresAt, id: id)) }
        }
    }

    /// Routes removed before they expired leave their queue items behind; once those outnumber
    /// the live ones, rebuild the queue so churn cannot grow it without bound.
    private mutating func compactExpiriesIfStale() {
        guard expiries.count > 2 * routesWithExpiry + 64 else { return }
        var live: [ExpiryQueue.Item] = []
        live.reserveCapacity(routesWithExpiry)
        forEachID { id, entry in
            if entry.flags.contains(.expiresAt) { live.append(.init(instant: entry.expiresAt, id: id)) }
        }
        expiries.rebuild(keeping: live)
    }

    private func forEachID(_ body: (UInt32, Entry) -> Void) {
        var id = firstRoute
        while id != 0 {
            body(id, entries[Int(id)])
            id = entries[Int(id)].next
        }
    }
}
