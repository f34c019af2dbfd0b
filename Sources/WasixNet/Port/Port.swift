import Synchronization

/// One guest's network interface: its own addresses (whose prefixes are on-link), its MAC, and
/// its routing table, with the embedder's clock and hooks.
///
/// Every method validates the guest's input in the contract's order before it changes anything,
/// and answers with a WASIX error number. The state sits behind one lock; the clock and the
/// hooks are always called with the lock released, so a hook may call back into the port.
public final class Port: Sendable {
    public struct Hooks: Sendable {
        public var bridge: (@Sendable (_ network: UnsafeRawBufferPointer, _ token: UnsafeRawBufferPointer, _ security: UInt8) -> WasixErrno)?
        public var unbridge: (@Sendable () -> WasixErrno)?
        public var dhcpAcquire: (@Sendable (Port) -> WasixErrno)?
        public init() {}
    }

    public struct Configuration: Sendable {
        /// Sockets of this port may send only where a live route or an own prefix leads.
        public var enforceRoutes = false
        public var maxRoutes = 4096
        public var maxAddresses = 256
        /// nil: a random locally administered unicast MAC.
        public var mac: MACAddress?
        /// Nanoseconds; nil: CLOCK_REALTIME.
        public var clock: (@Sendable () -> UInt64)?
        public var hooks = Hooks()
        public init() {}
    }

    private struct State {
        var routes: SizedRouteTable
        var addresses: [CIDR] = []
    }

    // The fields are ordered and sized to keep the object small (a port is made per guest, and an
    // empty one is to cost at most 256 bytes, issue 11): the flags side by side, the limit as a
    // 32-bit number, the hooks (most ports have none) out of line.
    public let mac: MACAddress
    public let enforceRoutes: Bool
    /// What readers see: the address of a retained `PortSnapshot` (as a number: an atomic pointer
    /// is not Sendable), replaced with one release store per write.
    private let published: Atomic<UInt>
    /// Two seqlock sequences in one word (`WriteCounts`), so the port stays in its malloc size
    /// class: writes begun and ended, which a list of a large table checks (and tests read as
    /// the table's version); and of those, the writes that change several prefixes of a large
    /// table, which a lookup in one checks: a large table takes a change one prefix at a time.
    private let writes = Atomic<UInt64>(0)
    private let addressLimit: UInt32
    private let routeLimit: UInt32
    private let clock: @Sendable () -> UInt64
    /// nil: no hook (every hook call answers ENOTSUP).
    private let hookBox: HookBox?
    private let state: Locked<State>

    private final class HookBox: Sendable {
        let hooks: Hooks
        init(_ hooks: Hooks) { self.hooks = hooks }
    }

    public var maxAddresses: Int { Int(addressLimit) }
    private var maxRoutes: Int { Int(routeLimit) }
    private var hooks: Hooks { hookBox?.hooks ?? Hooks() }

    public init(_ configuration: Configuration = Configuration()) {
        mac = configuration.mac ?? MACAddress.randomLocallyAdministered()
        enforceRoutes = configuration.enforceRoutes
        addressLimit = UInt32(clamping: configuration.maxAddresses)
        routeLimit = UInt32(clamping: configuration.maxRoutes)
        // Not `??`: its generic result would wrap the closure in a thunk, a 32-byte allocation per port.
        if let given = configuration.clock { clock = given } else { clock = { Syscalls.realtimeNanoseconds() } }
        let hooks = configuration.hooks
        hookBox = hooks.bridge == nil && hooks.unbridge == nil && hooks.dhcpAcquire == nil ? nil : HookBox(hooks)
        state = Locked(State(routes: SizedRouteTable()))
        published = Atomic(0)
    }

    deinit {
        // No call on this port is running (the caller's promise), so no reader holds anything of
        // it: its own snapshot and table go at once, and whatever it retired earlier with them
        // when no read section is open anywhere.
        state.withLock { $0.routes.release() }
        let last = published.load(ordering: .acquiring)
        if last != 0 { Self.snapshot(at: last).release() }
        ReadSection.reclaimIfQuiescent()
    }

    // MARK: Routes

    public func addRoute(_ cidr: TaggedCIDR, via router: TaggedAddress,
                         preferredUntil: TaggedTimestamp, expiresAt: TaggedTimestamp) -> WasixErrno {
        let destination: CIDR
        switch cidr.validated() {
        case .success(let valid): destination = valid
        case .failure(let error): return error
        }
        guard !destination.hasHostBits else { return .inval }
        let nextHop: ScopedAddress?
        switch router {
        case .unspecifiedFamily:
            nextHop = nil
        case .ip(let address):
            guard address.ip.family == destination.address.ip.family, Self.canRoute(via: address.ip) else { return .inval }
            nextHop = address
        case .otherFamily:
            return .inval
        }
        guard case .success(let preferred) = Self.optional(preferredUntil),
              case .success(let expires) = Self.optional(expiresAt) else { return .inval }
        if let preferred, let expires, preferred > expires { return .inval }
        let now = clock()
        if let expires, expires <= now { return .inval }
        let route = Route(destination: destination, router: nextHop, preferredUntil: preferred, expiresAt: expires)
        return withState(at: now) { $0.routes.addRoute(route, maxRoutes: maxRoutes) }
    }

    public func removeRoutes(to address: TaggedAddress) -> WasixErrno {
        guard let ip = address.ipAddress?.ip else { return .inval }
        let now = clock()
        return withState(at: now) { state, changingSeveralPrefixes in
            state.routes.removeRoutes(to: ip, beforeSeveral: changingSeveralPrefixes) == 0 ? .noent : .success
        }
    }

    public func clearRoutes() -> WasixErrno {
        withState(at: nil) { $0.routes.removeAllRoutes(maxRoutes: maxRoutes) }
        return .success
    }

    /// Installs the default route of `router`'s family via it.
    public func setGateway(_ router: TaggedAddress) -> WasixErrno {
        guard let address = router.ipAddress, Self.canRoute(via: address.ip) else { return .inval }
        let now = clock()
        return withState(at: now) { $0.routes.setDefaultRoute(via: address, maxRoutes: maxRoutes) }
    }

    /// Calls `write` with the first `capacity` live routes in insertion order (`write` must not
    /// call into the port) and returns how many live routes there are: one state of the table.
    public func listRoutes(capacity: Int, _ write: (_ index: Int, _ route: Route) -> Void) -> Int {
        let now = clock()
        // Gathered first, handed to `write` after: a walk of a large table may be taken again.
        // Routes past their expiry at `now` are left out rather than removed: a list is a read.
        var gathered: [Route] = [], live = 0
        let visit = { (route: Route) -> Bool in
            if let expiresAt = route.expiresAt, expiresAt <= now { return true }
            if live < capacity { gathered.append(route) }
            live += 1
            return true
        }
        let listed = ReadSection.reading {
            withPublished(empty: true) { snapshot -> Bool in
                guard let large = snapshot.large else {
                    snapshot.compact.forEachRoute(visit)
                    return true
                }
                // A large table changes in place, one slot at a time, so a walk of it is whole
                // only if no write ran meanwhile: the write count tells (a seqlock's reader).
                for _ in 0..<Self.listAttempts {
                    let before = WriteCounts(writes.load(ordering: .acquiring))
                    guard !before.isWriting else { continue }
                    (gathered, live) = ([], 0)
                    large.forEachRoute(visit)
                    atomicMemoryFence(ordering: .acquiring)
                    if before.sawNoWrite(until: WriteCounts(writes.load(ordering: .relaxed))) { return true }
                }
                return false
            }
        }
        if !listed {
            // Writes kept coming: list under the lock, which holds them off for the walk.
            (gathered, live) = ([], 0)
            state.withLock { state in state.routes.forEachRoute(visit) }
        }
        for (index, route) in gathered.enumerated() { write(index, route) }
        return live
    }

    /// The route a datagram to `destination` takes, and whether it is deprecated.
    public func lookup(_ destination: TaggedAddress) -> Result<(route: Route, deprecated: Bool), WasixErrno> {
        guard let address = destination.ipAddress?.ip else { return .failure(.inval) }
        guard let (route, now) = liveMatch(for: address) else { return .failure(.netunreach) }
        return .success((route, now.map(route.isDeprecated(at:)) ?? false))
    }

    /// `lookup` for the answer nearly every lookup has, without building a `Route` (`PlainRoute`
    /// says why): the same search, the same rules, the same one state of the table; when the best
    /// match has more to say, `.needsFullAnswer` sends the caller to `lookup`.
    @inline(__always)
    public func plainLookup(_ address: IPAddress) -> PlainLookup {
        ReadSection.reading {
            withPublished(empty: .unreachable) { snapshot in
                guard let large = snapshot.large else { return snapshot.compact.plainMatch(for: address) }
                return inOneState({ large.plainMatch(for: address) }, otherwise: { .needsFullAnswer })
            }
        }
    }

    /// Whether a datagram to `address` has somewhere to go (for ENFORCE_ROUTES): `lookup` without
    /// its answer, for the per-datagram path.
    public func hasRoute(to address: IPAddress) -> Bool {
        switch plainLookup(address) {
        case .unreachable: return false
        case .found: return true
        case .needsFullAnswer: return liveMatch(for: address) != nil
        }
    }

    /// The longest match for `address` at the current instant, and that instant when the route
    /// has lifetimes (the clock is read only then, after the lookup and outside any section).
    ///
    /// A lookup takes no lock: it reads what is published. The one exception is exactness in
    /// time: when the best match has expired (wasixnet.h [port.lifetimes]: gone at expires_at),
    /// the answer is some shorter route, which only the table can tell once the expired one is
    /// out, so this reader becomes a writer for one call, drops what is due, and looks again.
    @inline(__always)
    private func liveMatch(for address: IPAddress) -> (Route, now: UInt64?)? {
        while true {
            guard let route = publishedMatch(for: address) else { return nil }
            guard route.hasLifetimes else { return (route, nil) }
            let now = clock()
            if let expiresAt = route.expiresAt, expiresAt <= now {
                dropExpired(at: now)
                continue
            }
            return (route, now)
        }
    }

    @inline(__always)
    private func publishedMatch(for address: IPAddress) -> Route? {
        ReadSection.reading {
            withPublished(empty: nil) { snapshot in
                guard let large = snapshot.large else { return snapshot.compact.longestMatch(for: address) }
                return wholeMatch(in: large, for: address)
            }
        }
    }

    /// A large table's answer as one state of it: a lookup that no more than one write ran through,
    /// and not a write of several prefixes (a seqlock's reader on `writes`). Why one write is the
    /// limit: each write of one prefix takes effect at one store, but a lookup that starts on an
    /// old path (a node a later write copied) and meets a store of the write after it, in a node
    /// both paths share, would see the second write without the first. If writes keep coming, the
    /// last attempt is made under the lock, the one case in which a lookup waits for a writer.
    @inline(__always)
    private func wholeMatch(in large: RouteTable.Reader, for address: IPAddress) -> Route? {
        inOneState({ large.longestMatch(for: address) }, otherwise: { matchUnderLock(for: address) })
    }

    /// What `read` (a lookup of the large table) answers in a run that saw one state of the table
    /// (`WriteCounts.seeOneState`); after `lockFreeAttempts` runs that writes overlapped, what
    /// `otherwise` answers.
    @inline(__always)
    private func inOneState<Answer>(_ read: () -> Answer, otherwise: () -> Answer) -> Answer {
        for _ in 0..<Self.lockFreeAttempts {
            let before = WriteCounts(writes.load(ordering: .acquiring))
            let answer = read()
            atomicMemoryFence(ordering: .acquiring)
            if before.seeOneState(until: WriteCounts(writes.load(ordering: .relaxed))) { return answer }
        }
        return otherwise()
    }

    /// The lookup's last resort and its one wait (kept out of line: the lock-free path it would
    /// otherwise bloat runs on every lookup).
    @inline(never)
    private func matchUnderLock(for address: IPAddress) -> Route? {
        state.withLock { $0.routes.longestMatchInPlace(for: address) }
    }

    /// A lookup that met an expired route drops what is due, as a write (out of line, as above).
    @inline(never)
    private func dropExpired(at now: UInt64) {
        withState(at: now) { _ in }
    }

    /// Calls `body` with the published snapshot, borrowed (no reference count is touched): only
    /// inside a read section, which keeps it alive. A port with no route, own prefix or address
    /// publishes none (an empty port is to cost at most 256 bytes, wasixnet.h [port.memory]), and
    /// the answer is then `empty`.
    @inline(__always)
    private func withPublished<Answer>(empty: Answer, _ body: (PortSnapshot) -> Answer) -> Answer {
        let address = published.load(ordering: .acquiring)
        return address == 0 ? empty : Self.snapshot(at: address)._withUnsafeGuaranteedRef(body)
    }

    /// A new snapshot's address, owning one reference to it.
    private static func address(of snapshot: PortSnapshot) -> UInt {
        UInt(bitPattern: Unmanaged.passRetained(snapshot).toOpaque())
    }

    @inline(__always)
    private static func snapshot(at address: UInt) -> Unmanaged<PortSnapshot> {
        Unmanaged.fromOpaque(UnsafeRawPointer(bitPattern: address).unsafelyUnwrapped)
    }

    /// Whether the table is in its short-array form (for the tests of the move between forms).
    var hasCompactTable: Bool { state.withLock { $0.routes.isCompact } }

    /// How often a list of a large table is tried without the lock before it takes it.
    private static let listAttempts = 8
    /// How often a lookup in a large table meets more writes than it may before it takes the lock
    /// (each meeting is a few loads: this is a short spin, a write a microsecond or more).
    private static let lockFreeAttempts = 256

    /// Writes begun and ended so far (odd: one is under way): the table's version, for tests.
    var writeSequence: UInt64 { UInt64(WriteCounts(writes.load(ordering: .acquiring)).all) }

    // MARK: Own addresses

    public func addAddress(_ cidr: TaggedCIDR) -> WasixErrno {
        let address: CIDR
        switch cidr.validated() {
        case .success(let valid): address = valid
        case .failure(let error): return error
        }
        guard !address.address.ip.isUnspecified, !address.address.ip.isMulticast else { return .inval }
        return withState(at: nil) { state in
            guard !state.addresses.contains(where: { $0.address.ip == address.address.ip }) else { return .exist }
            guard state.addresses.count < maxAddresses else { return .nomem }
            guard state.routes.addOnLink(address.network, maxRoutes: maxRoutes) else { return .nomem }
            state.addresses.append(address)
            return .success
        }
    }

    public func removeAddress(_ tagged: TaggedAddress) -> WasixErrno {
        guard let ip = tagged.ipAddress?.ip else { return .inval }
        return withState(at: nil) { state in
            guard let index = state.addresses.firstIndex(where: { $0.address.ip == ip }) else { return .noent }
            state.routes.removeOnLink(state.addresses.remove(at: index).network)
            return .success
        }
    }

    public func clearAddresses() -> WasixErrno {
        withState(at: nil) { state, changingSeveralPrefixes in
            if state.addresses.count > 1 { changingSeveralPrefixes() }
            for address in state.addresses { state.routes.removeOnLink(address.network) }
            state.addresses.removeAll()
        }
        return .success
    }

    /// Like `listRoutes`, for the own addresses (always from the published snapshot).
    public func listAddresses(capacity: Int, _ write: (_ index: Int, _ address: CIDR) -> Void) -> Int {
        ReadSection.reading {
            withPublished(empty: 0) { snapshot in
                for (index, address) in snapshot.addresses.prefix(capacity).enumerated() { write(index, address) }
                return snapshot.addresses.count
            }
        }
    }

    // MARK: The embedder's calls

    public func bridge(network: UnsafeRawBufferPointer, token: UnsafeRawBufferPointer, security: UInt64) -> WasixErrno {
        guard Self.isValidUTF8(network), Self.isValidUTF8(token) else { return .inval }
        guard security != 0, security & ~0xf == 0 else { return .inval }
        guard let hook = hooks.bridge else { return .notsup }
        return hook(network, token, UInt8(security))
    }

    public func unbridge() -> WasixErrno { hooks.unbridge?() ?? .notsup }

    public func dhcpAcquire() -> WasixErrno { hooks.dhcpAcquire?(self) ?? .notsup }

    // MARK: Helpers

    /// Runs `body` on the state with the lock held, after dropping what expired by `now` (nil:
    /// the body does not depend on lifetimes), then publishes the result to readers: a write.
    private func withState<Result>(at now: UInt64?, _ body: (inout State) -> Result) -> Result {
        withState(at: now) { state, _ in body(&state) }
    }

    /// The same for a body that may change several prefixes in one write: it calls its second
    /// argument before its first change when it is about to (expiries due are announced here).
    private func withState<Result>(at now: UInt64?, _ body: (inout State, _ changingSeveralPrefixes: () -> Void) -> Result) -> Result {
        state.withLock { state in
            var counts = WriteCounts(writes.load(ordering: .relaxed))
            counts.begin()
            writes.store(counts.word, ordering: .relaxed)
            atomicMemoryFence(ordering: .releasing)  // the odd count before any change (a seqlock's writer)
            // Only a large table changes in place; the short array is replaced whole, by `publish`.
            let isLarge = !state.routes.isCompact
            func announce() {
                guard isLarge && !counts.isChangingSeveralPrefixes else { return }
                counts.beginSeveralPrefixes()
                writes.store(counts.word, ordering: .relaxed)
                atomicMemoryFence(ordering: .releasing)
            }
            if let now, let next = state.routes.nextExpiry, next <= now {
                announce()
                state.routes.expireRoutes(at: now)
            }
            let result = body(&state, announce)
            publish(state)
            counts.end()
            writes.store(counts.word, ordering: .releasing)
            return result
        }
    }

    /// Makes `state` what readers see: a new snapshot in place of the old, which is retired.
    private func publish(_ state: State) {
        let compact = state.routes.compactForm, large = state.routes.largeReader
        let current = published.load(ordering: .relaxed)
        if current != 0 && Self.snapshot(at: current)._withUnsafeGuaranteedRef({ $0.isCurrent(large: large, addresses: state.addresses) }) {
            return
        }
        let isEmpty = compact?.entryCount == 0 && state.addresses.isEmpty
        let new = isEmpty ? 0 : Self.address(of: PortSnapshot(compact: compact, large: large, addresses: state.addresses))
        let old = published.exchange(new, ordering: .acquiringAndReleasing)
        if old != 0 { PortSnapshot.retire(Self.snapshot(at: old)) }
    }

    /// A next hop must be one host: not 0.0.0.0 / ::, not multicast, not the broadcast address.
    private static func canRoute(via router: IPAddress) -> Bool {
        !router.isUnspecified && !router.isMulticast && !router.isBroadcast
    }

    private static func optional(_ timestamp: TaggedTimestamp) -> Result<UInt64?, WasixErrno> {
        switch timestamp {
        case .none: .success(nil)
        case .some(let value): .success(value)
        case .invalidTag: .failure(.inval)
        }
    }

    private static func isValidUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
        !transcode(bytes.makeIterator(), from: UTF8.self, to: UTF32.self, stoppingOnError: true) { _ in }
    }
}

/// A 48-bit MAC address, held as one number (first octet in the low byte, as it lies in memory)
/// so that handing it out costs a single store.
public struct MACAddress: Hashable, Sendable {
    public let littleEndianValue: UInt64

    /// nil unless exactly six octets.
    public init?(_ octets: [UInt8]) {
        guard octets.count == 6 else { return nil }
        littleEndianValue = octets.enumerated().reduce(0) { $0 | UInt64($1.element) << (8 * $1.offset) }
    }

    public var octets: [UInt8] { (0..<6).map { UInt8(truncatingIfNeeded: littleEndianValue >> (8 * $0)) } }

    /// Random, with the locally administered bit set and the multicast bit clear (x2:…, x6:…,
    /// xA:…, xE:…), so it never collides with a vendor-assigned address.
    public static func randomLocallyAdministered() -> MACAddress {
        var generator = SystemRandomNumberGenerator()
        var octets = (0..<6).map { _ in UInt8.random(in: 0...255, using: &generator) }
        octets[0] = (octets[0] & 0xfc) | 0x02
        return MACAddress(octets)!
    }
}

/// A port's two write sequences, 32 bits each: every write steps `all` to odd when it begins and
/// to even when it ends; a write that changes several prefixes of a large table steps
/// `severalPrefixes` to odd before its first change and to even when it ends. (Wrapping after
/// 2^31 writes is harmless: a reader compares values from one short read, not counts.)
struct WriteCounts {
    private(set) var all: UInt32
    private(set) var severalPrefixes: UInt32

    init(_ word: UInt64) {
        all = UInt32(truncatingIfNeeded: word)
        severalPrefixes = UInt32(truncatingIfNeeded: word >> 32)
    }

    var word: UInt64 { UInt64(severalPrefixes) << 32 | UInt64(all) }

    /// A write is under way.
    var isWriting: Bool { all & 1 != 0 }

    /// A write of several prefixes is under way.
    var isChangingSeveralPrefixes: Bool { severalPrefixes & 1 != 0 }

    mutating func begin() { all &+= 1 }

    /// Within a write begun: it is about to change several prefixes.
    mutating func beginSeveralPrefixes() { severalPrefixes &+= 1 }

    mutating func end() {
        all &+= 1
        if isChangingSeveralPrefixes { severalPrefixes &+= 1 }
    }

    /// Whether a walk that read these counts before it and `after` after it ran while no write
    /// did (what a list of a large table needs: it reads many slots).
    func sawNoWrite(until after: WriteCounts) -> Bool { !isWriting && after.all == all }

    /// Whether a lookup of a large table that read these counts before it and `after` after it
    /// saw one state of the table: no write of several prefixes ran through it, and at most one
    /// write did (each of those takes effect at one store). From an even count two steps are one
    /// whole write; from an odd one (a write under way) one step ends it.
    func seeOneState(until after: WriteCounts) -> Bool {
        severalPrefixes & 1 == 0 && after.severalPrefixes == severalPrefixes && after.all &- all <= 2 &- (all & 1)
    }
}
