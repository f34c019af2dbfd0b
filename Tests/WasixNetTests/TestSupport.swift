import Synchronization
@testable import WasixNet

/// A seeded generator (SplitMix64), so every random test replays the same inputs.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let nanoseconds: Atomic<UInt64>
    init(_ start: UInt64) { nanoseconds = Atomic(start) }
    var now: UInt64 { nanoseconds.load(ordering: .relaxed) }
    func set(_ value: UInt64) { nanoseconds.store(value, ordering: .relaxed) }
    var reading: @Sendable () -> UInt64 { { [self] in now } }
}

func v4(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) -> IPAddress {
    IPAddress(v4: UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d))
}

/// An IPv6 address from its eight groups.
func v6(_ groups: UInt16...) -> IPAddress {
    precondition(groups.count == 8)
    return IPAddress(v6: groups.reduce(0) { $0 << 16 | UInt128($1) })
}

func tagged(_ ip: IPAddress) -> TaggedAddress { .ip(ScopedAddress(ip)) }

func taggedCIDR(_ ip: IPAddress, _ prefix: UInt8) -> TaggedCIDR { TaggedCIDR(address: tagged(ip), prefixLength: prefix) }

func makePort(clock: ManualClock? = nil, maxRoutes: Int = 4096, maxAddresses: Int = 256) -> Port {
    var configuration = Port.Configuration()
    configuration.maxRoutes = maxRoutes
    configuration.maxAddresses = maxAddresses
    configuration.clock = clock?.reading
    return Port(configuration)
}

extension Port {
    var routes: [Route] {
        var all: [Route] = []
        _ = listRoutes(capacity: Int.max) { _, route in all.append(route) }
        return all
    }

    var addresses: [CIDR] {
        var all: [CIDR] = []
        _ = listAddresses(capacity: Int.max) { _, cidr in all.append(cidr) }
        return all
    }

    /// Adds an on-link route with no lifetimes.
    func addRoute(_ ip: IPAddress, _ prefix: UInt8, via router: IPAddress? = nil,
                  preferredUntil: UInt64? = nil, expiresAt: UInt64? = nil) -> WasixErrno {
        addRoute(taggedCIDR(ip, prefix), via: router.map(tagged) ?? .unspecifiedFamily,
                 preferredUntil: preferredUntil.map(TaggedTimestamp.some) ?? TaggedTimestamp.none,
                 expiresAt: expiresAt.map(TaggedTimestamp.some) ?? TaggedTimestamp.none)
    }

    func lookupRoute(_ ip: IPAddress) -> Route? {
        if case .success(let found) = lookup(tagged(ip)) { return found.route }
        return nil
    }
}
