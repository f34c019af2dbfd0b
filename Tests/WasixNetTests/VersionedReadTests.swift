import Synchronization
import Testing
@testable import WasixNet

extension Concurrent {
    /// Readers that take no lock still see whole writes (wasixnet.h [port.concurrency]): while one
    /// thread runs a scripted sequence of writes on a port, readers look up, check routes and list,
    /// and every answer must be the answer of a table state that existed while the read ran.
    ///
    /// How an answer is judged: the script is replayed first on a second port, one write at a time,
    /// recording every probe's lookup and the route list after each write (state k: after k writes;
    /// the single-threaded answers themselves are checked against an oracle by the fuzz target). The
    /// port counts writes begun and ended (`writeSequence`, odd while one is under way), so a read
    /// that saw the count go from s1 to s2 may only answer as states s1 / 2 … (s2 + 1) / 2 did.
    /// The script crosses the 16-entry line between the short array and the trie both ways, nests
    /// prefixes so that most writes change some probe's answer, and replaces the gateway.
    @Suite struct VersionedReadTests {
        enum Write: Sendable {
            case add(IPAddress, UInt8, router: IPAddress?)
            case remove(IPAddress)
            case gateway(IPAddress)
            case addAddress(IPAddress, UInt8)
            case removeAddress(IPAddress)
            case clearRoutes
            case clearAddresses
        }

        /// Nested prefixes around the probes, a gateway, own addresses, and filler routes that move
        /// the table between its forms.
        static func script(writes count: Int, seed: UInt64) -> [Write] {
            var random = SeededGenerator(seed: seed)
            let nested: [(IPAddress, UInt8)] = [(v4(10, 0, 0, 0), 8), (v4(10, 1, 0, 0), 16), (v4(10, 1, 2, 0), 24),
                                                (v4(10, 1, 2, 3), 32), (v4(10, 1, 2, 128), 25), (v4(10, 2, 0, 0), 15),
                                                (v4(10, 1, 2, 0), 26)]
            var present = Set<Int>(), fillers = 0
            var writes: [Write] = []
            while writes.count < count {
                switch Int.random(in: 0..<100, using: &random) {
                case 0:
                    // A clear, of a table that is large more often than not: one write of many prefixes.
                    writes.append(.clearRoutes)
                    (present, fillers) = ([], 0)
                case 1:
                    writes.append(.clearAddresses)
                case 2..<40:
                    let pick = Int.random(in: 0..<nested.count, using: &random)
                    let (ip, length) = nested[pick]
                    if present.contains(pick) {
                        // Every length at the address goes (10.1.2.0: the /24 and the /26 at once).
                        present = present.filter { nested[$0].0 != ip }
                        writes.append(.remove(ip))
                    } else {
                        present.insert(pick)
                        writes.append(.add(ip, length, router: Bool.random(using: &random) ? v4(192, 168, 0, UInt8(pick + 1)) : nil))
                    }
                case 40..<50:
                    writes.append(.gateway(v4(192, 168, 1, UInt8.random(in: 1...254, using: &random))))
                case 50..<60:
                    writes.append(Bool.random(using: &random) ? .addAddress(v4(10, 1, 2, 77), 26) : .removeAddress(v4(10, 1, 2, 77)))
                default:
                    // Fillers in runs: up to 24 then back to none, so the table crosses the line.
                    if fillers < 24 && (fillers == 0 || Int.random(in: 0..<3, using: &random) > 0) {
                        writes.append(.add(v4(172, 16, UInt8(fillers), 0), 24, router: nil))
                        fillers += 1
                    } else if fillers > 0 {
                        fillers -= 1
                        writes.append(.remove(v4(172, 16, UInt8(fillers), 0)))
                    }
                }
            }
            return writes
        }

        static let probes: [IPAddress] = [v4(10, 1, 2, 3), v4(10, 1, 2, 200), v4(10, 1, 2, 70), v4(10, 1, 9, 9),
                                          v4(10, 3, 0, 1), v4(10, 2, 1, 1), v4(172, 16, 5, 1), v4(8, 8, 8, 8)]

        static func apply(_ write: Write, to port: Port) {
            switch write {
            case .add(let ip, let length, let router): _ = port.addRoute(ip, length, via: router)
            case .remove(let ip): _ = port.removeRoutes(to: tagged(ip))
            case .gateway(let router): _ = port.setGateway(tagged(router))
            case .addAddress(let ip, let length): _ = port.addAddress(taggedCIDR(ip, length))
            case .removeAddress(let ip): _ = port.removeAddress(tagged(ip))
            case .clearRoutes: _ = port.clearRoutes()
            case .clearAddresses: _ = port.clearAddresses()
            }
        }

        struct State: Sendable {
            var answers: [Route?]
            var routes: [Route]
        }

        static func record(_ port: Port) -> State {
            State(answers: probes.map { port.lookupRoute($0) }, routes: port.routes)
        }

        @Test func everyAnswerBelongsToAStateThatExisted() async {
            let script = Self.script(writes: 3000, seed: 11)
            let reference = makePort()
            var states = [Self.record(reference)]
            for write in script {
                Self.apply(write, to: reference)
                states.append(Self.record(reference))
            }
            // Sanity of the script itself: it must change answers and cross the form line.
            #expect(Set(states.map { $0.routes.count }).contains { $0 > SizedRouteTable.compactLimit })
            #expect(zip(states, states.dropFirst()).filter { $0.answers != $1.answers }.count > 200)

            let port = makePort(), finished = Flag()
            let expected = states
            let readers = 2
            let results = await withTaskGroup(of: (checks: Int, wrong: Int, versions: Int).self) { group in
                group.addTask {
                    for (index, write) in script.enumerated() {
                        Self.apply(write, to: port)
                        if index % 8 == 0 { await Task.yield() }
                    }
                    finished.value.store(true, ordering: .releasing)
                    return (0, 0, 0)
                }
                for reader in 0..<readers {
                    group.addTask {
                        var checks = 0, wrong = 0, seen = Set<UInt64>(), round = 0
                        while !finished.value.load(ordering: .acquiring) {
                            let before = port.writeSequence
                            let state: (Int) -> State = { expected[min($0, expected.count - 1)] }
                            let probe = (round + reader) % Self.probes.count
                            let right: Bool
                            switch round % 4 {
                            case 0:
                                let answer = port.lookupRoute(Self.probes[probe])
                                right = Self.window(before, port.writeSequence).contains { state($0).answers[probe] == answer }
                            case 3:
                                // The plain answer (the C ABI's first try): a state's route, or none;
                                // deferring to lookup is always allowed.
                                switch port.plainLookup(Self.probes[probe]) {
                                case .found(let plain):
                                    right = Self.window(before, port.writeSequence).contains { state($0).answers[probe] == plain.route }
                                case .unreachable:
                                    right = Self.window(before, port.writeSequence).contains { state($0).answers[probe] == nil }
                                case .needsFullAnswer:
                                    right = true
                                }
                            case 1:
                                let answer = port.hasRoute(to: Self.probes[probe])
                                right = Self.window(before, port.writeSequence).contains { (state($0).answers[probe] != nil) == answer }
                            default:
                                let answer = port.routes
                                right = Self.window(before, port.writeSequence).contains { state($0).routes == answer }
                            }
                            if !right { wrong += 1 }
                            checks += 1
                            seen.insert(before)
                            round += 1
                            if round % 64 == 0 { await Task.yield() }
                        }
                        return (checks, wrong, seen.count)
                    }
                }
                var total = (checks: 0, wrong: 0, versions: 0)
                for await result in group {
                    total = (total.checks + result.checks, total.wrong + result.wrong, max(total.versions, result.versions))
                }
                return total
            }
            print("versioned reads: \(results.checks) checks, \(results.wrong) wrong, \(results.versions) versions seen by one reader")
            #expect(results.wrong == 0)
            #expect(results.checks > 1000)
            // The readers really ran during the writes (not before or after them all).
            #expect(results.versions > 100)
            #expect(port.routes == states.last?.routes)
        }

        /// A write that changes several prefixes of a large table is one step for lookups, across
        /// lookups too: a reader that has seen its effect on one address cannot then see another
        /// address as before it. The writer removes 26 nested prefixes at 10.0.0.0 (/7 … /32) with
        /// one removal, then puts them back, over and over; a reader looks up 11.0.0.1 (only the
        /// /7 covers it) and then 10.0.0.0 (the /32), and when both lookups fell inside one
        /// removal (the write count odd and unchanged around them), seeing the first gone and the
        /// second still there would be a state that never existed.
        @Test func aWriteOfSeveralPrefixesIsOneStepAcrossLookups() {
            let port = makePort(maxRoutes: 1000), finished = Flag()
            for filler in 0..<20 { #expect(port.addRoute(v4(172, 16, UInt8(filler), 0), 24) == .success) }
            let nested = (7...32).map { UInt8($0) }
            let counts = Counts()
            runOnThreads([
                {
                    for _ in 0..<300 {
                        for length in nested { _ = port.addRoute(v4(10, 0, 0, 0), length) }
                        _ = port.removeRoutes(to: tagged(v4(10, 0, 0, 0)))
                    }
                    finished.value.store(true, ordering: .releasing)
                },
                {
                    while !finished.value.load(ordering: .acquiring) {
                        let before = port.writeSequence
                        let outer = port.lookupRoute(v4(11, 0, 0, 1)), inner = port.lookupRoute(v4(10, 0, 0, 0))
                        guard before & 1 == 1, port.writeSequence == before else { continue }
                        counts.inside.add(1, ordering: .relaxed)
                        if outer == nil && inner?.destination.prefixLength == 32 { counts.torn.add(1, ordering: .relaxed) }
                    }
                },
            ])
            print("several-prefix writes: \(counts.inside.load(ordering: .relaxed)) lookup pairs inside one, \(counts.torn.load(ordering: .relaxed)) torn")
            #expect(counts.torn.load(ordering: .relaxed) == 0)
        }

        final class Counts: Sendable {
            let inside = Atomic<Int>(0), torn = Atomic<Int>(0)
        }

        final class Flag: Sendable {
            let value = Atomic<Bool>(false)
        }

        /// The states a read may answer from, given the write counts seen before and after it.
        static func window(_ before: UInt64, _ after: UInt64) -> ClosedRange<Int> {
            Int(before / 2)...Int((after + 1) / 2)
        }
    }
}
