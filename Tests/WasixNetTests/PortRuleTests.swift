import CWasixNet
import Testing
@testable import WasixNet

/// Every rule of wasixnet.h §4 ([port.validation], [port.lists], [port.lifetimes], [port.lookup],
/// [port.hooks]) broken on purpose: the exact error, and nothing changed.
@Suite struct PortRuleTests {
    static let start: UInt64 = 1_000_000_000_000

    /// Runs `body` and checks that the port's routes and addresses are as they were.
    func expectUnchanged(_ port: Port, _ body: () -> Void) {
        let (routes, addresses) = (port.routes, port.addresses)
        body()
        #expect(port.routes == routes)
        #expect(port.addresses == addresses)
    }

    @Test func routeAddRulesInContractOrder() {
        let clock = ManualClock(Self.start)
        let port = makePort(clock: clock, maxRoutes: 3)
        #expect(port.addRoute(v4(10, 1, 0, 0), 16) == .success)
        let now = Self.start
        let cases: [(String, TaggedCIDR, TaggedAddress, TaggedTimestamp, TaggedTimestamp, WasixErrno)] = [
            ("unspec cidr tag", TaggedCIDR(address: .unspecifiedFamily, prefixLength: 8), .unspecifiedFamily, .none, .none, .inval),
            ("unix cidr tag", TaggedCIDR(address: .otherFamily(3), prefixLength: 8), .unspecifiedFamily, .none, .none, .inval),
            ("unknown cidr tag", TaggedCIDR(address: .otherFamily(9), prefixLength: 8), .unspecifiedFamily, .none, .none, .inval),
            ("v4 prefix 33", taggedCIDR(v4(10, 0, 0, 0), 33), .unspecifiedFamily, .none, .none, .inval),
            ("v6 prefix 129", taggedCIDR(v6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 129), .unspecifiedFamily, .none, .none, .inval),
            ("host bits", taggedCIDR(v4(10, 1, 2, 3), 24), .unspecifiedFamily, .none, .none, .inval),
            ("host bits beat bad router", taggedCIDR(v4(10, 1, 2, 3), 24), .otherFamily(7), .invalidTag(5), .none, .inval),
            ("router family", taggedCIDR(v4(10, 2, 0, 0), 16), tagged(v6(0xfe80, 0, 0, 0, 0, 0, 0, 1)), .none, .none, .inval),
            ("router unix", taggedCIDR(v4(10, 2, 0, 0), 16), .otherFamily(3), .none, .none, .inval),
            ("router 0.0.0.0", taggedCIDR(v4(10, 2, 0, 0), 16), tagged(v4(0, 0, 0, 0)), .none, .none, .inval),
            ("router ::", taggedCIDR(v6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 32), tagged(v6(0, 0, 0, 0, 0, 0, 0, 0)), .none, .none, .inval),
            ("router multicast", taggedCIDR(v4(10, 2, 0, 0), 16), tagged(v4(224, 0, 0, 1)), .none, .none, .inval),
            ("router v6 multicast", taggedCIDR(v6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 32), tagged(v6(0xff02, 0, 0, 0, 0, 0, 0, 1)), .none, .none, .inval),
            ("router broadcast", taggedCIDR(v4(10, 2, 0, 0), 16), tagged(v4(255, 255, 255, 255)), .none, .none, .inval),
            ("preferred tag", taggedCIDR(v4(10, 2, 0, 0), 16), .unspecifiedFamily, .invalidTag(2), .none, .inval),
            ("expires tag", taggedCIDR(v4(10, 2, 0, 0), 16), .unspecifiedFamily, .none, .invalidTag(255), .inval),
            ("preferred > expires", taggedCIDR(v4(10, 2, 0, 0), 16), .unspecifiedFamily, .some(now + 20), .some(now + 10), .inval),
            ("expires == now", taggedCIDR(v4(10, 2, 0, 0), 16), .unspecifiedFamily, .none, .some(now), .inval),
            ("expires < now", taggedCIDR(v4(10, 2, 0, 0), 16), .unspecifiedFamily, .none, .some(now - 1), .inval),
            ("same CIDR", taggedCIDR(v4(10, 1, 0, 0), 16), tagged(v4(10, 0, 0, 1)), .none, .none, .exist),
        ]
        for (name, cidr, router, preferred, expires, error) in cases {
            expectUnchanged(port) {
                #expect(port.addRoute(cidr, via: router, preferredUntil: preferred, expiresAt: expires) == error, "\(name)")
            }
        }
        // A preferred_until with no expires_at, and equal lifetimes, are fine.
        #expect(port.addRoute(v4(10, 3, 0, 0), 16, preferredUntil: now - 5) == .success)
        #expect(port.addRoute(v4(10, 4, 0, 0), 16, preferredUntil: now + 5, expiresAt: now + 5) == .success)
        expectUnchanged(port) { #expect(port.addRoute(v4(10, 5, 0, 0), 16) == .nomem) }
    }

    @Test func routeRemoveTakesEveryPrefixLengthOfTheAddress() {
        let port = makePort()
        #expect(port.addRoute(v4(10, 0, 0, 0), 8) == .success)
        #expect(port.addRoute(v4(10, 0, 0, 0), 16) == .success)
        #expect(port.addRoute(v4(10, 0, 0, 0), 24) == .success)
        #expect(port.addRoute(v4(10, 1, 0, 0), 16) == .success)
        expectUnchanged(port) { #expect(port.removeRoutes(to: .otherFamily(3)) == .inval) }
        expectUnchanged(port) { #expect(port.removeRoutes(to: tagged(v4(10, 2, 0, 0))) == .noent) }
        #expect(port.removeRoutes(to: tagged(v4(10, 0, 0, 0))) == .success)
        #expect(port.routes.map(\.destination.network) == [Network(v4(10, 1, 0, 0), prefixLength: 16)])
        #expect(port.removeRoutes(to: tagged(v4(10, 0, 0, 0))) == .noent)
    }

    @Test func gatewayReplacesTheDefaultRouteInItsPlace() {
        let port = makePort(maxRoutes: 3)
        #expect(port.addRoute(v4(10, 1, 0, 0), 16) == .success)
        #expect(port.addRoute(v4(0, 0, 0, 0), 0, via: v4(10, 1, 0, 1), expiresAt: UInt64.max) == .success)
        #expect(port.addRoute(v4(10, 2, 0, 0), 16) == .success)
        for bad in [tagged(v4(0, 0, 0, 0)), tagged(v4(239, 1, 1, 1)), tagged(v4(255, 255, 255, 255)),
                    .unspecifiedFamily, .otherFamily(3), tagged(v6(0xff02, 0, 0, 0, 0, 0, 0, 1))] {
            expectUnchanged(port) { #expect(port.setGateway(bad) == .inval) }
        }
        #expect(port.setGateway(tagged(v4(10, 2, 0, 1))) == .success)
        let routes = port.routes
        #expect(routes.count == 3)
        #expect(routes[1].destination.network == Network(v4(0, 0, 0, 0), prefixLength: 0))
        #expect(routes[1].router?.ip == v4(10, 2, 0, 1))
        #expect(routes[1].expiresAt == nil, "the gateway's route has no lifetimes")
        // An IPv6 gateway is a new route, and the table is full.
        expectUnchanged(port) { #expect(port.setGateway(tagged(v6(0xfe80, 0, 0, 0, 0, 0, 0, 1))) == .nomem) }
        #expect(port.lookupRoute(v4(8, 8, 8, 8))?.router?.ip == v4(10, 2, 0, 1))
        #expect(port.clearRoutes() == .success)
        #expect(port.routes.isEmpty)
        #expect(port.lookupRoute(v4(8, 8, 8, 8)) == nil)
    }

    @Test func ownAddressesAreOnLinkAndRoutesWinTies() {
        let port = makePort(maxAddresses: 3)
        #expect(port.addAddress(taggedCIDR(v4(10, 0, 0, 5), 24)) == .success)
        for (cidr, error) in [(taggedCIDR(v4(10, 0, 0, 5), 16), WasixErrno.exist),
                              (taggedCIDR(v4(0, 0, 0, 0), 8), .inval), (taggedCIDR(v4(224, 0, 0, 5), 8), .inval),
                              (taggedCIDR(v6(0xff02, 0, 0, 0, 0, 0, 0, 1), 64), .inval),
                              (taggedCIDR(v4(10, 9, 0, 1), 33), .inval),
                              (TaggedCIDR(address: .unspecifiedFamily, prefixLength: 0), .inval)] {
            expectUnchanged(port) { #expect(port.addAddress(cidr) == error) }
        }
        // The own prefix, reported as its masked network with no router.
        let onLink = port.lookupRoute(v4(10, 0, 0, 77))
        #expect(onLink?.destination.network == Network(v4(10, 0, 0, 0), prefixLength: 24))
        #expect(onLink?.destination.address.ip == v4(10, 0, 0, 0))
        #expect(onLink?.router == nil)
        // An explicit route of the same length wins; a longer own prefix beats a shorter route.
        #expect(port.addRoute(v4(10, 0, 0, 0), 24, via: v4(10, 0, 0, 1)) == .success)
        #expect(port.lookupRoute(v4(10, 0, 0, 77))?.router?.ip == v4(10, 0, 0, 1))
        #expect(port.addRoute(v4(10, 0, 0, 0), 24 - 1 + 1 - 8, via: v4(10, 0, 0, 2)) == .success)
        #expect(port.removeRoutes(to: tagged(v4(10, 0, 0, 0))) == .success)
        #expect(port.lookupRoute(v4(10, 0, 0, 77))?.router == nil)
        // Two addresses in one subnet: the prefix stays on-link until both are gone.
        #expect(port.addAddress(taggedCIDR(v4(10, 0, 0, 6), 24)) == .success)
        #expect(port.removeAddress(tagged(v4(10, 0, 0, 5))) == .success)
        #expect(port.lookupRoute(v4(10, 0, 0, 77)) != nil)
        expectUnchanged(port) { #expect(port.removeAddress(tagged(v4(10, 0, 0, 5))) == .noent) }
        expectUnchanged(port) { #expect(port.removeAddress(.otherFamily(3)) == .inval) }
        #expect(port.addAddress(taggedCIDR(v6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 5), 64)) == .success)
        #expect(port.addAddress(taggedCIDR(v4(192, 168, 1, 1), 24)) == .success)
        expectUnchanged(port) { #expect(port.addAddress(taggedCIDR(v4(192, 168, 2, 1), 24)) == .nomem) }
        #expect(port.addresses.map(\.address.ip) == [v4(10, 0, 0, 6), v6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 5), v4(192, 168, 1, 1)])
        #expect(port.addresses[0].prefixLength == 24)
        #expect(port.clearAddresses() == .success)
        #expect(port.addresses.isEmpty)
        #expect(port.lookupRoute(v4(10, 0, 0, 77)) == nil)
    }

    @Test func lifetimesDeprecateThenRemove() {
        let clock = ManualClock(Self.start)
        let port = makePort(clock: clock, maxRoutes: 1)
        let t = Self.start
        #expect(port.addRoute(v4(10, 1, 0, 0), 16, via: v4(10, 0, 0, 1), preferredUntil: t + 100, expiresAt: t + 200) == .success)
        func lookup() -> (Route, Bool)? {
            if case .success(let found) = port.lookup(tagged(v4(10, 1, 2, 3))) { return found }
            return nil
        }
        #expect(lookup()?.1 == false)
        clock.set(t + 99)
        #expect(lookup()?.1 == false)
        clock.set(t + 100)
        #expect(lookup()?.1 == true, "deprecated from the instant now >= preferred_until")
        #expect(port.routes.count == 1, "a deprecated route is still listed")
        clock.set(t + 199)
        #expect(lookup() != nil)
        clock.set(t + 200)
        #expect(lookup() == nil, "gone from the instant now >= expires_at")
        #expect(port.routes.isEmpty)
        // Its CIDR is free again, and it no longer counts toward max_routes.
        #expect(port.addRoute(v4(10, 1, 0, 0), 16) == .success)
        #expect(port.routes.first?.expiresAt == nil)
    }

    @Test func manyExpiriesChurnWithoutGrowing() {
        let clock = ManualClock(Self.start)
        let port = makePort(clock: clock, maxRoutes: 64)
        for round in 0..<2000 {
            #expect(port.addRoute(v4(10, UInt8(round % 200), 0, 0), 16, expiresAt: Self.start + 1_000_000) == .success)
            #expect(port.removeRoutes(to: tagged(v4(10, UInt8(round % 200), 0, 0))) == .success)
        }
        #expect(port.routes.isEmpty)
    }

    @Test func bridgeValidatesBeforeLookingForAHook() {
        var configuration = Port.Configuration()
        let withoutHook = Port(configuration)
        configuration.hooks.bridge = { network, token, security in
            Array(network) == Array("net".utf8) && Array(token) == Array("tok".utf8) && security == 3 ? WasixErrno(rawValue: 7) : .inval
        }
        let withHook = Port(configuration)
        let good: [UInt8] = Array("net".utf8), token: [UInt8] = Array("tok".utf8), bad: [UInt8] = [0x66, 0xff, 0x66]
        func bridge(_ port: Port, _ network: [UInt8], _ token: [UInt8], _ security: UInt64) -> WasixErrno {
            network.withUnsafeBytes { n in token.withUnsafeBytes { t in port.bridge(network: n, token: t, security: security) } }
        }
        for port in [withoutHook, withHook] {
            #expect(bridge(port, bad, token, 1) == .inval)
            #expect(bridge(port, good, bad, 1) == .inval)
            #expect(bridge(port, good, token, 0) == .inval)
            #expect(bridge(port, good, token, 16) == .inval)
            #expect(bridge(port, good, token, 0x101) == .inval)
        }
        #expect(bridge(withoutHook, good, token, 3) == .notsup)
        #expect(bridge(withHook, good, token, 3) == WasixErrno(rawValue: 7), "the hook's errno, unchanged")
        #expect(withoutHook.unbridge() == .notsup)
        #expect(withoutHook.dhcpAcquire() == .notsup)
    }

    @Test func dhcpHookMayCallBackIntoThePort() {
        var configuration = Port.Configuration()
        configuration.hooks.dhcpAcquire = { port in port.addAddress(taggedCIDR(v4(192, 168, 0, 10), 24)) }
        let port = Port(configuration)
        #expect(port.dhcpAcquire() == .success)
        #expect(port.addresses.map(\.address.ip) == [v4(192, 168, 0, 10)])
    }

    @Test func macIsConfiguredOrRandomLocallyAdministered() {
        let random = makePort()
        #expect(random.mac.octets[0] & 0x03 == 0x02)
        #expect(random.mac == random.mac)
        var configuration = Port.Configuration()
        configuration.mac = MACAddress([0x02, 1, 2, 3, 4, 5])
        #expect(Port(configuration).mac.octets == [0x02, 1, 2, 3, 4, 5])
    }

    @Test func ipv4MappedAddressesAreIPv6() {
        let port = makePort()
        let mapped = IPAddress(v6: 0xffff_0a01_0203)  // ::ffff:10.1.2.3
        #expect(port.addRoute(v4(10, 0, 0, 0), 8) == .success)
        #expect(port.lookupRoute(mapped) == nil)
        #expect(port.addRoute(IPAddress(v6: 0xffff_0000_0000), 96) == .success)
        #expect(port.lookupRoute(mapped)?.destination.prefixLength == 96)
    }

    @Test func addressesPrintAsPeopleWriteThem() {
        #expect(v4(10, 0, 0, 5).description == "10.0.0.5")
        #expect(v6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1).description == "2001:db8::1")
        #expect(v6(0, 0, 0, 0, 0, 0, 0, 0).description == "::")
        #expect(v6(1, 0, 0, 2, 0, 0, 0, 3).description == "1:0:0:2::3")
        #expect(v6(1, 2, 3, 4, 5, 6, 7, 8).description == "1:2:3:4:5:6:7:8")
    }
}
