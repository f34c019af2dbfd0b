import CWasixNetSystem
import Testing
@testable import WasixNet

/// The large form's reader (`RouteTable.Reader`, for lock-free lookups) and its writer-side
/// queries against a naive oracle, through every kind of change: prefixes of every length (/0 to
/// /32 and /128), nested and sharing long paths, a route and an own prefix on the same prefix,
/// removals, default-route replacement and expiry (wasixnet.h [port.lookup], [port.lifetimes]).
@Suite struct RouteTableReaderOracleTests {
    /// What the table should hold: the routes in insertion order and the own prefixes.
    struct Oracle {
        var routes: [Route] = []
        var onLink: [Network: UInt32] = [:]

        func best(for address: IPAddress) -> Route? {
            var best: (route: Route, isRoute: Bool)?
            func consider(_ route: Route, isRoute: Bool) {
                let network = route.destination.network
                guard network.contains(address) else { return }
                if let current = best {
                    let length = network.prefixLength, currentLength = current.route.destination.prefixLength
                    guard length > currentLength || (length == currentLength && isRoute && !current.isRoute) else { return }
                }
                best = (route, isRoute)
            }
            for route in routes { consider(route, isRoute: true) }
            for network in onLink.keys {
                consider(Route(destination: CIDR(ScopedAddress(network.address), prefixLength: network.prefixLength)), isRoute: false)
            }
            return best?.route
        }
    }

    /// Addresses whose bytes come from a handful of values, so that prefixes of all lengths nest
    /// and share long paths (the trie's leaves get pushed down and pulled back up).
    static func randomAddress(_ family: IPAddress.Family, using generator: inout SeededGenerator) -> IPAddress {
        var bits: UInt128 = 0
        for _ in 0..<(family.width / 8) {
            let byte: UInt128 = [0, 1, 0x80, 0xff, UInt128(generator.next() & 0xff)].randomElement(using: &generator)!
            bits = bits << 8 | byte
        }
        return IPAddress(family: family, bits: bits)
    }

    static func randomNetwork(_ family: IPAddress.Family, using generator: inout SeededGenerator) -> Network {
        Network(randomAddress(family, using: &generator), prefixLength: UInt8(Int.random(in: 0...family.width, using: &generator)))
    }

    static func randomRouter(_ family: IPAddress.Family, using generator: inout SeededGenerator) -> ScopedAddress {
        let low = UInt128(generator.next() % 250 + 1)
        return family == .v4 ? ScopedAddress(IPAddress(v4: 0x0a00_0000 | UInt32(low)))
            : ScopedAddress(IPAddress(v6: 0xfe80 << 112 | low), flowInfo: UInt32(low % 3), scopeID: UInt32(low % 2))
    }

    func check(_ table: inout RouteTable, _ oracle: Oracle, _ family: IPAddress.Family, pool: [Network],
               using generator: inout SeededGenerator) {
        let reader = table.reader
        for _ in 0..<200 {
            // Half the probes inside a known prefix, half anywhere.
            var destination = Self.randomAddress(family, using: &generator)
            if Bool.random(using: &generator), let base = pool.randomElement(using: &generator) {
                let hostMask = ~base.address.mask(prefixLength: Int(base.prefixLength))
                destination = IPAddress(family: family, bits: base.address.bits | (destination.bits & hostMask))
            }
            let expected = oracle.best(for: destination)
            #expect(reader.longestMatch(for: destination) == expected, "reader lookup \(destination)")
            #expect(table.longestMatchInPlace(for: destination) == expected, "lookup \(destination)")
            #expect(reader.reaches(destination) == (expected != nil))
        }
        for network in pool {
            #expect(table.route(to: network) == oracle.routes.first { $0.destination.network == network })
        }
        #expect(table.routes == oracle.routes)
        var listed: [Route] = []
        reader.forEachRoute { listed.append($0); return true }
        #expect(listed == oracle.routes)
        #expect(reader.routeCount == oracle.routes.count)
        #expect(table.routeCount == oracle.routes.count)
        #expect(table.onLinkCount == oracle.onLink.count)
    }

    @Test(arguments: [IPAddress.Family.v4, .v6])
    func readerAndWriterAgreeWithTheOracleThroughEveryChange(family: IPAddress.Family) {
        var generator = SeededGenerator(seed: family == .v4 ? 41 : 61)
        var table = RouteTable(maxRoutes: 300)
        var oracle = Oracle()
        var now: UInt64 = 1000
        // A pool of prefixes that routes and own prefixes are drawn from, so that the same prefix
        // is often both, and /0 and the full length are always among them.
        var pool = (0..<150).map { _ in Self.randomNetwork(family, using: &generator) }
        pool.append(Network(IPAddress(family: family, bits: 0), prefixLength: 0))
        pool.append(Network(Self.randomAddress(family, using: &generator), prefixLength: UInt8(family.width)))
        for step in 0..<3000 {
            let network = pool.randomElement(using: &generator)!
            switch Int.random(in: 0..<100, using: &generator) {
            case 0..<40:
                let expiresAt: UInt64? = Int.random(in: 0..<4, using: &generator) == 0 ? now + UInt64.random(in: 1...50, using: &generator) : nil
                let preferredUntil: UInt64? = expiresAt.map { $0 - 1 }
                let router: ScopedAddress? = Bool.random(using: &generator) ? Self.randomRouter(family, using: &generator) : nil
                let destination = family == .v6
                    ? ScopedAddress(network.address, flowInfo: UInt32(step % 2), scopeID: 0) : ScopedAddress(network.address)
                let route = Route(destination: CIDR(destination, prefixLength: network.prefixLength), router: router,
                                  preferredUntil: preferredUntil, expiresAt: expiresAt)
                let exists = oracle.routes.contains { $0.destination.network == network }
                let full = oracle.routes.count >= table.maxRoutes
                #expect(table.addRoute(route) == (exists ? .exist : full ? .nomem : .success))
                if !exists && !full { oracle.routes.append(route) }
            case 40..<65:
                let address = Bool.random(using: &generator) ? network.address
                    : oracle.routes.randomElement(using: &generator)?.destination.address.ip ?? network.address
                let removed = oracle.routes.filter { $0.destination.address.ip == address }.count
                #expect(table.removeRoutes(to: address) == removed)
                oracle.routes.removeAll { $0.destination.address.ip == address }
            case 65..<78:
                let added = table.addOnLink(network)
                #expect(added)
                oracle.onLink[network, default: 0] += 1
            case 78..<90:
                guard let own = oracle.onLink.keys.randomElement(using: &generator) else { break }
                table.removeOnLink(own)
                oracle.onLink[own]! -= 1
                if oracle.onLink[own] == 0 { oracle.onLink[own] = nil }
            case 90..<95:
                let router = Self.randomRouter(family, using: &generator)
                let defaultNetwork = Network(IPAddress(family: family, bits: 0), prefixLength: 0)
                let replacement = Route(destination: CIDR(ScopedAddress(defaultNetwork.address), prefixLength: 0), router: router)
                let full = oracle.routes.count >= table.maxRoutes
                if let index = oracle.routes.firstIndex(where: { $0.destination.network == defaultNetwork }) {
                    #expect(table.setDefaultRoute(via: router) == .success)
                    oracle.routes[index] = replacement
                } else {
                    #expect(table.setDefaultRoute(via: router) == (full ? .nomem : .success))
                    if !full { oracle.routes.append(replacement) }
                }
            default:
                now += UInt64.random(in: 1...20, using: &generator)
                table.expireRoutes(at: now)
                oracle.routes.removeAll { $0.expiresAt.map { $0 <= now } ?? false }
            }
            #expect(table.routesWithLifetimes == oracle.routes.filter(\.hasLifetimes).count)
            // Freed ids are reused only after a grace period: let one pass now and then, not always.
            if step % 3 == 0 { table.freeRetiredNow() }
            if step % 50 == 49 { check(&table, oracle, family, pool: pool, using: &generator) }
        }
        table.removeAllRoutes()
        oracle.routes = []
        check(&table, oracle, family, pool: pool, using: &generator)
    }

    /// Retired blocks are handed over, not freed, until the owner says so; retireAll hands over
    /// the rest. Freeing all of them with free() leaves nothing behind (the ASan run's leak check).
    @Test func retirementHandsOverEveryBlockOnce() {
        var table = RouteTable(maxRoutes: 1000)
        for i in 0..<500 {
            let route = Route(destination: CIDR(ScopedAddress(IPAddress(v4: UInt32(i) << 12)), prefixLength: 20),
                              expiresAt: i % 2 == 0 ? 10_000 : nil)
            #expect(table.addRoute(route) == .success)
        }
        let reader = table.reader
        var retired: [UnsafeMutableRawPointer] = []
        table.takeRetired { retired.append($0) }
        #expect(!retired.isEmpty)
        #expect(Set(retired).count == retired.count)
        // A removal retires what it unlinked; the reader still answers for what stays.
        #expect(table.removeRoutes(to: IPAddress(v4: 7 << 12)) == 1)
        var more: [UnsafeMutableRawPointer] = []
        table.takeRetired { more.append($0) }
        #expect(!more.isEmpty)
        #expect(Set(retired).isDisjoint(with: more))
        #expect(reader.longestMatch(for: IPAddress(v4: 8 << 12 | 5))?.destination.prefixLength == 20)
        #expect(reader.longestMatch(for: IPAddress(v4: 7 << 12 | 5)) == nil)
        table.reuseIDsPastTheirWait()
        var rest: [UnsafeMutableRawPointer] = []
        table.retireAll { rest.append($0) }
        #expect(Set(rest).isDisjoint(with: retired + more))
        for block in retired + more + rest { free(block) }
    }
}
