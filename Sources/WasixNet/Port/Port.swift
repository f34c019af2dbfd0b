import Synchronization

/// One guest's network interface: its own addresses (whose prefixes are on-link), its MAC, and
/// its routing table, with the embedder's clock and hooks.
///
/// Every method validates the guest's input in the contract's order before it changes anything,
/// and answers with a WASIX error number. Readers (lookups, the ENFORCE_ROUTES check, the lists)
/// take no lock: they read the published `PortSnapshot` inside a `ReadSection`. Writers are
/// serialized by one lock per port and never change what is published: each builds the next
/// state in a copy, publishes it with one atomic store, waits for the readers that may hold the
/// old one, and only then frees it, or, for a table in its large form, replays the same change
/// on it and keeps it as the next write's copy (left-right: a big table is never copied whole).
/// The clock and the hooks are always called with no lock held and outside any read section, so
/// a hook may call back into the port.
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

    /// What only writers touch, under the lock.
    private struct Writer {
        /// The large-form state readers last saw before the current one, brought up to date and
        /// seen by no reader: the next write changes and publishes it.
        var spare: PortSnapshot?
        var version: UInt64 = 0
    }

    // The fields are ordered and sized to keep the object small (a port is made per guest, and
    // an empty one is to cost at most 256 bytes, issue 11): the flags side by
    // side, the limits as 32-bit numbers, the hooks (most ports have none) out of line.
    public let mac: MACAddress
    public let enforceRoutes: Bool
    /// Whether any route has a lifetime, readable without the lock: while false, a lookup needs
    /// no clock reading.
    private let timeMatters = Atomic<Bool>(false)
    private let addressLimit: UInt32
    private let routeLimit: UInt32
    private let clock: @Sendable () -> UInt64
    /// nil: no hook (every hook call answers ENOTSUP).
    private let hookBox: HookBox?
    private let writer: Locked<Writer>
    /// The current `PortSnapshot`, retained, as its address (0: nothing routed, no address; an
    /// address because a pointer is not Sendable).
    private let published = Atomic<UInt>(0)

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
        clock = configuration.clock ?? { Syscalls.realtimeNanoseconds() }
        let hooks = configuration.hooks
        hookBox = hooks.bridge == nil && hooks.unbridge == nil && hooks.dhcpAcquire == nil ? nil : HookBox(hooks)
        writer = Locked(Writer())
    }

    deinit {
        if let raw = UnsafeRawPointer(bitPattern: published.load(ordering: .relaxed)) {
            Unmanaged<PortSnapshot>.fromOpaque(raw).release()
        }
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
        return write(at: now) { $0.routes.addRoute(route) }
    }

    public func removeRoutes(to address: TaggedAddress) -> WasixErrno {
        guard let ip = address.ipAddress?.ip else { return .inval }
        let now = clock()
        return write(at: now) { $0.routes.removeRoutes(to: ip) == 0 ? .noent : .success }
    }

    public func clearRoutes() -> WasixErrno {
        write(at: nil) { $0.routes.removeAllRoutes() }
        return .success
    }

    /// Installs the default route of `router`'s family via it.
    public func setGateway(_ router: TaggedAddress) -> WasixErrno {
        guard let address = router.ipAddress, Self.canRoute(via: address.ip) else { return .inval }
        let now = clock()
        return write(at: now) { $0.routes.setDefaultRoute(via: address) }
    }

    /// Calls `write` with the first `capacity` live routes in insertion order (inside a read
    /// section: `write` must not call into the port) and returns how many routes there are.
    public func listRoutes(capacity: Int, _ write: (_ index: Int, _ route: Route) -> Void) -> Int {
        read { snapshot, now in
            snapshot?._withUnsafeGuaranteedRef { snapshot in
                var index = 0
                return snapshot.forEachRoute(liveAt: now) { route in
                    guard index < capacity else { return false }
                    write(index, route)
                    index += 1
                    return true
                }
            } ?? 0
        }
    }

    /// The route a datagram to `destination` takes, and whether it is deprecated.
    public func lookup(_ destination: TaggedAddress) -> Result<(route: Route, deprecated: Bool), WasixErrno> {
        guard let address = destination.ipAddress?.ip else { return .failure(.inval) }
        return read { snapshot, now in
            guard let route = snapshot?._withUnsafeGuaranteedRef({ $0.longestMatch(for: address, at: now) }) else {
                return .failure(.netunreach)
            }
            return .success((route, now.map(route.isDeprecated(at:)) ?? false))
        }
    }

    /// Whether a datagram to `address` has somewhere to go (for ENFORCE_ROUTES): the cheap form
    /// of `lookup`, for the per-datagram path.
    public func hasRoute(to address: IPAddress) -> Bool {
        read { snapshot, now in snapshot?._withUnsafeGuaranteedRef { $0.reaches(address, at: now) } ?? false }
    }

    /// `lookup`'s route with the version of the state that answered (for the concurrency tests).
    func versionedLookup(_ address: IPAddress) -> (version: UInt64, route: Route?) {
        read { snapshot, now in
            snapshot?._withUnsafeGuaranteedRef { ($0.version, $0.longestMatch(for: address, at: now)) } ?? (0, nil)
        }
    }

    /// The route list with the version of the state it came from (for the concurrency tests).
    func versionedRoutes() -> (version: UInt64, routes: [Route]) {
        read { snapshot, now in
            snapshot?._withUnsafeGuaranteedRef { snapshot in
                var routes: [Route] = []
                _ = snapshot.forEachRoute(liveAt: now) { routes.append($0); return true }
                return (snapshot.version, routes)
            } ?? (0, [])
        }
    }

    /// Whether the table is in its short-array form (for the tests of the move between forms).
    var hasCompactTable: Bool {
        read { snapshot, _ in snapshot?._withUnsafeGuaranteedRef { $0.isCompact } ?? true }
    }

    /// Runs `query` on the published state (nil: empty) inside a read section: no lock, and the
    /// state cannot be freed meanwhile. The clock is read (never inside the section) only while
    /// some route has a lifetime; `now` is nil when none has, and every answer is exact at `now`
    /// (wasixnet.h [port.lifetimes]): expired routes no writer has dropped yet are skipped.
    /// The state comes unretained: a retain would write its reference count, a cache line every
    /// reader of the port would then write; the read section keeps it alive instead, so `query`
    /// borrows it (`_withUnsafeGuaranteedRef`) and must not keep it.
    @inline(__always)
    private func read<Answer>(_ query: (Unmanaged<PortSnapshot>?, _ now: UInt64?) -> Answer) -> Answer {
        var now: UInt64? = timeMatters.load(ordering: .relaxed) ? clock() : nil
        while true {
            let section = ReadSection.enter()
            let snapshot = UnsafeRawPointer(bitPattern: published.load(ordering: .sequentiallyConsistent))
                .map { Unmanaged<PortSnapshot>.fromOpaque($0) }
            if now == nil, let snapshot, snapshot._withUnsafeGuaranteedRef({ $0.routesWithLifetimes > 0 }) {
                // A route with a lifetime came in meanwhile: read the clock (outside the section),
                // then look again.
                ReadSection.exit(section)
                now = clock()
                continue
            }
            let answer = query(snapshot, now)
            ReadSection.exit(section)
            return answer
        }
    }

    // MARK: Own addresses

    public func addAddress(_ cidr: TaggedCIDR) -> WasixErrno {
        let address: CIDR
        switch cidr.validated() {
        case .success(let valid): address = valid
        case .failure(let error): return error
        }
        guard !address.address.ip.isUnspecified, !address.address.ip.isMulticast else { return .inval }
        return write(at: nil) { state in
            guard !state.addresses.contains(where: { $0.address.ip == address.address.ip }) else { return .exist }
            guard state.addresses.count < maxAddresses else { return .nomem }
            state.addresses.append(address)
            state.routes.addOnLink(address.network)
            return .success
        }
    }

    public func removeAddress(_ tagged: TaggedAddress) -> WasixErrno {
        guard let ip = tagged.ipAddress?.ip else { return .inval }
        return write(at: nil) { state in
            guard let index = state.addresses.firstIndex(where: { $0.address.ip == ip }) else { return .noent }
            state.routes.removeOnLink(state.addresses.remove(at: index).network)
            return .success
        }
    }

    public func clearAddresses() -> WasixErrno {
        write(at: nil) { state in
            for address in state.addresses { state.routes.removeOnLink(address.network) }
            state.addresses.removeAll()
        }
        return .success
    }

    /// Like `listRoutes`, for the own addresses.
    public func listAddresses(capacity: Int, _ write: (_ index: Int, _ address: CIDR) -> Void) -> Int {
        read { snapshot, _ in
            snapshot?._withUnsafeGuaranteedRef { snapshot in
                for (index, address) in snapshot.addresses.prefix(capacity).enumerated() { write(index, address) }
                return snapshot.addresses.count
            } ?? 0
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

    /// Makes the change `body` describes (after dropping what expired by `now`; nil: the change
    /// does not depend on lifetimes) and publishes its result, atomically to every reader. `body`
    /// must be a function of the state alone: on a large table it runs twice, on the state that is
    /// published and then, once no reader can see it any more, on the one it replaced (left-right:
    /// a large table is changed in place, never copied whole, at the cost of a second copy).
    private func write<Result>(at now: UInt64?, _ body: (inout PortState) -> Result) -> Result {
        writer.withLock { writer in
            // Only writers store it, under this lock.
            let previous = UnsafeMutableRawPointer(bitPattern: published.load(ordering: .relaxed))
            var state: PortState
            if writer.spare != nil {
                state = PortSnapshot.unpack(writer.spare.take()!)
            } else if let previous {
                state = PortSnapshot.unpack(Unmanaged<PortSnapshot>.fromOpaque(previous).takeUnretainedValue())
            } else {
                state = PortState(routes: SizedRouteTable(maxRoutes: maxRoutes))
            }
            if let now { state.routes.expireRoutes(at: now) }
            let result = body(&state)
            writer.version += 1
            let isEmpty = state.isEmpty, isCompact = state.routes.isCompact
            timeMatters.store(state.routes.routesWithLifetimes > 0, ordering: .relaxed)
            let next = isEmpty ? 0 : UInt(bitPattern: Unmanaged.passRetained(PortSnapshot(state, version: writer.version)).toOpaque())
            published.store(next, ordering: .sequentiallyConsistent)
            guard let previous else { return result }
            ReadSection.waitForReaders()
            let replaced = Unmanaged<PortSnapshot>.fromOpaque(previous).takeRetainedValue()
            if !isCompact && !replaced.isCompact {
                var again = PortSnapshot.unpack(consume replaced)
                if let now { again.routes.expireRoutes(at: now) }
                _ = body(&again)
                writer.spare = PortSnapshot(again, version: writer.version)
            }
            return result
        }
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
