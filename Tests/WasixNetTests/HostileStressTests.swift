#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Testing
@testable import WasixNet

extension Concurrent {
    /// Hard conditions, bounded in time: many threads on one port while its sockets send through it.
    @Suite struct HostileStressTests {
        /// 4 threads add, remove, list and look up routes on one port (each in its own range, so each
        /// knows exactly what its lookups must answer) while 2 threads send and receive sequence-
        /// numbered datagrams on loopback sockets tied to that port, which enforces routes: every
        /// datagram's route lookup races the route writers. Each side stops at its count or at a
        /// deadline (so the test stays bounded under sanitizers); then every invariant is checked.
        @Test(.timeLimit(.minutes(1))) func routeWritersRaceSocketsOnOnePort() throws {
            var configuration = Port.Configuration()
            configuration.enforceRoutes = true
            configuration.maxRoutes = 100_000
            let port = Port(configuration)
            // Loopback is an own prefix: the senders' destination stays reachable whatever the writers do.
            #expect(port.addAddress(taggedCIDR(v4(127, 0, 0, 1), 8)) == .success)

            let receiver = try streamingSocket(.v4)
            #expect(receiver.setBufferSize(.receive, 4 << 20).failure == nil)
            let sender = try streamingSocket(.v4, to: receiver.local, port: port)
            let deadline = monotonicSeconds() + 8
            let routeOps = 4000, datagramTarget = 20_000, window = 128, length = 64

            final class Shared: Sendable {
                let sentCount = Atomic<Int>(0)       // reported sent by send
                let receivedCount = Atomic<Int>(0)
                let senderDone = Atomic<Bool>(false)
                let failures = Locked<[String]>([])
                /// Each writer's live routes, one slot per writer, written before its thread ends and
                /// read after the join (no lock: the join orders them).
                final class Slot: @unchecked Sendable { var routes = Set<Network>() }
                let expectedRoutes = (0..<4).map { _ in Slot() }
                let received = Locked<[UInt64]>([])
                func fail(_ message: String) { failures.withLock { $0.append(message) } }
            }
            let shared = Shared()

            var bodies: [@Sendable () -> Void] = []
            for writer in 0..<4 {
                bodies.append {
                    var generator = SeededGenerator(seed: UInt64(writer) + 100)
                    var live = Set<Network>()
                    // Writer k owns 10.k.0.0/16 (prefixes /24 and /28 inside it) and 2001:db8:k::/48.
                    func network(_ index: Int) -> Network {
                        if index % 3 == 2 {
                            return Network(IPAddress(v6: UInt128(0x2001_0db8) << 96 | UInt128(writer) << 80 | UInt128(index) << 64),
                                           prefixLength: 64)
                        }
                        let third = UInt8(index % 64), prefix: UInt8 = index % 2 == 0 ? 24 : 28
                        return Network(v4(10, UInt8(writer), third, prefix == 24 ? 0 : UInt8(16 * (index % 16))), prefixLength: prefix)
                    }
                    for step in 0..<routeOps where monotonicSeconds() < deadline {
                        let target = network(Int.random(in: 0..<192, using: &generator))
                        let tagged = TaggedCIDR(address: .ip(ScopedAddress(target.address)), prefixLength: target.prefixLength)
                        switch Int.random(in: 0..<10, using: &generator) {
                        case 0...3:
                            let result = port.addRoute(tagged, via: .unspecifiedFamily, preferredUntil: .none, expiresAt: .none)
                            let expected: WasixErrno = live.contains(target) ? .exist : .success
                            if result != expected { shared.fail("writer \(writer): add \(target) gave \(result)") }
                            live.insert(target)
                        case 4...5:
                            let result = port.removeRoutes(to: .ip(ScopedAddress(target.address)))
                            let removed = live.filter { $0.address == target.address }
                            if result != (removed.isEmpty ? .noent : .success) { shared.fail("writer \(writer): remove \(target) gave \(result)") }
                            live.subtract(removed)
                        case 6...8:
                            // A host inside the target: the longest of this writer's live prefixes holding it.
                            let host = IPAddress(family: target.address.family, bits: target.address.bits | UInt128(step % 7 + 1))
                            let best = live.filter { $0.contains(host) }.max { $0.prefixLength < $1.prefixLength }
                            let found = port.lookupRoute(host)?.destination.network
                            if found != best { shared.fail("writer \(writer): lookup \(host) gave \(String(describing: found)), expected \(String(describing: best))") }
                        default:
                            // A whole list, at any moment: no duplicates, and this writer's part is exact.
                            let listed = port.routes.map(\.destination.network)
                            if Set(listed).count != listed.count { shared.fail("writer \(writer): duplicate routes listed") }
                            let mine = Set(listed.filter { owner(of: $0) == writer })
                            if mine != live { shared.fail("writer \(writer): list shows \(mine.count) of its routes, expected \(live.count)") }
                        }
                    }
                    shared.expectedRoutes[writer].routes = live
                }
            }
            // The sender: batches of 1…64 sequence-numbered datagrams, never more than `window` ahead
            // of the receiver (so the receive buffer cannot overflow and drop any).
            bodies.append {
                var generator = SeededGenerator(seed: 7)
                var next: UInt64 = 0
                while next < UInt64(datagramTarget) && monotonicSeconds() < deadline {
                    let ahead = Int(next) - shared.receivedCount.load(ordering: .acquiring)
                    if ahead >= window { sched_yield(); continue }
                    let count = min(Int.random(in: 1...64, using: &generator), window - ahead, datagramTarget - Int(next))
                    var batch = Batch()
                    for offset in 0..<count { batch.append(sequencedPayload(next + UInt64(offset), length: length), to: .none) }
                    switch batch.send(on: sender) {
                    case .success(let sent):
                        next += UInt64(sent)
                        shared.sentCount.store(Int(next), ordering: .releasing)
                    case .failure(let failure):
                        shared.fail("send failed: \(failure)")
                        shared.senderDone.store(true, ordering: .releasing)
                        return
                    }
                }
                shared.senderDone.store(true, ordering: .releasing)
            }
            // The receiver: everything, until the sender is done and all it reported has come (or 3 s more).
            bodies.append {
                let slot = 2048
                let storage = UnsafeMutableRawPointer.allocate(byteCount: 64 * slot, alignment: 8)
                defer { storage.deallocate() }
                var arrivals: [[UInt8]] = []
                var sequences: [UInt64] = []
                var stopAt = Double.infinity
                while monotonicSeconds() < stopAt {
                    if shared.senderDone.load(ordering: .acquiring) {
                        if stopAt == .infinity { stopAt = monotonicSeconds() + 3 }
                        if sequences.count >= shared.sentCount.load(ordering: .acquiring) { break }
                    }
                    waitReadable(receiver, milliseconds: 10)
                    arrivals.removeAll(keepingCapacity: true)
                    if case .failure(let failure) = receiveQueued(receiver, into: &arrivals, storage: storage, slotSize: slot) {
                        shared.fail("receive failed: \(failure)")
                        break
                    }
                    for bytes in arrivals {
                        guard let number = sequence(of: bytes) else { shared.fail("a datagram arrived damaged"); continue }
                        sequences.append(number)
                    }
                    shared.receivedCount.store(sequences.count, ordering: .releasing)
                }
                // Anything late would be a datagram sent but not reported.
                waitReadable(receiver, milliseconds: 50)
                arrivals.removeAll()
                _ = receiveQueued(receiver, into: &arrivals, storage: storage, slotSize: slot)
                sequences += arrivals.compactMap(sequence(of:))
                shared.received.withLock { $0 = sequences }
            }
            runOnThreads(bodies)

            #expect(shared.failures.withLock { $0 } == [])
            // Every datagram reported sent arrived exactly once, in order; nothing else arrived.
            let sent = shared.sentCount.load(ordering: .acquiring)
            #expect(sent > 0)
            let received = shared.received.withLock { $0 }
            let firstDifference = received.indices.first { received[$0] != UInt64($0) }
            #expect(received.count == sent && firstDifference == nil,
                    "\(sent) reported sent, \(received.count) received, first difference at \(String(describing: firstDifference))")
            // The table holds exactly the writers' live routes, each once.
            let expected = shared.expectedRoutes.reduce(into: Set<Network>()) { $0.formUnion($1.routes) }
            let listed = port.routes.map(\.destination.network)
            #expect(listed.count == expected.count)
            #expect(Set(listed) == expected)
            #expect(port.addresses.map(\.address.ip) == [v4(127, 0, 0, 1)])
            #expect(port.lookupRoute(v4(127, 0, 0, 1))?.destination.network == Network(v4(127, 0, 0, 0), prefixLength: 8))
            #expect(port.clearRoutes() == .success)
            #expect(port.routes.isEmpty)
            #expect(port.hasRoute(to: v4(127, 0, 0, 1)))
        }
    }
}

/// Which stress writer a network belongs to (10.k.0.0/16 or 2001:db8:k::/48), or -1.
private func owner(of network: Network) -> Int {
    let bits = network.address.bits
    if network.address.family == .v4 { return bits >> 24 == 10 ? Int(bits >> 16 & 0xff) : -1 }
    return bits >> 96 == 0x2001_0db8 ? Int(bits >> 80 & 0xffff) : -1
}
