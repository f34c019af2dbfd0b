import Testing
@testable import WasixNet

/// The port's two forms of table (a short array while small, the trie past
/// `SizedRouteTable.compactLimit` entries): the same answers in both, across the moves.
@Suite struct PortFormTests {
    /// Routes 192.168.i.0/24 that push the table into its large form.
    static func fill(_ port: Port, _ count: Int) {
        for i in 0..<count { #expect(port.addRoute(v4(192, 168, UInt8(i), 0), 24) == .success) }
    }

    /// A reader at now >= expires_at does not see the route, though no writer ran since
    /// (wasixnet.h [port.lifetimes]): in both forms, for lookups, the ENFORCE_ROUTES check and lists.
    @Test(arguments: [0, 30]) func expiryIsExactWithNoWriter(filler: Int) {
        let clock = ManualClock(100)
        let port = makePort(clock: clock)
        Self.fill(port, filler)
        #expect(port.addRoute(v4(10, 0, 0, 0), 8) == .success)
        #expect(port.addRoute(v4(10, 9, 0, 0), 16, preferredUntil: 150, expiresAt: 200) == .success)
        #expect(port.addRoute(v4(10, 9, 9, 0), 24, expiresAt: 300) == .success)
        #expect(port.hasCompactTable == (filler == 0))
        let before = port.routes.count
        clock.set(150)
        if case .success(let found) = port.lookup(tagged(v4(10, 9, 1, 1))) {
            #expect(found.route.destination.prefixLength == 16)
            #expect(found.deprecated)
        } else { Issue.record("no route at 150") }
        clock.set(200)
        #expect(port.lookupRoute(v4(10, 9, 1, 1))?.destination.prefixLength == 8)
        #expect(port.lookupRoute(v4(10, 9, 9, 1))?.destination.prefixLength == 24)
        #expect(port.routes.count == before - 1)
        clock.set(300)
        #expect(port.lookupRoute(v4(10, 9, 9, 1))?.destination.prefixLength == 8)
        #expect(port.hasRoute(to: v4(10, 9, 9, 1)))
        #expect(!port.hasRoute(to: v4(11, 0, 0, 1)))
        #expect(port.routes.count == before - 2)
        // The next write drops them for good; the prefixes are free again.
        #expect(port.addRoute(v4(10, 9, 0, 0), 16) == .success)
        #expect(port.addRoute(v4(10, 9, 9, 0), 24) == .success)
    }

    /// `plainLookup` (what the C ABI's lookup and the ENFORCE_ROUTES check ask first) answers as
    /// `lookup` does, in both forms and both families: the same route where it has nothing beyond
    /// a `PlainRoute` to say, `.needsFullAnswer` where it has lifetimes, a flow info or a scope id,
    /// `.unreachable` where `lookup` says ENETUNREACH.
    @Test(arguments: [0, 30]) func plainLookupAgreesWithLookup(filler: Int) {
        let port = makePort(clock: ManualClock(100))
        Self.fill(port, filler)
        #expect(port.addAddress(taggedCIDR(v4(10, 0, 0, 5), 24)) == .success)
        #expect(port.addRoute(v4(10, 0, 0, 0), 8, via: v4(10, 0, 0, 1)) == .success)
        #expect(port.addRoute(v4(10, 7, 0, 0), 16, expiresAt: 500) == .success)
        #expect(port.addRoute(v4(10, 8, 0, 0), 16, preferredUntil: 90) == .success)
        #expect(port.addRoute(v6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 32, via: v6(0xfe80, 0, 0, 0, 0, 0, 0, 1)) == .success)
        let scoped = ScopedAddress(v6(0x2001, 0xdb8, 5, 0, 0, 0, 0, 0), flowInfo: 0, scopeID: 2)
        #expect(port.addRoute(TaggedCIDR(address: .ip(scoped), prefixLength: 48), via: .unspecifiedFamily,
                              preferredUntil: .none, expiresAt: .none) == .success)
        #expect(port.hasCompactTable == (filler == 0))
        let plain: [(IPAddress, UInt8)] = [(v4(10, 0, 0, 77), 24), (v4(10, 9, 1, 1), 8), (v6(0x2001, 0xdb8, 1, 0, 0, 0, 0, 1), 32)]
        for (address, length) in plain {
            guard case .found(let found) = port.plainLookup(address) else {
                Issue.record("\(address): \(port.plainLookup(address))")
                continue
            }
            #expect(found.prefixLength == length)
            #expect(found.route == port.lookupRoute(address))
        }
        for address in [v4(10, 7, 1, 1), v4(10, 8, 1, 1), v6(0x2001, 0xdb8, 5, 0, 0, 0, 0, 1)] {
            #expect(port.plainLookup(address) == .needsFullAnswer)
            #expect(port.lookupRoute(address) != nil)
        }
        for address in [v4(11, 0, 0, 1), v6(0x2002, 0, 0, 0, 0, 0, 0, 1)] {
            #expect(port.plainLookup(address) == .unreachable)
            #expect(port.lookupRoute(address) == nil)
            #expect(!port.hasRoute(to: address))
        }
        #expect(port.hasRoute(to: v4(10, 7, 1, 1)) && port.hasRoute(to: v4(10, 9, 1, 1)))
    }

    /// Growing past the limit and shrinking back keeps the order, lifetimes, scopes and
    /// own prefixes, and the answers.
    @Test func movesBetweenFormsKeepEverything() {
        let port = makePort(clock: ManualClock(10))
        #expect(port.addAddress(taggedCIDR(v4(10, 0, 0, 5), 24)) == .success)
        #expect(port.addAddress(taggedCIDR(v4(10, 0, 0, 6), 24)) == .success)
        let scoped = ScopedAddress(v6(0xfe80, 0, 0, 0, 0, 0, 0, 0), flowInfo: 7, scopeID: 3)
        #expect(port.addRoute(TaggedCIDR(address: .ip(scoped), prefixLength: 64),
                              via: .ip(ScopedAddress(v6(0xfe80, 0, 0, 0, 0, 0, 0, 1), flowInfo: 1, scopeID: 3)),
                              preferredUntil: .some(50), expiresAt: .some(90)) == .success)
        #expect(port.setGateway(tagged(v4(10, 0, 0, 1))) == .success)
        let small = port.routes
        #expect(port.hasCompactTable)
        Self.fill(port, 20)
        #expect(!port.hasCompactTable)
        #expect(Array(port.routes.prefix(small.count)) == small)
        #expect(port.lookupRoute(v4(10, 0, 0, 77))?.router == nil)
        #expect(port.lookupRoute(v4(10, 0, 0, 77))?.destination.prefixLength == 24)
        for i in 0..<20 { #expect(port.removeRoutes(to: tagged(v4(192, 168, UInt8(i), 0))) == .success) }
        #expect(port.hasCompactTable)
        #expect(port.routes == small)
        #expect(port.lookupRoute(v4(10, 0, 0, 77))?.destination.prefixLength == 24)
        // Both own addresses hold the on-link prefix: it goes with the second.
        #expect(port.removeAddress(tagged(v4(10, 0, 0, 5))) == .success)
        #expect(port.lookupRoute(v4(10, 0, 0, 77))?.destination.prefixLength == 24)
        #expect(port.removeAddress(tagged(v4(10, 0, 0, 6))) == .success)
        #expect(port.lookupRoute(v4(10, 0, 0, 77))?.destination.prefixLength == 0)
    }

    /// The short array's entry stays at 56 bytes (a typical port's seven fit the 1 KiB budget).
    @Test func compactEntriesStayAt56Bytes() {
        #expect(MemoryLayout<CompactRouteTable.Entry>.stride == 56)
    }

    /// The short array keeps lookup order (longest first) apart from list order (insertion).
    @Test func listOrderIsInsertionOrderWhateverTheLengths() {
        let port = makePort()
        let added: [(IPAddress, UInt8)] = [(v4(10, 0, 0, 0), 8), (v4(10, 1, 1, 0), 24), (v4(0, 0, 0, 0), 0),
                                           (v4(10, 1, 0, 0), 16), (v4(10, 1, 1, 1), 32)]
        for (address, length) in added { #expect(port.addRoute(address, length) == .success) }
        #expect(port.routes.map(\.destination.prefixLength) == added.map(\.1))
        #expect(port.lookupRoute(v4(10, 1, 1, 1))?.destination.prefixLength == 32)
        #expect(port.lookupRoute(v4(10, 1, 1, 2))?.destination.prefixLength == 24)
        #expect(port.lookupRoute(v4(10, 1, 2, 2))?.destination.prefixLength == 16)
        #expect(port.lookupRoute(v4(11, 1, 2, 2))?.destination.prefixLength == 0)
    }

    /// An emptied port goes back to the short array: memory returns when routes go.
    @Test func anEmptiedPortGoesBackToTheShortArray() {
        let port = makePort()
        Self.fill(port, 30)
        #expect(port.addAddress(taggedCIDR(v4(10, 0, 0, 5), 24)) == .success)
        #expect(!port.hasCompactTable)
        #expect(port.clearRoutes() == .success)
        #expect(port.hasCompactTable)
        #expect(port.lookupRoute(v4(10, 0, 0, 1))?.destination.prefixLength == 24)
        #expect(port.clearAddresses() == .success)
        #expect(port.lookupRoute(v4(10, 0, 0, 1)) == nil)
        #expect(port.routes.isEmpty)
    }

    /// The short array's masks at the edges of each family: /0, /32, and IPv6 /64 and /128.
    @Test func shortArrayMatchesEveryPrefixLengthEdge() {
        let port = makePort()
        #expect(port.addRoute(v4(0, 0, 0, 0), 0) == .success)
        #expect(port.addRoute(v4(10, 1, 2, 3), 32) == .success)
        #expect(port.addRoute(v6(0x2001, 0xdb8, 0, 1, 0, 0, 0, 0), 64) == .success)
        #expect(port.addRoute(v6(0x2001, 0xdb8, 0, 1, 0, 0, 0, 9), 128) == .success)
        #expect(port.addRoute(v6(0x2001, 0xdb8, 0, 1, 0x8000, 0, 0, 0), 65) == .success)
        #expect(port.hasCompactTable)
        #expect(port.lookupRoute(v4(10, 1, 2, 3))?.destination.prefixLength == 32)
        #expect(port.lookupRoute(v4(10, 1, 2, 4))?.destination.prefixLength == 0)
        #expect(port.lookupRoute(v6(0x2001, 0xdb8, 0, 1, 0, 0, 0, 9))?.destination.prefixLength == 128)
        #expect(port.lookupRoute(v6(0x2001, 0xdb8, 0, 1, 0, 0, 0, 8))?.destination.prefixLength == 64)
        #expect(port.lookupRoute(v6(0x2001, 0xdb8, 0, 1, 0x8000, 0, 0, 8))?.destination.prefixLength == 65)
        #expect(port.lookupRoute(v6(0x2001, 0xdb8, 0, 2, 0, 0, 0, 9)) == nil)
    }
}
