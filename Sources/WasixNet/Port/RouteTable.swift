import CWasixNetSystem

/// A port's routing table in its large form: explicit routes (with lifetimes, in insertion order,
/// up to a limit) and the on-link prefixes of the port's own addresses, answering longest-prefix
/// lookups in time that does not grow with the number of routes (wasixnet.h [port.lookup]).
///
/// One writer at a time changes it (the port's lock serializes them); readers read it through
/// `reader` without any lock, concurrently with that writer (wasixnet.h [port.concurrency]). What a
/// write unlinks is not freed by the write but retired: `takeRetired` hands it to the owner, who
/// frees it once no reader can still see it (`freeRetiredNow` when there are no other readers).
///
/// Storage: per family a trie of byte-stride nodes (`RouteTrie`, `RouteTrieNode`) whose entries
/// are record indices, and records in chunks that never move (`RouteRecords`: 16 bytes an IPv4
/// route, its router stored once per table in `NextHops`; 44 an IPv6 one), with what few routes
/// have (lifetimes, IPv6 flow info and scope ids) in blocks beside them (`RouteExtras`). A route
/// and an own prefix may share a prefix: the trie then names the route (it wins, [port.lookup]),
/// and the own prefix's record waits in `onLink` until the route goes. Insertion order is a list
/// through the records' `next` links.
///
/// It enforces what a table must (a prefix is routed once; the limit) and leaves the guest-facing
/// rules to `Port`, which validates first. Time is given by the caller: `expireRoutes(at:)` drops
/// what is due, and every other method assumes it was called with the current instant.
///
/// A copy of a RouteTable shares its storage with the original: only one of them may be changed.
public struct RouteTable {
    /// The table's memory: the header (what readers start from) and what writes retired. A class
    /// so that a table dropped without `retireAll` (a test's, the fuzzer's) still frees it all.
    private final class Blocks {
        let header: UnsafeMutableRawPointer
        var retired: [UnsafeMutableRawPointer] = []
        var handedOver = false

        init(maxRoutes: Int) { header = RouteTableHeader.allocate(maxRoutes: maxRoutes) }

        deinit {
            if !handedOver { RouteTable.handOverAll(header: header, retired: retired) { free($0) } }
        }
    }

    private struct OnLinkEntry {
        var id: RouteID
        var references: UInt32
    }

    /// The most explicit routes the table holds at once (the gateway's default routes count).
    public let maxRoutes: Int
    /// The read side, for any thread, valid for the table's whole life.
    public let reader: Reader
    private let blocks: Blocks
    private var header: UnsafeMutableRawPointer { reader.header }

    private var nextIndex4: UInt32 = 1, nextIndex6: UInt32 = 1
    /// Record indices stay below this (`RouteRecords.maxIndex`; lower only in tests of the limit).
    private let indexLimit: UInt32
    private var freeIndices4: [UInt32] = [], freeIndices6: [UInt32] = []
    /// Records freed since the last `takeRetired`, then those waiting for the grace period after it.
    private var freedIDs: [RouteID] = []
    private var awaitingGrace: [(id: RouteID, epoch: UInt)] = []
    private var lastRoute = RouteID.none
    /// The IPv4 routers' next-hop indices (`NextHops`).
    private var nextHops4 = NextHopInterner()
    private var onLink: [Network: OnLinkEntry] = [:]
    private var expiries = ExpiryQueue()
    private var routesWithExpiry = 0

    public private(set) var routeCount = 0
    /// Own prefixes held (each once, whatever its reference count).
    private(set) var onLinkCount = 0
    /// Routes and own prefixes: what decides the port's form (`SizedRouteTable`).
    var entryCount: Int { routeCount + onLinkCount }
    /// Live routes with a preferred_until or an expires_at: while 0, time does not matter.
    public private(set) var routesWithLifetimes = 0

    public init(maxRoutes: Int) { self.init(maxRoutes: maxRoutes, indexLimit: RouteRecords.maxIndex) }

    init(maxRoutes: Int, indexLimit: UInt32) {
        self.maxRoutes = maxRoutes
        self.indexLimit = min(indexLimit, RouteRecords.maxIndex)
        blocks = Blocks(maxRoutes: maxRoutes)
        reader = Reader(header: blocks.header)
    }

    /// The instant the next route expires, if any does.
    public var nextExpiry: UInt64? { expiries.earliest }

    // MARK: Queries

    /// The explicit route to exactly `network`, if there is one.
    public func route(to network: Network) -> Route? {
        routeID(for: network).map(reader.route(of:))
    }

    /// The route a datagram to `address` takes: the longest matching prefix, explicit routes
    /// winning over own prefixes of the same length.
    @inline(__always)
    public func longestMatch(for address: IPAddress) -> Route? { reader.longestMatch(for: address) }

    /// `longestMatch(for:)`, for callers holding the table inout.
    public mutating func longestMatchInPlace(for address: IPAddress) -> Route? { reader.longestMatch(for: address) }

    /// The own prefixes with how many own addresses lie in each, for a move to the other form.
    var onLinkPrefixes: [(network: Network, references: UInt32)] {
        onLink.map { ($0.key, $0.value.references) }
    }

    /// Calls `body` with each route in insertion order until it returns false.
    public func forEachRoute(_ body: (Route) -> Bool) { reader.forEachRoute(body) }

    public var routes: [Route] {
        var all: [Route] = []
        forEachRoute { all.append($0); return true }
        return all
    }

    /// Trie nodes in use, both families, and the bytes they take (for tests of the structure).
    var trieNodes: Int {
        var count = 0
        RouteTrie<UInt32>.forEachNode(header: header) { _ in count += 1 }
        RouteTrie<UInt128>.forEachNode(header: header) { _ in count += 1 }
        return count
    }

    var trieLeaves: Int {
        var count = 0
        RouteTrie<UInt32>.forEachNode(header: header, leaf: { _ in count += 1 }) { _ in }
        RouteTrie<UInt128>.forEachNode(header: header, leaf: { _ in count += 1 }) { _ in }
        return count
    }

    // MARK: Routes

    /// Adds `route`, whose destination has no host bits. `.exist` if its prefix is routed
    /// already, `.nomem` when the table is full.
    public mutating func addRoute(_ route: Route) -> WasixErrno {
        switch route.destination.address.ip.family {
        case .v4: addRoute(route, UInt32.self)
        case .v6: addRoute(route, UInt128.self)
        }
    }

    private mutating func addRoute<Key: RouteKey>(_ route: Route, _: Key.Type) -> WasixErrno {
        let key = Key.key(route.destination.address.ip), length = Int(route.destination.prefixLength)
        let existing = RouteTrie<Key>.find(key, length: length, header: header)
        if existing != 0 && isRoute(RouteID(Key.family, existing)) { return .exist }
        guard routeCount < maxRoutes, hasRecordIndex(Key.self) else { return .nomem }
        var extras = RouteExtras(route)
        let index = allocateRecord(key, router: route.router.map { Key.key($0.ip) }, length: length, isRoute: true, extras: &extras)
        let id = RouteID(Key.family, index)
        link(id)
        setRouteCount(routeCount + 1)
        RouteTrie<Key>.set(key, length: length, to: index, header: header, retired: &blocks.retired)
        countLifetimes(extras, by: 1, id: id)
        return .success
    }

    /// Makes `router` the family's default route (0.0.0.0/0 or ::/0) with no lifetimes: the
    /// existing default route, if any, keeps its place in the order; else one is appended. The
    /// replacement is a new record swapped in (readers never see a record change).
    public mutating func setDefaultRoute(via router: ScopedAddress) -> WasixErrno {
        switch router.ip.family {
        case .v4: setDefaultRoute(via: router, UInt32.self)
        case .v6: setDefaultRoute(via: router, UInt128.self)
        }
    }

    private mutating func setDefaultRoute<Key: RouteKey>(via router: ScopedAddress, _: Key.Type) -> WasixErrno {
        let replacement = Route(destination: CIDR(ScopedAddress(IPAddress(family: Key.family, bits: 0)), prefixLength: 0),
                                router: router)
        let existing = RouteTrie<Key>.find(0, length: 0, header: header)
        let old = RouteID(Key.family, existing)
        guard existing != 0, isRoute(old) else { return addRoute(replacement) }
        guard hasRecordIndex(Key.self) else { return .nomem }
        var extras = RouteExtras(replacement)
        let index = allocateRecord(Key(0), router: Key.key(router.ip), length: 0, isRoute: true, extras: &extras)
        let id = RouteID(Key.family, index)
        // The new record takes the old one's place in the list, then in the trie.
        let previous = previous(of: old), next = reader.next(of: old)
        setPrevious(of: id, previous)
        RawAtomic.store32(next.raw, nextSlot(of: id))
        setNext(of: previous, id)
        if next != .none { setPrevious(of: next, id) } else { lastRoute = id }
        RouteTrie<Key>.set(0, length: 0, to: index, header: header, retired: &blocks.retired)
        countLifetimes(RouteExtras(reader.route(of: old)), by: -1, id: old)
        freeRecord(old)
        return .success
    }

    /// Removes every route whose destination address is `address`, whatever its prefix length;
    /// returns how many went.
    public mutating func removeRoutes(to address: IPAddress) -> Int { removeRoutes(to: address, beforeSeveral: {}) }

    /// The same, calling `beforeSeveral` before it changes anything when it is about to remove more
    /// than one route (each removal is its own store, which the owner may need to announce).
    public mutating func removeRoutes(to address: IPAddress, beforeSeveral: () -> Void) -> Int {
        let found = address.family == .v4 ? Self.routes(at: address, UInt32.self, header: header)
                                           : Self.routes(at: address, UInt128.self, header: header)
        if found.count > 1 { beforeSeveral() }
        for id in found { removeRoute(id) }
        return found.count
    }

    /// The routes (not own prefixes) whose network's address is `address`, shortest first. Static,
    /// given the header: a closure that captured the table would copy it.
    private static func routes<Key: RouteKey>(at address: IPAddress, _: Key.Type, header: UnsafeMutableRawPointer) -> [RouteID] {
        var found: [RouteID] = []
        RouteTrie<Key>.forEachPrefix(at: Key.key(address), lengths: address.lengthsAsNetwork, header: header) { index in
            if RouteRecords.flags(RouteRecords.record(header, Key.self, index), Key.self).contains(.route) {
                found.append(RouteID(Key.family, index))
            }
        }
        return found
    }

    /// Removes every route, keeping the own prefixes.
    public mutating func removeAllRoutes() {
        var id = RouteID(raw: UInt32(truncatingIfNeeded: RawAtomic.loadWord(header + RouteTableHeader.firstRouteOffset)))
        while id != .none {
            let next = reader.next(of: id)
            removeRoute(id)
            id = next
        }
        expiries = ExpiryQueue()
        routesWithExpiry = 0
    }

    /// Removes the routes that are gone at `now` (expires_at <= now).
    public mutating func expireRoutes(at now: UInt64) {
        while let item = expiries.popDue(at: now) {
            let id = RouteID(raw: item.id)
            // The item may be stale (its route went, its record may even hold another route now):
            // the record counts only if the trie still leads to it; only then are its extras live.
            guard liveNetwork(of: id) != nil, isRoute(id) else { continue }
            if reader.route(of: id).expiresAt == item.instant { removeRoute(id) }
        }
    }

    // MARK: Own prefixes

    /// Makes `network` on-link (once per own address in it: it stays until each is removed);
    /// false, and nothing changed, when a new prefix finds no record index left in its family.
    public mutating func addOnLink(_ network: Network, references: UInt32 = 1) -> Bool {
        if var entry = onLink[network] {
            entry.references += references
            onLink[network] = entry
            return true
        }
        switch network.address.family {
        case .v4: return addOnLink(network, references: references, UInt32.self)
        case .v6: return addOnLink(network, references: references, UInt128.self)
        }
    }

    private mutating func addOnLink<Key: RouteKey>(_ network: Network, references: UInt32, _: Key.Type) -> Bool {
        guard hasRecordIndex(Key.self) else { return false }
        let key = Key.key(network.address), length = Int(network.prefixLength)
        var extras = RouteExtras()
        let index = allocateRecord(key, router: nil, length: length, isRoute: false, extras: &extras)
        onLink[network] = OnLinkEntry(id: RouteID(Key.family, index), references: references)
        onLinkCount += 1
        // A route to the same prefix wins (wasixnet.h [port.lookup]): the trie keeps naming it.
        if RouteTrie<Key>.find(key, length: length, header: header) == 0 {
            RouteTrie<Key>.set(key, length: length, to: index, header: header, retired: &blocks.retired)
        }
        return true
    }

    public mutating func removeOnLink(_ network: Network) {
        guard var entry = onLink[network] else { return }
        entry.references -= 1
        guard entry.references == 0 else {
            onLink[network] = entry
            return
        }
        onLink[network] = nil
        onLinkCount -= 1
        switch network.address.family {
        case .v4: unpublishOnLink(network, entry.id, UInt32.self)
        case .v6: unpublishOnLink(network, entry.id, UInt128.self)
        }
        freeRecord(entry.id)
    }

    private mutating func unpublishOnLink<Key: RouteKey>(_ network: Network, _ id: RouteID, _: Key.Type) {
        let key = Key.key(network.address), length = Int(network.prefixLength)
        if RouteTrie<Key>.find(key, length: length, header: header) == id.index {
            RouteTrie<Key>.remove(key, length: length, header: header, retired: &blocks.retired)
        }
    }

    // MARK: Retirement

    /// Hands over every block retired since the last call (each to be freed with `free()` once no
    /// reader can hold it), and starts the wait of the record ids freed meanwhile: an id is named
    /// again only once no read section that began before its removal is open (its reader could
    /// still be about to read the record), three read-section epochs later (read_sections.c).
    public mutating func takeRetired(_ body: (UnsafeMutableRawPointer) -> Void) {
        for block in blocks.retired { body(block) }
        blocks.retired.removeAll(keepingCapacity: true)
        guard !freedIDs.isEmpty else { return }
        let epoch = ReadSection.epoch
        // A next-hop index is freed only with a record naming it: it waits as long as the record.
        nextHops4.startWait(epoch: epoch)
        for id in freedIDs { awaitingGrace.append((id, epoch)) }
        freedIDs.removeAll(keepingCapacity: true)
    }

    /// Makes the ids whose wait is over reusable (oldest first: epochs only grow along the list).
    public mutating func reuseIDsPastTheirWait() {
        guard !awaitingGrace.isEmpty else { return }
        let epoch = ReadSection.epoch
        nextHops4.reusePastTheirWait(now: epoch)
        let ready = awaitingGrace.prefix { ReadSection.isOver(sinceEpoch: $0.epoch, now: epoch) }.count
        guard ready > 0 else { return }
        for (id, _) in awaitingGrace[..<ready] {
            if id.family == .v4 { freeIndices4.append(id.index) } else { freeIndices6.append(id.index) }
        }
        awaitingGrace.removeFirst(ready)
    }

    /// Frees what was retired at once: for a table no other thread reads.
    public mutating func freeRetiredNow() {
        for block in blocks.retired { free(block) }
        blocks.retired.removeAll(keepingCapacity: true)
        for id in freedIDs + awaitingGrace.map({ $0.id }) {
            if id.family == .v4 { freeIndices4.append(id.index) } else { freeIndices6.append(id.index) }
        }
        freedIDs.removeAll(keepingCapacity: true)
        awaitingGrace.removeAll(keepingCapacity: true)
        nextHops4.reuseAllNow()
    }

    /// Hands over every block the table owns (its header included), for when the whole table is
    /// dropped while readers may still hold its `Reader`; the table must not be used afterwards.
    public consuming func retireAll(_ body: (UnsafeMutableRawPointer) -> Void) {
        blocks.handedOver = true
        Self.handOverAll(header: header, retired: blocks.retired, body)
        blocks.retired = []
    }

    fileprivate static func handOverAll(header: UnsafeMutableRawPointer, retired: [UnsafeMutableRawPointer],
                                        _ body: (UnsafeMutableRawPointer) -> Void) {
        for block in retired { body(block) }
        RouteTrie<UInt32>.forEachNode(header: header) { body($0.raw) }
        RouteTrie<UInt128>.forEachNode(header: header) { body($0.raw) }
        NextHops.handOverAll(header: header, body)
        for familyIndex in 0..<2 {
            for chunk in 0..<RouteTableHeader.directorySlots {
                let slot = header + RouteTableHeader.directoryOffset(familyIndex) + 8 * chunk
                guard let base = UnsafeMutableRawPointer(bitPattern: RawAtomic.loadWord(slot)) else { continue }
                if let array = UnsafeMutableRawPointer(bitPattern: RawAtomic.loadWord(base)) {
                    for offset in 0..<RouteRecords.chunkCapacity(chunk) {
                        // A set low bit: the block was retired with its record (handed over already).
                        let value = RawAtomic.loadWord(array + 8 * offset)
                        if value != 0 && value & 1 == 0 { body(UnsafeMutableRawPointer(bitPattern: value)!) }
                    }
                    body(array)
                }
                body(base)
            }
        }
        body(header)
    }

    // MARK: Records

    /// Whether a family has a record index for one more route or own prefix: 2^24 - 1 of them
    /// (`RouteElement`), those of removed entries counted until they may be named again.
    private func hasRecordIndex<Key: RouteKey>(_: Key.Type) -> Bool {
        Key.family == .v4 ? !freeIndices4.isEmpty || nextIndex4 < indexLimit : !freeIndices6.isEmpty || nextIndex6 < indexLimit
    }

    private mutating func allocateRecord<Key: RouteKey>(_ destination: Key, router: Key?, length: Int, isRoute: Bool,
                                                       extras: inout RouteExtras) -> UInt32 {
        let index: UInt32
        if Key.family == .v4 {
            if let reused = freeIndices4.popLast() { index = reused } else { index = nextIndex4; nextIndex4 += 1 }
        } else {
            if let reused = freeIndices6.popLast() { index = reused } else { index = nextIndex6; nextIndex6 += 1 }
        }
        precondition(index < indexLimit, "more records than an index can name")  // hasRecordIndex said so
        let chunk = RouteRecords.place(of: index).chunk
        let directorySlot = RouteRecords.directorySlot(header, Key.self, chunk)
        if RawAtomic.loadWord(directorySlot) == 0 {
            let base = allocateBlock(RouteRecords.chunkHeader + RouteRecords.chunkCapacity(chunk) * Key.recordStride)
            base.storeBytes(of: 0, as: UInt.self)
            RawAtomic.storeWord(UInt(bitPattern: base), directorySlot)
        }
        let record = RouteRecords.record(header, Key.self, index)
        var flags: RecordFlags = isRoute ? .route : []
        var hop: UInt16 = 0
        if let router {
            flags.insert(.router)
            if !Key.routerInRecord {
                // Past the next hops' capacity, the router goes in the extras block instead.
                hop = nextHops4.intern(UInt32(truncatingIfNeeded: router), header: header)
                if hop == 0 { extras.fallbackRouter = UInt32(truncatingIfNeeded: router) }
            }
        }
        if !extras.isEmpty {
            flags.insert(.extras)
            let base = UnsafeMutableRawPointer(bitPattern: RawAtomic.loadWord(directorySlot))!
            if RawAtomic.loadWord(base) == 0 {
                guard let array = calloc(RouteRecords.chunkCapacity(chunk), 8) else { fatalError("out of memory") }
                RawAtomic.storeWord(UInt(bitPattern: array), base)
            }
            RawAtomic.storeWord(UInt(bitPattern: extras.allocateBlock()), RouteRecords.extrasSlot(header, Key.self, index)!)
        }
        Key.storeAddress(destination, record)
        if Key.routerInRecord { Key.storeAddress(router ?? 0, record + Key.bitWidth / 8) }
        RawAtomic.store32(0, record + Key.nextOffset)
        record.storeBytes(of: 0, toByteOffset: Key.previousOffset, as: UInt32.self)
        record.storeBytes(of: UInt32(length) | flags.rawValue << 8 | UInt32(hop) << 16, toByteOffset: Key.lengthOffset,
                          as: UInt32.self)
        return index
    }

    /// Retires record `id` (and its extras, and its claim on a next hop): its index waits for a
    /// grace period before reuse.
    private mutating func freeRecord(_ id: RouteID) {
        if id.family == .v4 {
            let hop = RouteRecords.nextHop(recordAddress(id), UInt32.self)
            if hop != 0 { nextHops4.release(UInt16(hop), header: header) }
        }
        if flags(of: id).contains(.extras) {
            let slot = id.family == .v4 ? RouteRecords.extrasSlot(header, UInt32.self, id.index)!
                : RouteRecords.extrasSlot(header, UInt128.self, id.index)!
            let value = RawAtomic.loadWord(slot)
            blocks.retired.append(UnsafeMutableRawPointer(bitPattern: value)!)
            RawAtomic.storeWord(value | 1, slot)
        }
        freedIDs.append(id)
    }

    private func recordAddress(_ id: RouteID) -> UnsafeMutableRawPointer {
        id.family == .v4 ? RouteRecords.record(header, UInt32.self, id.index) : RouteRecords.record(header, UInt128.self, id.index)
    }

    private func flags(of id: RouteID) -> RecordFlags {
        id.family == .v4 ? RouteRecords.flags(recordAddress(id), UInt32.self) : RouteRecords.flags(recordAddress(id), UInt128.self)
    }

    private func isRoute(_ id: RouteID) -> Bool { flags(of: id).contains(.route) }

    /// The network of record `id` if the trie leads to it (it is live), else nil.
    /// (Only the record's own fields are read: those of a freed record stay readable, as chunks
    /// are never freed, while its extras block may be gone.)
    private func liveNetwork(of id: RouteID) -> Network? {
        let record = recordAddress(id)
        let network: Network, index: UInt32
        switch id.family {
        case .v4:
            let key = RouteRecords.destination(record, UInt32.self), length = RouteRecords.prefixLength(record, UInt32.self)
            network = Network(IPAddress(v4: key), prefixLength: UInt8(length))
            index = RouteTrie<UInt32>.find(key, length: length, header: header)
        case .v6:
            let key = RouteRecords.destination(record, UInt128.self), length = RouteRecords.prefixLength(record, UInt128.self)
            network = Network(IPAddress(v6: key), prefixLength: UInt8(length))
            index = RouteTrie<UInt128>.find(key, length: length, header: header)
        }
        return index == id.index ? network : nil
    }

    private func routeID(for network: Network) -> RouteID? {
        let family = network.address.family, length = Int(network.prefixLength)
        let index = family == .v4
            ? RouteTrie<UInt32>.find(UInt32.key(network.address), length: length, header: header)
            : RouteTrie<UInt128>.find(UInt128.key(network.address), length: length, header: header)
        guard index != 0 else { return nil }
        let id = RouteID(family, index)
        return isRoute(id) ? id : nil
    }

    private mutating func removeRoute(_ id: RouteID) {
        let route = reader.route(of: id)
        unlink(id)
        setRouteCount(routeCount - 1)
        let network = route.destination.network
        // Where an own prefix shares the route's prefix, it answers from now on.
        let fallback = onLink[network]?.id.index
        switch id.family {
        case .v4: republish(network, fallback, UInt32.self)
        case .v6: republish(network, fallback, UInt128.self)
        }
        countLifetimes(RouteExtras(route), by: -1, id: id)
        freeRecord(id)
    }

    private mutating func republish<Key: RouteKey>(_ network: Network, _ index: UInt32?, _: Key.Type) {
        let key = Key.key(network.address), length = Int(network.prefixLength)
        if let index {
            RouteTrie<Key>.set(key, length: length, to: index, header: header, retired: &blocks.retired)
        } else {
            RouteTrie<Key>.remove(key, length: length, header: header, retired: &blocks.retired)
        }
    }

    private mutating func setRouteCount(_ count: Int) {
        routeCount = count
        RawAtomic.storeRelaxed(count, header + RouteTableHeader.routeCountOffset)
    }

    // MARK: Insertion order

    private func nextSlot(of id: RouteID) -> UnsafeMutableRawPointer {
        recordAddress(id) + (id.family == .v4 ? UInt32.nextOffset : UInt128.nextOffset)
    }

    private func previous(of id: RouteID) -> RouteID {
        RouteID(raw: recordAddress(id).load(fromByteOffset: id.family == .v4 ? UInt32.previousOffset : UInt128.previousOffset,
                                            as: UInt32.self))
    }

    private func setPrevious(of id: RouteID, _ value: RouteID) {
        recordAddress(id).storeBytes(of: value.raw, toByteOffset: id.family == .v4 ? UInt32.previousOffset : UInt128.previousOffset,
                                     as: UInt32.self)
    }

    /// Points `id`'s list link (or the list's head, for .none) at `value`: one release store.
    private func setNext(of id: RouteID, _ value: RouteID) {
        if id == .none {
            RawAtomic.storeWord(UInt(value.raw), header + RouteTableHeader.firstRouteOffset)
        } else {
            RawAtomic.store32(value.raw, nextSlot(of: id))
        }
    }

    private mutating func link(_ id: RouteID) {
        setPrevious(of: id, lastRoute)
        setNext(of: lastRoute, id)
        lastRoute = id
    }

    /// Takes `id` out of the list; its own link still leads on, for readers standing on it.
    private mutating func unlink(_ id: RouteID) {
        let previous = previous(of: id), next = reader.next(of: id)
        setNext(of: previous, next)
        if next != .none { setPrevious(of: next, previous) } else { lastRoute = previous }
    }

    // MARK: Lifetimes

    private mutating func countLifetimes(_ extras: RouteExtras, by delta: Int, id: RouteID) {
        guard extras.preferredUntil != nil || extras.expiresAt != nil else { return }
        routesWithLifetimes += delta
        guard let expiresAt = extras.expiresAt else { return }
        routesWithExpiry += delta
        if delta > 0 { expiries.push(.init(instant: expiresAt, id: id.raw)) }
        compactExpiriesIfStale()
    }

    /// Routes removed before they expired leave their queue items behind; once those outnumber
    /// the live ones, rebuild the queue so churn cannot grow it without bound.
    private mutating func compactExpiriesIfStale() {
        guard expiries.count > 2 * routesWithExpiry + 64 else { return }
        var items: [ExpiryQueue.Item] = []
        var id = RouteID(raw: UInt32(truncatingIfNeeded: RawAtomic.loadWord(header + RouteTableHeader.firstRouteOffset)))
        while id != .none {
            if let expiresAt = reader.route(of: id).expiresAt { items.append(.init(instant: expiresAt, id: id.raw)) }
            id = reader.next(of: id)
        }
        expiries.rebuild(keeping: items)
    }
}
