import CWasixNetSystem
import Testing
@testable import WasixNet

/// IPv4 routers live once per table in its next hops (`NextHops`), named by a 16-bit index from
/// each record: more distinct routers than indices fall back to the records' extras blocks, a
/// router's index is freed with the last route via it and reused after the grace period, and
/// through all of it every answer stays what an oracle says.
@Suite struct RouteTableNextHopTests {
    static func route(_ i: Int, router: UInt32, expiresAt: UInt64? = nil) -> Route {
        Route(destination: CIDR(ScopedAddress(IPAddress(v4: 0x0100_0000 &+ UInt32(i) << 8)), prefixLength: 24),
              router: ScopedAddress(IPAddress(v4: router)), preferredUntil: expiresAt.map { $0 - 1 }, expiresAt: expiresAt)
    }

    /// Every route of `oracle` answers for an address inside it, and the list is the oracle's.
    static func check(_ table: RouteTable, _ oracle: [Int: Route], order: [Route], every stride: Int = 1) {
        var checked = 0
        for (i, route) in oracle where i % stride == 0 {
            let inside = IPAddress(v4: 0x0100_0000 &+ UInt32(i) << 8 | 5)
            #expect(table.reader.longestMatch(for: inside) == route, "lookup in route \(i)")
            #expect(table.route(to: route.destination.network) == route)
            checked += 1
        }
        #expect(checked > 0 || oracle.isEmpty)
        #expect(table.routes == order)
        #expect(table.routeCount == oracle.count)
    }

    /// 70,000 routes each via its own router (more than the 65,535 indices), some with lifetimes;
    /// removals free indices that new routers then take; then every route goes, one by one.
    @Test func moreDistinctRoutersThanIndices() {
        var table = RouteTable(maxRoutes: 80_000)
        var oracle: [Int: Route] = [:]
        var order: [Route] = []
        func add(_ i: Int, router: UInt32) {
            let route = Self.route(i, router: router, expiresAt: i % 7 == 0 ? 1_000_000 + UInt64(i) : nil)
            #expect(table.addRoute(route) == .success)
            oracle[i] = route
            order.append(route)
        }
        for i in 0..<70_000 { add(i, router: 0x0a00_0000 &+ UInt32(i)) }
        Self.check(table, oracle, order: order)
        #expect(table.routesWithLifetimes == oracle.values.filter(\.hasLifetimes).count)

        // Routes via interned routers and via fallen-back ones go; new routers take their place.
        for i in stride(from: 0, to: 70_000, by: 5) {
            #expect(table.removeRoutes(to: oracle[i]!.destination.address.ip) == 1)
            oracle[i] = nil
        }
        order.removeAll { oracle[Int(($0.destination.address.ip.bits - 0x0100_0000) >> 8)] == nil }
        table.freeRetiredNow()
        Self.check(table, oracle, order: order, every: 3)
        for i in 70_000..<78_000 { add(i, router: 0x0b00_0000 &+ UInt32(i)) }
        // A router already held keeps its index for a new route.
        add(78_000, router: 0x0a00_0000 &+ 1)
        add(78_001, router: 0x0a00_0000 &+ 69_999)
        Self.check(table, oracle, order: order)

        // Default-route replacement swaps routers too.
        #expect(table.setDefaultRoute(via: ScopedAddress(IPAddress(v4: 0x0c00_0001))) == .success)
        #expect(table.setDefaultRoute(via: ScopedAddress(IPAddress(v4: 0x0c00_0002))) == .success)
        #expect(table.longestMatch(for: IPAddress(v4: 0xf000_0001))?.router?.ip == IPAddress(v4: 0x0c00_0002))
        #expect(table.removeRoutes(to: IPAddress(v4: 0)) == 1)

        var step = 0
        for i in oracle.keys.sorted() {
            #expect(table.removeRoutes(to: oracle[i]!.destination.address.ip) == 1)
            oracle[i] = nil
            step += 1
            if step % 10_000 == 0 {
                table.freeRetiredNow()
                order.removeAll { oracle[Int(($0.destination.address.ip.bits - 0x0100_0000) >> 8)] == nil }
                Self.check(table, oracle, order: order, every: 7)
            }
        }
        #expect(table.routes.isEmpty)
        #expect(table.routesWithLifetimes == 0)
        #expect(table.reader.longestMatch(for: IPAddress(v4: 0x0100_0105)) == nil)
        // Every index is free again: a full set of new routers fits.
        table.freeRetiredNow()
        oracle = [:]
        order = []
        for i in 0..<1000 { add(i, router: 0x0d00_0000 &+ UInt32(i)) }
        Self.check(table, oracle, order: order)
    }

    /// One router shared by thousands of routes, removed one by one: the router answers until its
    /// last route goes; its index then waits for the grace period before another router takes it.
    @Test func sharedRouterRemovedOneByOne() {
        var table = RouteTable(maxRoutes: 10_000)
        let shared: UInt32 = 0x0a00_0001
        var oracle: [Int: Route] = [:]
        var order: [Route] = []
        for i in 0..<5000 {
            let route = Self.route(i, router: shared)
            #expect(table.addRoute(route) == .success)
            oracle[i] = route
            order.append(route)
        }
        Self.check(table, oracle, order: order, every: 11)
        for i in 0..<5000 {
            #expect(table.removeRoutes(to: oracle[i]!.destination.address.ip) == 1)
            oracle[i] = nil
            order.removeFirst()
            if i + 1 < 5000 {
                let inside = IPAddress(v4: 0x0100_0000 &+ UInt32(4999) << 8 | 5)
                #expect(table.reader.longestMatch(for: inside)?.router?.ip == IPAddress(v4: shared))
            }
            if i % 97 == 0 {
                table.takeRetired { free($0) }
                table.reuseIDsPastTheirWait()
            }
            if i % 500 == 0 { Self.check(table, oracle, order: order, every: 13) }
        }
        #expect(table.routes.isEmpty)
        // Other routers, then the shared one again, after its index was freed.
        table.freeRetiredNow()
        for i in 0..<100 {
            let route = Self.route(i, router: i == 99 ? shared : 0x0b00_0000 &+ UInt32(i))
            #expect(table.addRoute(route) == .success)
            oracle[i] = route
            order.append(route)
        }
        Self.check(table, oracle, order: order)
    }
}
