/// A port's routing table: explicit routes (with lifetimes, in insertion order, up to a limit)
/// and the on-link prefixes of the port's own addresses, answering longest-prefix lookups in
/// time that does not grow with the number of routes.
///
/// It enforces what a table must (a prefix is routed once; the limit) and leaves the guest-facing
/// rules to `Port`, which validates first. Time is given by the caller: `expireRoutes(at:)` drops
/// what is due, and every other method assumes it was called with the current instant.
///
/// Storage is per family (`FamilyTable`: 24 bytes an IPv4 entry, 48 an IPv6 one). What most
/// routes lack — lifetimes, IPv6 flow info and scope ids — is kept in maps beside them.
public struct RouteTable {
    /// Names an entry across both families: the family in bit 29, the family's index below.
    private struct EntryID: Hashable {
        static let v6Bit: UInt32 = 1 << 29
        let raw: UInt32
        init(raw: UInt32) { self.raw = raw }
        init(_ family: IPAddress.Family, _ index: UInt32) { raw = family == .v6 ? index | Self.v6Bit : index }
        var family: IPAddress.Family { raw & Self.v6Bit != 0 ? .v6 : .v4 }
        var index: UInt32 { raw & ~Self.v6Bit }
        static let none = EntryID(raw: 0)
    }

    private struct Lifetimes {
        var preferredUntil: UInt64?
        var expiresAt: UInt64?
    }

    private struct Scopes {
        var destination: (flowInfo: UInt32, scopeID: UInt32)
        var router: (flowInfo: UInt32, scopeID: UInt32)
    }

    /// The most explicit routes the table holds at once (the gateway's default routes count).
    public let maxRoutes: Int
    private var v4 = FamilyTable<UInt32>()
    private var v6 = FamilyTable<UInt128>()
    private var lifetimes: [EntryID: Lifetimes] = [:]
    private var scopes: [EntryID: Scopes] = [:]
    private var firstRoute = EntryID.none, lastRoute = EntryID.none
    private var expiries = ExpiryQueue()

    public private(set) var routeCount = 0
    /// Own prefixes held (each once, whatever its reference count).
    private(set) var onLinkCount = 0
    /// Routes and own prefixes: what decides the port's form (`SizedRouteTable`).
    var entryCount: Int { routeCount + onLinkCount }
    /// Live routes with a preferred_until or an expires_at: while 0, time does not matter.
    public var routesWithLifetimes: Int { lifetimes.count }
    private var routesWithExpiry = 0

    public init(maxRoutes: Int) {
        self.maxRoutes = maxRoutes
    }

    /// The instant the next route expires, if any does.
    public var nextExpiry: UInt64? { expiries.earliest }

    // MARK: Queries

    /// The explicit route to exactly `network`, if there is one.
    public func route(to network: Network) -> Route? {
        routeID(for: network).map(route(of:))
    }

    /// The route a datagram to `address` takes: the longest matching prefix, explicit routes
    /// winning over own prefixes of the same length.
    @inline(__always)
    public func longestMatch(for address: IPAddress) -> Route? {
        let id = matchID(for: address)
        return id == .none ? nil : route(of: id)
    }

    /// `longestMatch(for:)` on the table in place. The query paths call this form: the compiler
    /// copies the whole table to call a non-mutating method on it from inside a lock.
    public mutating func longestMatchInPlace(for address: IPAddress) -> Route? { longestMatch(for: address) }

    /// Whether any route or own prefix leads to `address`: the cheap form of `longestMatch`, in
    /// place for the same reason as `longestMatchInPlace`, for the per-datagram path.
    public mutating func reaches(_ address: IPAddress) -> Bool { matchID(for: address) != .none }

    /// The own prefixes with how many own addresses lie in each, for a move to the other form.
    var onLinkPrefixes: [(network: Network, references: UInt32)] {
        let ids = v4.liveIndices().map { EntryID(.v4, $0) } + v6.liveIndices().map { EntryID(.v6, $0) }
        return ids.filter { !isRoute($0) }.map { (network(of: $0), references(of: $0)) }
    }

    /// Calls `body` with each route in insertion order until it returns false.
    public func forEachRoute(_ body: (Route) -> Bool) {
        var id = firstRoute
        while id != .none {
            guard body(route(of: id)) else { return }
            id = EntryID(raw: next(of: id))
        }
    }

    public var routes: [Route] {
        var all: [Route] = []
        forEachRoute { all.append($0); return true }
        return all
    }

    /// Trie nodes and edges in use and slots allocated, both families (for tests of reuse).
    var trieNodes: Int { v4.trie.nodeCount + v6.trie.nodeCount }
    var trieEdges: Int { v4.trie.edgeCount + v6.trie.edgeCount }
    var trieSlots: Int { v4.trie.slotCount + v6.trie.slotCount }

    // MARK: Routes

    /// Adds `route`, whose destination has no host bits. `.exist` if its prefix is routed
    /// already, `.nomem` when the table is full.
    public mutating func addRoute(_ route: Route) -> WasixErrno {
        guard routeID(for: route.destination.network) == nil else { return .exist }
        guard routeCount < maxRoutes else { return .nomem }
        let id = insert(route, isRoute: true)
        link(id)
        routeCount += 1
        setLifetimes(of: id, preferredUntil: route.preferredUntil, expiresAt: route.expiresAt)
        return .success
    }

    /// Makes `router` the family's default route (0.0.0.0/0 or ::/0) with no lifetimes: the
    /// existing default route, if any, keeps its place in the order; else one is appended.
    public mutating func setDefaultRoute(via router: ScopedAddress) -> WasixErrno {
        let family = router.ip.family
        let network = Network(IPAddress(family: family, bits: 0), prefixLength: 0)
        guard let id = routeID(for: network) else {
            return addRoute(Route(destination: CIDR(ScopedAddress(network.address), prefixLength: 0), router: router))
        }
        setLifetimes(of: id, preferredUntil: nil, expiresAt: nil)
        let scopes = Scopes(destination: (0, 0), router: (router.flowInfo, router.scopeID))
        switch family {
        case .v4:
            v4[id.index].router = FamilyTable<UInt32>.key(router.ip)
            v4[id.index].flags.insert(.router)
        case .v6:
            v6[id.index].router = FamilyTable<UInt128>.key(router.ip)
            v6[id.index].flags.insert(.router)
            setScopes(of: id, scopes)
        }
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
        let onLink = onLinkPrefixes
        self = RouteTable(maxRoutes: maxRoutes)
        for (network, references) in onLink { addOnLink(network, references: references) }
    }

    /// Removes the routes that are gone at `now` (expires_at <= now).
    public mutating func expireRoutes(at now: UInt64) {
        while let item = expiries.popDue(at: now) {
            let id = EntryID(raw: item.id)
            if let expiresAt = lifetimes[id]?.expiresAt, expiresAt == item.instant, isRoute(id) { removeRoute(id) }
        }
    }

    // MARK: Own prefixes

    /// Makes `network` on-link (once per own address in it: it stays until each is removed).
    public mutating func addOnLink(_ network: Network, references: UInt32 = 1) {
        if let id = onLinkID(for: network) {
            adjustReferences(of: id, by: Int32(references))
            return
        }
        let id = insert(Route(destination: CIDR(ScopedAddress(network.address), prefixLength: network.prefixLength)),
                        isRoute: false)
        onLinkCount += 1
        adjustReferences(of: id, by: Int32(references))
    }

    public mutating func removeOnLink(_ network: Network) {
        guard let id = onLinkID(for: network) else { return }
        if adjustReferences(of: id, by: -1) == 0 {
            remove(id)
            onLinkCount -= 1
        }
    }

    // MARK: Entries across families

    @inline(__always)
    private func matchID(for address: IPAddress) -> EntryID {
        switch address.family {
        case .v4: let index = v4.lookup(address); return index == 0 ? .none : EntryID(.v4, index)
        case .v6: let index = v6.lookup(address); return index == 0 ? .none : EntryID(.v6, index)
        }
    }

    private func routeID(for network: Network) -> EntryID? {
        let family = network.address.family
        return (family == .v4 ? v4.route(network) : v6.route(network)).map { EntryID(family, $0) }
    }

    private func onLinkID(for network: Network) -> EntryID? {
        let family = network.address.family
        return (family == .v4 ? v4.onLinkEntry(network) : v6.onLinkEntry(network)).map { EntryID(family, $0) }
    }

    private func isRoute(_ id: EntryID) -> Bool {
        id.family == .v4 ? v4[id.index].flags.contains(.route) : v6[id.index].flags.contains(.route)
    }

    private func network(of id: EntryID) -> Network {
        switch id.family {
        case .v4: Network(IPAddress(v4: v4[id.index].destination), prefixLength: v4[id.index].prefixLength)
        case .v6: Network(IPAddress(v6: v6[id.index].destination), prefixLength: v6[id.index].prefixLength)
        }
    }

    @inline(__always)
    private func route(of id: EntryID) -> Route {
        let family = id.family
        let (destination, router, prefixLength, flags): (UInt128, UInt128?, UInt8, EntryFlags)
        switch family {
        case .v4:
            let entry = v4[id.index]
            (destination, prefixLength) = (UInt128(entry.destination), entry.prefixLength)
            router = entry.flags.contains(.router) ? UInt128(entry.router) : nil
            flags = entry.flags
        case .v6:
            let entry = v6[id.index]
            (destination, prefixLength) = (entry.destination, entry.prefixLength)
            router = entry.flags.contains(.router) ? entry.router : nil
            flags = entry.flags
        }
        let scope = flags.contains(.scopes) ? scopes[id] : nil
        let times = flags.contains(.lifetimes) ? lifetimes[id] : nil
        return Route(
            destination: CIDR(ScopedAddress(IPAddress(family: family, bits: destination),
                                            flowInfo: scope?.destination.flowInfo ?? 0, scopeID: scope?.destination.scopeID ?? 0),
                              prefixLength: prefixLength),
            router: router.map {
                ScopedAddress(IPAddress(family: family, bits: $0), flowInfo: scope?.router.flowInfo ?? 0,
                              scopeID: scope?.router.scopeID ?? 0)
            },
            preferredUntil: times?.preferredUntil, expiresAt: times?.expiresAt)
    }

    private mutating func insert(_ route: Route, isRoute: Bool) -> EntryID {
        let family = route.destination.address.ip.family
        var flags: EntryFlags = isRoute ? [.live, .route] : [.live]
        if route.router != nil { flags.insert(.router) }
        let id: EntryID
        switch family {
        case .v4:
            id = EntryID(.v4, v4.insert(FamilyTable<UInt32>.Entry(
                destination: FamilyTable<UInt32>.key(route.destination.address.ip),
                router: route.router.map { FamilyTable<UInt32>.key($0.ip) } ?? 0,
                prefixLength: route.destination.prefixLength, flags: flags)))
        case .v6:
            id = EntryID(.v6, v6.insert(FamilyTable<UInt128>.Entry(
                destination: route.destination.address.ip.bits, router: route.router?.ip.bits ?? 0,
                prefixLength: route.destination.prefixLength,
                flags: flags)))
            let destination = route.destination.address, router = route.router
            setScopes(of: id, Scopes(destination: (destination.flowInfo, destination.scopeID),
                                     router: (router?.flowInfo ?? 0, router?.scopeID ?? 0)))
        }
        return id
    }

    private mutating func remove(_ id: EntryID) {
        let flags = flags(of: id)
        if flags.contains(.lifetimes) { lifetimes[id] = nil }
        if flags.contains(.scopes) { scopes[id] = nil }
        if id.family == .v4 { v4.remove(id.index) } else { v6.remove(id.index) }
    }

    private mutating func removeRoute(_ id: EntryID) {
        setLifetimes(of: id, preferredUntil: nil, expiresAt: nil)
        unlink(id)
        routeCount -= 1
        remove(id)
    }

    /// Records the lifetimes of route `id` (replacing any it had) and queues its expiry.
    /// (The maps are touched only when the entry's flags say they hold something: most routes
    /// have no lifetimes, and hashing their id on every add and removal would cost more than
    /// the rest of the bookkeeping.)
    private mutating func setLifetimes(of id: EntryID, preferredUntil: UInt64?, expiresAt: UInt64?) {
        let had = flags(of: id).contains(.lifetimes), has = preferredUntil != nil || expiresAt != nil
        guard had || has else { return }
        if had && lifetimes[id]?.expiresAt != nil { routesWithExpiry -= 1 }
        lifetimes[id] = has ? Lifetimes(preferredUntil: preferredUntil, expiresAt: expiresAt) : nil
        updateFlags(of: id, .lifetimes, present: has)
        if let expiresAt {
            routesWithExpiry += 1
            expiries.push(.init(instant: expiresAt, id: id.raw))
        }
        compactExpiriesIfStale()
    }

    private mutating func setScopes(of id: EntryID, _ value: Scopes) {
        let has = value.destination != (0, 0) || value.router != (0, 0)
        guard has || flags(of: id).contains(.scopes) else { return }
        scopes[id] = has ? value : nil
        updateFlags(of: id, .scopes, present: has)
    }

    private func flags(of id: EntryID) -> EntryFlags {
        id.family == .v4 ? v4[id.index].flags : v6[id.index].flags
    }

    private mutating func updateFlags(of id: EntryID, _ flag: EntryFlags, present: Bool) {
        switch id.family {
        case .v4:
            if present { v4[id.index].flags.insert(flag) } else { v4[id.index].flags.remove(flag) }
        case .v6:
            if present { v6[id.index].flags.insert(flag) } else { v6[id.index].flags.remove(flag) }
        }
    }

    private func references(of id: EntryID) -> UInt32 {
        id.family == .v4 ? v4[id.index].references : v6[id.index].references
    }

    @discardableResult
    private mutating func adjustReferences(of id: EntryID, by delta: Int32) -> UInt32 {
        switch id.family {
        case .v4:
            v4[id.index].references = UInt32(Int32(v4[id.index].references) + delta)
            return v4[id.index].references
        case .v6:
            v6[id.index].references = UInt32(Int32(v6[id.index].references) + delta)
            return v6[id.index].references
        }
    }

    // MARK: Insertion order

    private func next(of id: EntryID) -> UInt32 { id.family == .v4 ? v4[id.index].next : v6[id.index].next }

    private func previous(of id: EntryID) -> UInt32 { id.family == .v4 ? v4[id.index].previous : v6[id.index].previous }

    private mutating func setNext(of id: EntryID, _ value: EntryID) {
        if id.family == .v4 { v4[id.index].next = value.raw } else { v6[id.index].next = value.raw }
    }

    private mutating func setPrevious(of id: EntryID, _ value: EntryID) {
        if id.family == .v4 { v4[id.index].previous = value.raw } else { v6[id.index].previous = value.raw }
    }

    private mutating func link(_ id: EntryID) {
        setPrevious(of: id, lastRoute)
        if lastRoute != .none { setNext(of: lastRoute, id) } else { firstRoute = id }
        lastRoute = id
    }

    private mutating func unlink(_ id: EntryID) {
        let previous = EntryID(raw: previous(of: id)), next = EntryID(raw: next(of: id))
        if previous != .none { setNext(of: previous, next) } else { firstRoute = next }
        if next != .none { setPrevious(of: next, previous) } else { lastRoute = previous }
    }

    // MARK: Expiry queue upkeep

    /// Routes removed or re-timed before they expired leave their queue items behind; once those
    /// outnumber the live ones, rebuild the queue so churn cannot grow it without bound.
    private mutating func compactExpiriesIfStale() {
        guard expiries.count > 2 * routesWithExpiry + 64 else { return }
        expiries.rebuild(keeping: lifetimes.compactMap { id, times in
            times.expiresAt.map { ExpiryQueue.Item(instant: $0, id: id.raw) }
        })
    }
}
