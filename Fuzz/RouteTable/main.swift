// Fuzz target: a port's routing (Port over SizedRouteTable: CompactRouteTable while small,
// RouteTable with RouteTrie, RouteRecords and ExpiryQueue past it, and the moves between them) as a
// differential test against a naive oracle: a flat list of routes and own addresses, scanned
// linearly, written straight from wasixnet.h §4 ([port.validation] … [port.lookup]). The input is a sequence of operations — route
// add / remove / clear, gateway set, address add / remove / clear, lookups, lists and clock moves
// (forward only, as the port's clock) — on one port with small limits; any disagreement in an
// answer, a lookup, or the listed order traps, and libFuzzer keeps the input.
//
// Addresses come from small spaces (10.0.x.y, 2001:db8::…, and the special ones: unspecified,
// multicast, broadcast, IPv4-mapped) so that prefixes nest and collide; prefixes may exceed the
// family's width or keep host bits; tags and option tags may be anything.
//
// Build and run: `make fuzz` (sanitize.mk). Reproduce a crash: `.build-fuzz/release/FuzzRouteTable crash-…`.
import Synchronization
import WasixNet
import FuzzSupport

func violated(_ message: @autoclosure () -> String) -> Never {
    fatalError("port and oracle disagree: \(message())")
}

/// The clock the port reads.
final class FuzzClock: Sendable {
    let value = Atomic<UInt64>(0)
    var now: UInt64 { value.load(ordering: .relaxed) }
}

/// The oracle: what the contract says the port holds, as flat lists.
struct Oracle {
    struct Entry: Equatable {
        var family: IPAddress.Family
        var bits: UInt128
        var prefix: Int
        var destination: ScopedAddress
        var router: ScopedAddress?
        var preferred: UInt64?
        var expires: UInt64?

        var asRoute: Route {
            Route(destination: CIDR(destination, prefixLength: UInt8(prefix)), router: router,
                  preferredUntil: preferred, expiresAt: expires)
        }
    }

    var routes: [Entry] = []
    var addresses: [CIDR] = []
    let maxRoutes: Int
    let maxAddresses: Int

    static func width(_ family: IPAddress.Family) -> Int { family == .v4 ? 32 : 128 }

    /// The top `length` bits of the family's width, computed here rather than by the core.
    static func mask(_ family: IPAddress.Family, _ length: Int) -> UInt128 {
        let all: UInt128 = family == .v4 ? 0xffff_ffff : ~0
        return length == 0 ? 0 : all ^ (all >> length)
    }

    static func isUnspecified(_ ip: IPAddress) -> Bool { ip.bits == 0 }
    static func isMulticast(_ ip: IPAddress) -> Bool { ip.family == .v4 ? ip.bits >> 28 == 0xe : ip.bits >> 120 == 0xff }
    static func canRoute(via ip: IPAddress) -> Bool {
        !isUnspecified(ip) && !isMulticast(ip) && !(ip.family == .v4 && ip.bits == 0xffff_ffff)
    }

    mutating func expire(at now: UInt64) {
        routes.removeAll { $0.expires.map { $0 <= now } ?? false }
    }

    mutating func addRoute(_ cidr: TaggedCIDR, via router: TaggedAddress, preferred: TaggedTimestamp,
                           expires: TaggedTimestamp, now: UInt64) -> WasixErrno {
        guard case .ip(let destination) = cidr.address else { return .inval }
        let family = destination.ip.family, prefix = Int(cidr.prefixLength)
        guard prefix <= Self.width(family) else { return .inval }
        guard destination.ip.bits & ~Self.mask(family, prefix) == 0 else { return .inval }
        var nextHop: ScopedAddress?
        switch router {
        case .unspecifiedFamily: nextHop = nil
        case .ip(let address):
            guard address.ip.family == family, Self.canRoute(via: address.ip) else { return .inval }
            nextHop = address
        case .otherFamily: return .inval
        }
        var times: [UInt64?] = []
        for option in [preferred, expires] {
            switch option {
            case .none: times.append(nil)
            case .some(let value): times.append(value)
            case .invalidTag: return .inval
            }
        }
        if let p = times[0], let e = times[1], p > e { return .inval }
        if let e = times[1], e <= now { return .inval }
        expire(at: now)
        guard !routes.contains(where: { $0.family == family && $0.prefix == prefix && $0.bits == destination.ip.bits }) else {
            return .exist
        }
        guard routes.count < maxRoutes else { return .nomem }
        routes.append(Entry(family: family, bits: destination.ip.bits, prefix: prefix, destination: destination, router: nextHop,
                            preferred: times[0], expires: times[1]))
        return .success
    }

    mutating func removeRoutes(_ address: TaggedAddress, now: UInt64) -> WasixErrno {
        guard case .ip(let scoped) = address else { return .inval }
        expire(at: now)
        let before = routes.count
        routes.removeAll { $0.family == scoped.ip.family && $0.bits == scoped.ip.bits }
        return routes.count == before ? .noent : .success
    }

    mutating func setGateway(_ address: TaggedAddress, now: UInt64) -> WasixErrno {
        guard case .ip(let router) = address, Self.canRoute(via: router.ip) else { return .inval }
        expire(at: now)
        let family = router.ip.family
        let entry = Entry(family: family, bits: 0, prefix: 0, destination: ScopedAddress(IPAddress(family: family, bits: 0)),
                          router: router)
        if let index = routes.firstIndex(where: { $0.family == family && $0.prefix == 0 }) {
            routes[index] = entry
            return .success
        }
        guard routes.count < maxRoutes else { return .nomem }
        routes.append(entry)
        return .success
    }

    mutating func addAddress(_ cidr: TaggedCIDR) -> WasixErrno {
        guard case .ip(let address) = cidr.address, Int(cidr.prefixLength) <= Self.width(address.ip.family) else { return .inval }
        guard !Self.isUnspecified(address.ip), !Self.isMulticast(address.ip) else { return .inval }
        guard !addresses.contains(where: { $0.address.ip == address.ip }) else { return .exist }
        guard addresses.count < maxAddresses else { return .nomem }
        addresses.append(CIDR(address, prefixLength: cidr.prefixLength))
        return .success
    }

    mutating func removeAddress(_ tagged: TaggedAddress) -> WasixErrno {
        guard case .ip(let address) = tagged else { return .inval }
        guard let index = addresses.firstIndex(where: { $0.address.ip == address.ip }) else { return .noent }
        addresses.remove(at: index)
        return .success
    }

    /// Longest prefix over live routes and own prefixes; an explicit route wins a tie.
    mutating func lookup(_ ip: IPAddress, now: UInt64) -> (Route, Bool)? {
        expire(at: now)
        var best: (route: Route, prefix: Int, deprecated: Bool)?
        for entry in routes where entry.family == ip.family && ip.bits & Self.mask(ip.family, entry.prefix) == entry.bits {
            if best == nil || entry.prefix > best!.prefix {
                best = (entry.asRoute, entry.prefix, entry.preferred.map { now >= $0 } ?? false)
            }
        }
        for address in addresses where address.address.ip.family == ip.family {
            let prefix = Int(address.prefixLength), mask = Self.mask(ip.family, prefix)
            guard ip.bits & mask == address.address.ip.bits & mask else { continue }
            if best == nil || prefix > best!.prefix {
                let network = ScopedAddress(IPAddress(family: ip.family, bits: address.address.ip.bits & mask))
                best = (Route(destination: CIDR(network, prefixLength: UInt8(prefix))), prefix, false)
            }
        }
        return best.map { ($0.route, $0.deprecated) }
    }
}

struct Harness {
    var input: FuzzInput
    let port: Port
    let clock: FuzzClock
    var oracle: Oracle

    var now: UInt64 { clock.now }

    mutating func ip(_ family: IPAddress.Family) -> IPAddress {
        let mode = input.u8()
        if family == .v4 {
            switch mode & 15 {
            case 0: return IPAddress(v4: 0)
            case 1: return IPAddress(v4: 0xffff_ffff)
            case 2: return IPAddress(v4: 0xe000_0001 | UInt32(input.u8()))
            case 3: return IPAddress(v4: input.u32())
            default:
                let a = UInt32(input.u8()), b = UInt32(input.u8())
                return IPAddress(v4: 0x0a00_0000 | (a & 0x3) << 16 | (a >> 2 & 0x3) << 8 | (b & 0xc3))
            }
        }
        switch mode & 15 {
        case 0: return IPAddress(v6: 0)
        case 1: return IPAddress(v6: 0xff02 << 112 | 1)
        case 2: return IPAddress(v6: 0xffff_0a00_0000 | UInt128(input.u8()))  // ::ffff:10.0.0.x
        case 3: return IPAddress(v6: UInt128(input.u64()) << 64 | UInt128(input.u64()))
        default:
            let a = UInt128(input.u8()), b = UInt128(input.u8()), c = UInt128(input.u8())
            let documentation: UInt128 = 0x2001_0db8 << 96
            let high: UInt128 = (a & 0x3) << 80 | (a >> 2 & 0x3) << 64
            return IPAddress(v6: documentation | high | (b & 0x3) << 48 | c)
        }
    }

    mutating func family() -> IPAddress.Family { input.u8() & 1 == 0 ? .v4 : .v6 }

    mutating func scoped(_ family: IPAddress.Family) -> ScopedAddress {
        let address = ip(family)
        guard family == .v6, input.u8() & 7 == 0 else { return ScopedAddress(address) }
        return ScopedAddress(address, flowInfo: UInt32(input.u8()), scopeID: UInt32(input.u8() & 3))
    }

    mutating func taggedAddress(_ family: IPAddress.Family) -> TaggedAddress {
        switch input.u8() & 15 {
        case 0: return .unspecifiedFamily
        case 1: return .otherFamily(3 &+ input.u8())
        default: return .ip(scoped(family))
        }
    }

    mutating func taggedCIDR(maskHostBits: Bool) -> TaggedCIDR {
        let family = family()
        let width = Oracle.width(family)
        let prefix = Int(input.u8()) % (width + 3)
        var address = taggedAddress(family)
        if maskHostBits, case .ip(var scoped) = address, prefix <= width, input.u8() & 7 != 0 {
            scoped.ip = IPAddress(family: family, bits: scoped.ip.bits & Oracle.mask(family, prefix))
            address = .ip(scoped)
        }
        return TaggedCIDR(address: address, prefixLength: UInt8(prefix))
    }

    mutating func timestamp() -> TaggedTimestamp {
        switch input.u8() & 7 {
        case 0, 1, 2: return .none
        case 3: return .invalidTag(2 &+ input.u8() % 254)
        default: return .some(now &+ UInt64(input.u8()) &- 32)
        }
    }

    /// A destination: often inside a known route or own prefix, with random host bits.
    mutating func destination() -> IPAddress {
        let choice = input.u8()
        if choice & 1 == 0, !oracle.routes.isEmpty || !oracle.addresses.isEmpty {
            let total = oracle.routes.count + oracle.addresses.count
            let index = Int(input.u8()) % total
            let (family, bits, prefix) = index < oracle.routes.count
                ? (oracle.routes[index].family, oracle.routes[index].bits, oracle.routes[index].prefix)
                : (oracle.addresses[index - oracle.routes.count].address.ip.family,
                   oracle.addresses[index - oracle.routes.count].address.ip.bits,
                   Int(oracle.addresses[index - oracle.routes.count].prefixLength))
            let noise = UInt128(input.u64()) << 64 | UInt128(input.u64())
            let host = noise & ~Oracle.mask(family, prefix) & (family == .v4 ? 0xffff_ffff : ~0)
            return IPAddress(family: family, bits: bits & Oracle.mask(family, prefix) | host)
        }
        return ip(choice & 2 == 0 ? .v4 : .v6)
    }

    func expectEqual(_ got: WasixErrno, _ expected: WasixErrno, _ what: @autoclosure () -> String) {
        if got != expected { violated("\(what()): port \(got.rawValue), oracle \(expected.rawValue)") }
    }

    mutating func compareLists() {
        oracle.expire(at: now)
        let expected = oracle.routes.map(\.asRoute)
        var listed: [Route] = []
        let count = port.listRoutes(capacity: Int.max) { _, route in listed.append(route) }
        if count != expected.count || listed != expected {
            violated("route list\n port:   \(listed)\n oracle: \(expected)")
        }
        // A short list: the first entries and the full count.
        var firstTwo: [Route] = []
        if port.listRoutes(capacity: 2, { _, route in firstTwo.append(route) }) != expected.count || firstTwo != Array(expected.prefix(2)) {
            violated("route list with capacity 2")
        }
        var addresses: [CIDR] = []
        _ = port.listAddresses(capacity: Int.max) { _, cidr in addresses.append(cidr) }
        if addresses != oracle.addresses { violated("address list\n port:   \(addresses)\n oracle: \(oracle.addresses)") }
    }

    mutating func compareLookup(_ destination: IPAddress) {
        let expected = oracle.lookup(destination, now: now)
        switch port.lookup(.ip(ScopedAddress(destination))) {
        case .success(let found):
            guard let expected, found.route == expected.0, found.deprecated == expected.1 else {
                violated("lookup \(destination): port \(found), oracle \(String(describing: expected))")
            }
        case .failure(let error):
            if error != .netunreach || expected != nil { violated("lookup \(destination): port \(error.rawValue), oracle \(String(describing: expected))") }
        }
        if port.hasRoute(to: destination) != (expected != nil) { violated("hasRoute \(destination)") }
        // The plain answer: the same route when it gives one (no lifetime, so not deprecated),
        // unreachable only where lookup is; deferring to lookup is always allowed.
        switch port.plainLookup(destination) {
        case .unreachable:
            if expected != nil { violated("plainLookup \(destination): unreachable, oracle \(String(describing: expected))") }
        case .found(let plain):
            guard let expected, plain.route == expected.0, !expected.1 else {
                violated("plainLookup \(destination): \(plain.route), oracle \(String(describing: expected))")
            }
        case .needsFullAnswer:
            break
        }
    }

    mutating func step() {
        switch input.u8() % 15 {
        case 0, 1, 2:
            let cidr = taggedCIDR(maskHostBits: true)
            let family = cidr.address.ipAddress?.ip.family ?? .v4
            let router = input.u8() & 3 == 0 ? TaggedAddress.unspecifiedFamily : taggedAddress(input.u8() & 15 == 0 ? .v6 : family)
            let (preferred, expires) = (timestamp(), timestamp())
            let got = port.addRoute(cidr, via: router, preferredUntil: preferred, expiresAt: expires)
            let expected = oracle.addRoute(cidr, via: router, preferred: preferred, expires: expires, now: now)
            expectEqual(got, expected, "addRoute \(cidr) via \(router) \(preferred) \(expires)")
        case 3:
            let address: TaggedAddress
            if input.u8() & 1 == 0, !oracle.routes.isEmpty {
                let entry = oracle.routes[Int(input.u8()) % oracle.routes.count]
                address = .ip(ScopedAddress(IPAddress(family: entry.family, bits: entry.bits)))
            } else {
                address = taggedAddress(family())
            }
            expectEqual(port.removeRoutes(to: address), oracle.removeRoutes(address, now: now), "removeRoutes \(address)")
        case 4:
            if input.u8() & 3 == 0 {
                expectEqual(port.clearRoutes(), .success, "clearRoutes")
                oracle.routes.removeAll()
            }
        case 5:
            let router = taggedAddress(family())
            expectEqual(port.setGateway(router), oracle.setGateway(router, now: now), "setGateway \(router)")
        case 6, 7:
            let cidr = taggedCIDR(maskHostBits: false)
            expectEqual(port.addAddress(cidr), oracle.addAddress(cidr), "addAddress \(cidr)")
        case 8:
            let address: TaggedAddress
            if input.u8() & 1 == 0, !oracle.addresses.isEmpty {
                address = .ip(oracle.addresses[Int(input.u8()) % oracle.addresses.count].address)
            } else {
                address = taggedAddress(family())
            }
            expectEqual(port.removeAddress(address), oracle.removeAddress(address), "removeAddress \(address)")
        case 9:
            if input.u8() & 3 == 0 {
                expectEqual(port.clearAddresses(), .success, "clearAddresses")
                oracle.addresses.removeAll()
            }
        case 10, 11:
            compareLookup(destination())
        case 12:
            compareLists()
        case 13:
            // A burst of adds, to carry the port past the short array's limit into its trie form
            // (SizedRouteTable.compactLimit) and, with removals and lifetimes, back again.
            let family = family(), base = input.u8()
            for i in 0..<(Int(input.u8()) % 24) {
                let bits: UInt128 = family == .v4 ? 0x0a03_0000 | UInt128(base) << 8 | UInt128(i)
                    : 0x2001_0db8_0003 << 80 | UInt128(base) << 8 | UInt128(i)
                let cidr = TaggedCIDR(address: .ip(ScopedAddress(IPAddress(family: family, bits: bits))),
                                      prefixLength: UInt8(Oracle.width(family)))
                let expires = input.u8() & 3 == 0 ? timestamp() : .none
                let got = port.addRoute(cidr, via: .unspecifiedFamily, preferredUntil: .none, expiresAt: expires)
                let expected = oracle.addRoute(cidr, via: .unspecifiedFamily, preferred: .none, expires: expires, now: now)
                expectEqual(got, expected, "burst addRoute \(cidr) \(expires)")
            }
        default:
            // The clock only moves forward; sometimes far, past every lifetime.
            let delta = input.u8() & 0x80 != 0 ? UInt64(input.u16()) : UInt64(input.u8() & 0x3f)
            clock.value.store(now &+ delta, ordering: .relaxed)
        }
    }
}

@c(LLVMFuzzerTestOneInput)
public func fuzzRouteTable(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var input = FuzzInput(data, size)
    let clock = FuzzClock()
    clock.value.store(1000 + UInt64(input.u16()), ordering: .relaxed)
    let limits = input.u8()
    var configuration = Port.Configuration()
    configuration.maxRoutes = Int(limits & 63) + 1
    configuration.maxAddresses = Int(limits >> 6) * 4 + 1
    configuration.clock = { clock.now }
    let port = Port(configuration)
    var harness = Harness(input: input, port: port, clock: clock,
                          oracle: Oracle(maxRoutes: configuration.maxRoutes, maxAddresses: configuration.maxAddresses))
    var steps = 0
    while !harness.input.isEmpty && steps < 512 {
        steps += 1
        harness.step()
    }
    harness.compareLists()
    return 0
}
