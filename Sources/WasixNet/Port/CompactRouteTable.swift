/// A small port's routing table: its routes and own prefixes, both families, in one short array of
/// 56-byte entries, searched linearly.
///
/// Why a short array: it is what fits a typical guest's port in 1 KiB (issue 11), where the
/// trie's header alone (`RouteTableHeader`) takes 576 bytes, before any node or record chunk.
/// Past `SizedRouteTable.compactLimit`
/// entries the port moves to `RouteTable`.
///
/// Why the scan is short: the IPv4 entries come first and the IPv6 ones after them, so a lookup
/// scans only its own family; each entry is tested with one xor, one mask made from its prefix
/// length and one compare (two for IPv6), with no branch; and the `Route` is built once, for the
/// answer, not per entry looked at.
///
/// Same rules and answers as `RouteTable` (wasixnet.h [port.lookup], [port.lifetimes]), and the
/// same division of labour: `Port` validates and drops expired routes before it asks, this enforces
/// what a table must. Within a family the array is kept in lookup order — longer prefixes first, at
/// equal length an explicit route before an own prefix — so that a scan stops at the first entry
/// that covers the address (two entries of one rank never both cover it: same length, different
/// prefixes); each entry carries its insertion number for the lists.
struct CompactRouteTable {
    struct Entry {
        /// IPv6 bits as two halves (not a UInt128, whose 16-byte alignment would pad the entry to
        /// 64); an IPv4 address in the low 32 bits of `destinationLow`.
        var destinationHigh: UInt64, destinationLow: UInt64
        var routerHigh: UInt64, routerLow: UInt64
        var preferredUntil: UInt64, expiresAt: UInt64
        /// An own prefix: how many own addresses lie in it.
        var references: UInt32
        /// When it came, among the entries (the list order); fits the 56-byte entry's padding.
        var order: UInt16
        var prefixLength: UInt8
        var flags: Flags

        var isV6: Bool { flags.contains(.v6) }
        var family: IPAddress.Family { isV6 ? .v6 : .v4 }
        var destination: IPAddress { IPAddress(family: family, bits: UInt128(destinationHigh) << 64 | UInt128(destinationLow)) }
        var router: IPAddress { IPAddress(family: family, bits: UInt128(routerHigh) << 64 | UInt128(routerLow)) }
        /// The lookup order's key within a family: longer first, a route before an own prefix of
        /// its length.
        var rank: Int { Int(prefixLength) &* 2 &+ (flags.contains(.route) ? 1 : 0) }
    }

    struct Flags: OptionSet {
        let rawValue: UInt8
        static let v6 = Flags(rawValue: 1)
        static let route = Flags(rawValue: 2)
        static let router = Flags(rawValue: 4)
        static let preferredUntil = Flags(rawValue: 8)
        static let expiresAt = Flags(rawValue: 16)
        /// `scopes` holds this entry's IPv6 flow infos and scope ids (rare: kept aside).
        static let scopes = Flags(rawValue: 32)
    }

    /// Flow info and scope id of an IPv6 entry's destination and router, for the entries flagged
    /// `.scopes`, in the same order as they appear in `entries`.
    private struct Scopes {
        var destination: (flowInfo: UInt32, scopeID: UInt32)
        var router: (flowInfo: UInt32, scopeID: UInt32)
    }

    /// IPv4 entries in `0..<v4Count`, IPv6 ones after them, each family in lookup order.
    private(set) var entries: [Entry] = []
    private var scopes: [Scopes] = []
    /// The earliest expires_at of any route (UInt64.max: none).
    private(set) var earliestExpiry = UInt64.max
    private var v4Count: UInt16 = 0
    private var nextOrder: UInt16 = 0
    private var routeTotal: UInt16 = 0
    private var lifetimeTotal: UInt16 = 0

    var entryCount: Int { entries.count }
    var routeCount: Int { Int(routeTotal) }
    var routesWithLifetimes: Int { Int(lifetimeTotal) }

    // MARK: Queries

    /// The best entry for `address` (the caller has dropped what expired). Mutating, as
    /// `RouteTable.longestMatchInPlace`: called on a table held inout, a non-mutating read copies
    /// it first (retaining and releasing its arrays, which costs more than the scan). Not inlined:
    /// beside the trie's lookup in the port's locked section it made that section too big to be
    /// inlined, and both forms then paid for a call and a copied result.
    @inline(never)
    mutating func longestMatchInPlace(for address: IPAddress) -> Route? { longestMatch(for: address) }

    /// The same, on a table nobody changes any more: a port's published snapshot, read in place
    /// from its `let` (wasixnet.h [port.concurrency]).
    @inline(__always)
    func longestMatch(for address: IPAddress) -> Route? {
        let index = matchIndex(for: address)
        return index < 0 ? nil : route(at: index)
    }

    /// `longestMatch` for `Port.plainLookup`: the entry's fields, when it has nothing more to say.
    @inline(__always)
    func plainMatch(for address: IPAddress) -> PlainLookup {
        let index = matchIndex(for: address)
        guard index >= 0 else { return .unreachable }
        let entry = entries[index]
        guard entry.flags.isDisjoint(with: [.preferredUntil, .expiresAt, .scopes]) else { return .needsFullAnswer }
        return .found(PlainRoute(family: entry.family, prefixLength: entry.prefixLength, destination: entry.destination.bits,
                                 router: entry.flags.contains(.router) ? entry.router.bits : nil))
    }

    /// Calls `body` with each route in insertion order until it returns false.
    func forEachRoute(_ body: (Route) -> Bool) {
        for index in routeIndicesInOrder() {
            guard body(route(at: index)) else { return }
        }
    }

    private func routeIndicesInOrder() -> [Int] {
        entries.indices.filter { entries[$0].flags.contains(.route) }.sorted { entries[$0].order < entries[$1].order }
    }

    /// The explicit routes in insertion order and the own prefixes (with their reference counts),
    /// for a move to the other form.
    var routes: [Route] { routeIndicesInOrder().map(route(at:)) }
    var onLinkPrefixes: [(network: Network, references: UInt32)] {
        entries.indices.filter { !entries[$0].flags.contains(.route) }.map { (route(at: $0).destination.network, entries[$0].references) }
    }

    /// Index of the longest prefix covering `address`, an explicit route winning over an own
    /// prefix of the same length; -1 for none.
    ///
    /// Every entry of the family is tested, from the last to the first, keeping the last that
    /// covers the address (the first in lookup order, the longest) with a conditional move and no
    /// branch: a scan that stopped at the first match would mispredict its exit at a random place
    /// on every lookup, which costs more than testing the rest of a 16-entry array.
    @inline(__always)
    private func matchIndex(for address: IPAddress) -> Int {
        let low = UInt64(truncatingIfNeeded: address.bits)
        let v4Count = Int(v4Count)
        return entries.withUnsafeBufferPointer { entries in
            var found = -1
            if address.family == .v4 {
                // The address in the top 32 bits, so that one mask of `length` leading ones serves.
                let key = low &<< 32
                var index = v4Count
                while index > 0 {
                    index &-= 1
                    let entry = entries[index]
                    let covers = (key ^ (entry.destinationLow &<< 32)) & Self.leadingOnes(entry.prefixLength) == 0
                    found = covers ? index : found
                }
                return found
            }
            let high = UInt64(truncatingIfNeeded: address.bits >> 64)
            var index = entries.count
            while index > v4Count {
                index &-= 1
                let entry = entries[index]
                let length = entry.prefixLength
                let highMask = length >= 64 ? UInt64.max : Self.leadingOnes(length)
                let lowMask = length <= 64 ? 0 : length >= 128 ? UInt64.max : Self.leadingOnes(length &- 64)
                let covers = (high ^ entry.destinationHigh) & highMask | (low ^ entry.destinationLow) & lowMask == 0
                found = covers ? index : found
            }
            return found
        }
    }

    /// `length` (0...63) one bits from the top, the rest zero: a prefix's mask without a branch.
    @inline(__always)
    private static func leadingOnes(_ length: UInt8) -> UInt64 { ~(UInt64.max &>> UInt64(length)) }

    @inline(__always)
    private func route(at index: Int) -> Route {
        let entry = entries[index]
        let scope = entry.flags.contains(.scopes) ? scopes[scopeSlot(of: index)] : nil
        return Route(
            destination: CIDR(ScopedAddress(entry.destination, flowInfo: scope?.destination.flowInfo ?? 0,
                                            scopeID: scope?.destination.scopeID ?? 0),
                              prefixLength: entry.prefixLength),
            router: entry.flags.contains(.router)
                ? ScopedAddress(entry.router, flowInfo: scope?.router.flowInfo ?? 0, scopeID: scope?.router.scopeID ?? 0) : nil,
            preferredUntil: entry.flags.contains(.preferredUntil) ? entry.preferredUntil : nil,
            expiresAt: entry.flags.contains(.expiresAt) ? entry.expiresAt : nil)
    }

    private func scopeSlot(of index: Int) -> Int {
        entries[..<index].reduce(0) { $0 + ($1.flags.contains(.scopes) ? 1 : 0) }
    }

    private func index(of network: Network, isRoute: Bool) -> Int? {
        let bits = network.address.bits, v6 = network.address.family == .v6
        return entries.firstIndex { entry in
            entry.flags.contains(.route) == isRoute && entry.isV6 == v6
                && entry.prefixLength == network.prefixLength
                && entry.destinationHigh == UInt64(truncatingIfNeeded: bits >> 64)
                && entry.destinationLow == UInt64(truncatingIfNeeded: bits)
        }
    }

    // MARK: Changes

    /// Adds `route` (no host bits). `.exist` if its prefix is routed already, `.nomem` when
    /// `maxRoutes` routes are live.
    mutating func addRoute(_ route: Route, maxRoutes: Int) -> WasixErrno {
        guard index(of: route.destination.network, isRoute: true) == nil else { return .exist }
        guard routeCount < maxRoutes else { return .nomem }
        append(route, isRoute: true, references: 0)
        return .success
    }

    /// Makes `router` the family's default route with no lifetimes, in the old one's place if
    /// there is one (as `RouteTable.setDefaultRoute(via:)`).
    mutating func setDefaultRoute(via router: ScopedAddress, maxRoutes: Int) -> WasixErrno {
        let family = router.ip.family
        let network = Network(IPAddress(family: family, bits: 0), prefixLength: 0)
        let replacement = Route(destination: CIDR(ScopedAddress(network.address), prefixLength: 0), router: router)
        guard let index = index(of: network, isRoute: true) else { return addRoute(replacement, maxRoutes: maxRoutes) }
        replace(at: index, with: replacement)
        return .success
    }

    /// Removes every route whose destination address is `address`, whatever its length; returns
    /// how many went. One pass: an entry's destination is its network's address.
    mutating func removeRoutes(to address: IPAddress) -> Int {
        let high = UInt64(truncatingIfNeeded: address.bits >> 64), low = UInt64(truncatingIfNeeded: address.bits)
        let isV6 = address.family == .v6
        var removed = 0, index = entries.count
        while index > 0 {
            index -= 1
            let entry = entries[index]
            guard entry.flags.contains(.route) && entry.isV6 == isV6 && entry.destinationHigh == high && entry.destinationLow == low
            else { continue }
            remove(at: index)
            removed += 1
        }
        return removed
    }

    mutating func removeAllRoutes() {
        while let index = entries.firstIndex(where: { $0.flags.contains(.route) }) { remove(at: index) }
    }

    /// Drops the routes gone at `now` (expires_at <= now).
    mutating func expireRoutes(at now: UInt64) {
        guard earliestExpiry <= now else { return }
        while let index = entries.firstIndex(where: { $0.flags.contains(.expiresAt) && $0.expiresAt <= now }) {
            remove(at: index)
        }
    }

    mutating func addOnLink(_ network: Network, references: UInt32 = 1) {
        if let index = index(of: network, isRoute: false) {
            entries[index].references += references
        } else {
            append(Route(destination: CIDR(ScopedAddress(network.address), prefixLength: network.prefixLength)),
                   isRoute: false, references: references)
        }
    }

    mutating func removeOnLink(_ network: Network) {
        guard let index = index(of: network, isRoute: false) else { return }
        entries[index].references -= 1
        if entries[index].references == 0 { remove(at: index) }
    }

    // MARK: Storage

    private static func entry(_ route: Route, isRoute: Bool, references: UInt32) -> (Entry, Scopes?) {
        let destination = route.destination.address, router = route.router
        let v6 = destination.ip.family == .v6
        var flags: Flags = isRoute ? .route : []
        if v6 { flags.insert(.v6) }
        if router != nil { flags.insert(.router) }
        if route.preferredUntil != nil { flags.insert(.preferredUntil) }
        if route.expiresAt != nil { flags.insert(.expiresAt) }
        // As RouteTable: only IPv6 entries keep flow infos and scope ids.
        var scopes: Scopes?
        if v6 {
            let candidate = Scopes(destination: (destination.flowInfo, destination.scopeID),
                                   router: (router?.flowInfo ?? 0, router?.scopeID ?? 0))
            if candidate.destination != (0, 0) || candidate.router != (0, 0) {
                scopes = candidate
                flags.insert(.scopes)
            }
        }
        let routerBits = router?.ip.bits ?? 0
        return (Entry(destinationHigh: UInt64(truncatingIfNeeded: destination.ip.bits >> 64),
                      destinationLow: UInt64(truncatingIfNeeded: destination.ip.bits),
                      routerHigh: UInt64(truncatingIfNeeded: routerBits >> 64), routerLow: UInt64(truncatingIfNeeded: routerBits),
                      preferredUntil: route.preferredUntil ?? 0, expiresAt: route.expiresAt ?? 0,
                      references: references, order: 0, prefixLength: route.destination.prefixLength, flags: flags), scopes)
    }

    private mutating func append(_ route: Route, isRoute: Bool, references: UInt32) {
        var (entry, scope) = Self.entry(route, isRoute: isRoute, references: references)
        if nextOrder == .max { renumber() }
        entry.order = nextOrder
        nextOrder += 1
        // Its family's part of the array, at the first entry it outranks.
        let rank = entry.rank
        let part = entry.isV6 ? Int(v4Count)..<entries.count : 0..<Int(v4Count)
        let position = part.first { entries[$0].rank < rank } ?? part.upperBound
        if let scope { scopes.insert(scope, at: scopeSlot(of: position)) }
        entries.insert(entry, at: position)
        if !entry.isV6 { v4Count += 1 }
        count(entry, by: 1)
    }

    /// Insertion numbers from 0 again, in the same order, when they run out.
    private mutating func renumber() {
        for (number, index) in entries.indices.sorted(by: { entries[$0].order < entries[$1].order }).enumerated() {
            entries[index].order = UInt16(number)
        }
        nextOrder = UInt16(entries.count)
    }

    private mutating func replace(at index: Int, with route: Route) {
        let old = entries[index]
        var (entry, scope) = Self.entry(route, isRoute: old.flags.contains(.route), references: old.references)
        entry.order = old.order  // the replacement keeps the old one's place (same prefix: same rank too)
        let slot = scopeSlot(of: index)
        switch (old.flags.contains(.scopes), scope) {
        case (true, let scope?): scopes[slot] = scope
        case (true, nil): scopes.remove(at: slot)
        case (false, let scope?): scopes.insert(scope, at: slot)
        case (false, nil): break
        }
        entries[index] = entry
        count(old, by: -1)
        count(entry, by: 1)
    }

    private mutating func remove(at index: Int) {
        let old = entries[index]
        if old.flags.contains(.scopes) { scopes.remove(at: scopeSlot(of: index)) }
        entries.remove(at: index)
        if !old.isV6 { v4Count -= 1 }
        count(old, by: -1)
        // Memory returns when routes go: an emptied array gives its buffer back.
        if entries.isEmpty {
            entries = []
            nextOrder = 0
        }
        if scopes.isEmpty { scopes = [] }
    }

    private mutating func count(_ entry: Entry, by delta: Int) {
        guard entry.flags.contains(.route) else { return }
        routeTotal = UInt16(Int(routeTotal) + delta)
        if !entry.flags.isDisjoint(with: [.preferredUntil, .expiresAt]) { lifetimeTotal = UInt16(Int(lifetimeTotal) + delta) }
        if entry.flags.contains(.expiresAt) {
            earliestExpiry = delta > 0 ? min(earliestExpiry, entry.expiresAt)
                : entries.reduce(UInt64.max) { $1.flags.contains(.expiresAt) && $1.flags.contains(.route) ? min($0, $1.expiresAt) : $0 }
        }
    }
}
