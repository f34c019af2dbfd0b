import Testing
@testable import WasixNet

/// The route table against the obvious answer: a linear scan over every prefix, on thousands of
/// random prefixes and destinations, through additions, removals and own prefixes.
@Suite struct RouteTableOracleTests {
    /// What the table should hold, kept as a flat list.
    struct Oracle {
        var routes: [Network] = []
        var onLink: [Network] = []

        /// Longest match; at equal length an explicit route beats an own prefix.
        func best(for address: IPAddress) -> (network: Network, isRoute: Bool)? {
            var best: (network: Network, isRoute: Bool)?
            for (networks, isRoute) in [(routes, true), (onLink, false)] {
                for network in networks where network.contains(address) {
                    if let current = best {
                        let longer = network.prefixLength > current.network.prefixLength
                        let tieWon = network.prefixLength == current.network.prefixLength && isRoute && !current.isRoute
                        guard longer || tieWon else { continue }
                    }
                    best = (network, isRoute)
                }
            }
            return best
        }
    }

    static let router4 = ScopedAddress(IPAddress(v4: 0x0a00_0001))
    static let router6 = ScopedAddress(IPAddress(v6: 0xfe80 << 112 | 1))

    static func randomNetwork(_ family: IPAddress.Family, using generator: inout SeededGenerator) -> Network {
        let width = family.width
        // Few short prefixes, many mid-length ones, some host routes: like real tables, and
        // dense enough that prefixes nest in each other.
        let length: Int
        switch Int.random(in: 0..<10, using: &generator) {
        case 0: length = Int.random(in: 0...(width / 4), using: &generator)
        case 1...7: length = Int.random(in: (width / 4)...(3 * width / 4), using: &generator)
        default: length = Int.random(in: (3 * width / 4)...width, using: &generator)
        }
        let bits = UInt128(generator.next()) << 64 | UInt128(generator.next())
        // Keep the top bits in a small space so prefixes overlap.
        let narrowed = family == .v4 ? (bits & 0x00ff_ffff) | 0x0a00_0000 : (bits >> 16) | (0x2001 << 112)
        return Network(IPAddress(family: family, bits: narrowed), prefixLength: UInt8(length))
    }

    static func randomDestination(near networks: [Network], _ family: IPAddress.Family,
                                  using generator: inout SeededGenerator) -> IPAddress {
        let bits = UInt128(generator.next()) << 64 | UInt128(generator.next())
        guard let base = networks.randomElement(using: &generator), Bool.random(using: &generator) else {
            return IPAddress(family: family, bits: family == .v4 ? (bits & 0x00ff_ffff) | 0x0a00_0000 : (bits >> 16) | (0x2001 << 112))
        }
        // Inside a known prefix, with random host bits.
        let hostMask = ~base.address.mask(prefixLength: Int(base.prefixLength))
        return IPAddress(family: family, bits: base.address.bits | (bits & hostMask))
    }

    func check(_ table: RouteTable, _ oracle: Oracle, family: IPAddress.Family, probes: Int,
               using generator: inout SeededGenerator) {
        let all = oracle.routes + oracle.onLink
        for _ in 0..<probes {
            let destination = Self.randomDestination(near: all, family, using: &generator)
            let expected = oracle.best(for: destination)
            let got = table.longestMatch(for: destination)
            #expect(got?.destination.network == expected?.network, "lookup \(destination)")
            #expect((got?.router != nil) == (expected?.isRoute ?? false), "kind for \(destination)")
        }
    }

    @Test(arguments: [IPAddress.Family.v4, .v6])
    func randomTablesMatchALinearScan(family: IPAddress.Family) {
        var generator = SeededGenerator(seed: family == .v4 ? 4 : 6)
        var table = RouteTable(maxRoutes: 100_000)
        var oracle = Oracle()
        let router = family == .v4 ? Self.router4 : Self.router6

        for _ in 0..<3000 {
            let network = Self.randomNetwork(family, using: &generator)
            let route = Route(destination: CIDR(ScopedAddress(network.address), prefixLength: network.prefixLength), router: router)
            let result = table.addRoute(route)
            #expect(result == (oracle.routes.contains(network) ? .exist : .success))
            if result == .success { oracle.routes.append(network) }
        }
        for _ in 0..<200 {
            let network = Self.randomNetwork(family, using: &generator)
            let added = table.addOnLink(network)
            #expect(added)
            if !oracle.onLink.contains(network) { oracle.onLink.append(network) } else { table.removeOnLink(network) }
        }
        #expect(table.routeCount == oracle.routes.count)
        check(table, oracle, family: family, probes: 5000, using: &generator)

        // Remove a third of the routes and half of the own prefixes, then look again.
        oracle.routes.shuffle(using: &generator)
        for network in oracle.routes.suffix(oracle.routes.count / 3) {
            // 0 when an earlier removal of the same address took this prefix too.
            _ = table.removeRoutes(to: network.address)
        }
        oracle.routes = oracle.routes.filter { table.route(to: $0) != nil }
        for network in oracle.onLink.suffix(oracle.onLink.count / 2) { table.removeOnLink(network) }
        oracle.onLink.removeLast(oracle.onLink.count / 2)
        #expect(table.routeCount == oracle.routes.count)
        check(table, oracle, family: family, probes: 5000, using: &generator)

        // Listing keeps insertion order.
        let listed = table.routes.map(\.destination.network)
        #expect(Set(listed) == Set(oracle.routes))

        table.removeAllRoutes()
        #expect(table.routeCount == 0)
        oracle.routes = []
        check(table, oracle, family: family, probes: 2000, using: &generator)
    }

    @Test(arguments: [IPAddress.Family.v4, .v6])
    func removingEverythingFoldsTheTrieBackToItsRoot(family: IPAddress.Family) {
        var generator = SeededGenerator(seed: 99)
        var table = RouteTable(maxRoutes: 10_000)
        var added: [Network] = []
        for _ in 0..<2000 {
            let network = Self.randomNetwork(family, using: &generator)
            if table.addRoute(Route(destination: CIDR(ScopedAddress(network.address), prefixLength: network.prefixLength))) == .success {
                added.append(network)
            }
        }
        table.freeRetiredNow()
        let (nodes, leaves) = (table.trieNodes, table.trieLeaves)
        #expect(nodes > 0)
        for network in added.shuffled(using: &generator) { _ = table.removeRoutes(to: network.address) }
        table.freeRetiredNow()
        #expect(table.routeCount == 0)
        #expect(table.trieNodes == 0)
        #expect(table.trieLeaves == 0)
        #expect(table.longestMatch(for: Self.randomDestination(near: added, family, using: &generator)) == nil)
        // The shape depends only on what the trie holds, not on the order it came in.
        for network in added.shuffled(using: &generator) {
            _ = table.addRoute(Route(destination: CIDR(ScopedAddress(network.address), prefixLength: network.prefixLength)))
        }
        table.freeRetiredNow()
        #expect(table.trieNodes == nodes)
        #expect(table.trieLeaves == leaves)
    }

    /// Sparse IPv6 prefixes hang from leaves in their parents' child slots, not from chains of
    /// single-child nodes.
    @Test func sparseIPv6PrefixesCostFewNodes() {
        var generator = SeededGenerator(seed: 48)
        var table = RouteTable(maxRoutes: 10_000)
        for _ in 0..<1000 {
            let bits = UInt128(generator.next()) << 64 | UInt128(generator.next())
            let network = Network(IPAddress(v6: bits >> 3 | (1 << 125)), prefixLength: 48)
            _ = table.addRoute(Route(destination: CIDR(ScopedAddress(network.address), prefixLength: 48)))
        }
        table.freeRetiredNow()
        // Unshared, each /48 would need five nodes below the root; here the root's 32 first bytes
        // take a node each and nearly every /48 is a leaf of one of them.
        #expect(table.trieNodes < 100)
        #expect(table.trieLeaves > 900)
    }

    /// Random adds and removals against a set: the exact-match index never loses or invents a
    /// prefix, and lookups stay right throughout.
    @Test(arguments: [IPAddress.Family.v4, .v6])
    func churnKeepsTheExactIndexAndLookupsRight(family: IPAddress.Family) {
        var generator = SeededGenerator(seed: 7)
        var table = RouteTable(maxRoutes: 100_000)
        var oracle = Oracle()
        var present = Set<Network>()
        // A small pool so that the same prefixes come and go many times.
        let pool = (0..<600).map { _ in Self.randomNetwork(family, using: &generator) }
        for step in 0..<20_000 {
            let network = pool.randomElement(using: &generator)!
            if present.contains(network) {
                #expect(table.removeRoutes(to: network.address) >= 1)
                present = present.filter { $0.address != network.address }
            } else {
                let router = family == .v4 ? Self.router4 : Self.router6
                let route = Route(destination: CIDR(ScopedAddress(network.address), prefixLength: network.prefixLength), router: router)
                #expect(table.addRoute(route) == .success)
                present.insert(network)
            }
            if step % 1000 == 999 {
                #expect(table.routeCount == present.count)
                for candidate in pool { #expect((table.route(to: candidate) != nil) == present.contains(candidate)) }
                oracle.routes = Array(present)
                check(table, oracle, family: family, probes: 300, using: &generator)
            }
        }
    }

    /// A node past `RouteTrieNode.denseChildren` children keeps a slot per byte and goes back to
    /// compact slots below it: lookups stay right on both sides of the change, either way.
    @Test func nodesTurnDenseAndBackWithLookupsRight() {
        var generator = SeededGenerator(seed: 192)
        var table = RouteTable(maxRoutes: 10_000)
        var oracle = Oracle()
        // Under 10.0.0.0/8: a /24 and a /20 in each of the 256 /16s, plus the /8 and some /12s.
        var networks = [Network(v4(10, 0, 0, 0), prefixLength: 8)]
        for second in 0..<256 {
            networks.append(Network(v4(10, UInt8(second), UInt8.random(in: 0x40...0xff, using: &generator), 0), prefixLength: 24))
            networks.append(Network(v4(10, UInt8(second), 0x30, 0), prefixLength: 20))
        }
        for twelve in stride(from: 0, to: 256, by: 48) { networks.append(Network(v4(10, UInt8(twelve), 0, 0), prefixLength: 12)) }
        for (step, network) in networks.shuffled(using: &generator).enumerated() {
            #expect(table.addRoute(Route(destination: CIDR(ScopedAddress(network.address), prefixLength: network.prefixLength),
                                         router: Self.router4)) == .success)
            oracle.routes.append(network)
            if step % 64 == 63 { check(table, oracle, family: .v4, probes: 400, using: &generator) }
        }
        check(table, oracle, family: .v4, probes: 3000, using: &generator)
        table.freeRetiredNow()
        let nodes = table.trieNodes
        // Down through the threshold and back up.
        // Everything in 100 of the /16s: 156 children left, fewer than `denseChildren`.
        let emptied = Set((0..<256).shuffled(using: &generator).prefix(100))
        let removed = oracle.routes.filter { $0.prefixLength >= 20 && emptied.contains(Int($0.address.bits >> 16) & 0xff) }
            .shuffled(using: &generator)
        #expect(removed.count == 200)
        for (step, network) in removed.enumerated() {
            _ = table.removeRoutes(to: network.address)
            oracle.routes.removeAll { $0 == network }
            if step % 16 == 15 { check(table, oracle, family: .v4, probes: 300, using: &generator) }
        }
        for network in removed {
            _ = table.addRoute(Route(destination: CIDR(ScopedAddress(network.address), prefixLength: network.prefixLength),
                                     router: Self.router4))
            oracle.routes.append(network)
        }
        check(table, oracle, family: .v4, probes: 3000, using: &generator)
        table.freeRetiredNow()
        #expect(table.trieNodes == nodes)
    }

    @Test func insertionOrderSurvivesRemovalsInTheMiddle() {
        var table = RouteTable(maxRoutes: 10)
        let networks = (1...5).map { Network(v4(10, UInt8($0), 0, 0), prefixLength: 16) }
        for network in networks {
            #expect(table.addRoute(Route(destination: CIDR(ScopedAddress(network.address), prefixLength: 16))) == .success)
        }
        #expect(table.removeRoutes(to: networks[2].address) == 1)
        #expect(table.removeRoutes(to: networks[0].address) == 1)
        _ = table.addRoute(Route(destination: CIDR(ScopedAddress(networks[0].address), prefixLength: 16)))
        #expect(table.routes.map(\.destination.network) == [networks[1], networks[3], networks[4], networks[0]])
    }
}
