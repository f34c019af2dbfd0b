import Testing
@testable import WasixNet

extension Concurrent {
    /// Readers that take no lock still see whole states (wasixnet.h [port.concurrency]): a writer
    /// changes the table step by step and records, for each version it publishes, what a naive
    /// model of the table answers; readers look up and list meanwhile, and every answer they got
    /// must be the model's answer for the version that gave it.
    @Suite struct SnapshotReadTests {
        /// Prefixes that nest around the probes, so each change moves some probe's answer.
        static let prefixes: [(IPAddress, UInt8)] = [
            (v4(10, 0, 0, 0), 8), (v4(10, 1, 0, 0), 16), (v4(10, 1, 2, 0), 24), (v4(10, 1, 2, 3), 32),
            (v4(10, 2, 0, 0), 15), (v6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 32), (v6(0x2001, 0xdb8, 1, 0, 0, 0, 0, 0), 48),
            (v6(0x2001, 0xdb8, 1, 0, 0, 0, 0, 1), 128),
        ]
        static let probes: [IPAddress] = [
            v4(10, 1, 2, 3), v4(10, 1, 2, 4), v4(10, 1, 9, 9), v4(10, 3, 0, 1), v4(10, 200, 0, 1), v4(192, 0, 2, 1),
            v6(0x2001, 0xdb8, 1, 0, 0, 0, 0, 1), v6(0x2001, 0xdb8, 1, 0, 0, 0, 0, 2), v6(0x2001, 0xdb8, 7, 0, 0, 0, 0, 1),
        ]

        /// The naive answer: the longest present prefix covering `probe`, or the default route.
        static func expected(_ present: [Bool], _ probe: IPAddress) -> Network? {
            var best: Network? = probe.family == .v4 ? Network(v4(0, 0, 0, 0), prefixLength: 0) : nil
            for (index, (address, length)) in prefixes.enumerated() where present[index] {
                let network = Network(address, prefixLength: length)
                if network.contains(probe), network.prefixLength >= best?.prefixLength ?? 0 { best = network }
            }
            return best
        }

        struct Observation {
            var version: UInt64
            var probe: Int
            var answer: Network?
        }

        /// `filler` routes elsewhere (192.168.x.0/24) keep the table in its large form.
        @Test(arguments: [0, 40]) func everyAnswerBelongsToAPublishedVersion(filler: Int) {
            let port = makePort()
            #expect(port.setGateway(tagged(v4(192, 0, 2, 254))) == .success)
            for i in 0..<filler { #expect(port.addRoute(v4(192, 168, UInt8(i), 0), 24) == .success) }
            #expect(port.hasCompactTable == (filler == 0))
            let steps = 3000
            let states = Locked<[UInt64: [Network?]]>([:])
            let lists = Locked<[(UInt64, Set<Network>)]>([])
            let observations = Locked<[Observation]>([])
            let writerDone = Locked(false)
            var present = [Bool](repeating: false, count: Self.prefixes.count)
            func record() {
                let version = port.versionedLookup(Self.probes[0]).version
                let answers = Self.probes.map { Self.expected(present, $0) }
                states.withLock { $0[version] = answers }
            }
            record()
            let writer: @Sendable () -> Void = { [present] in
                var present = present
                var generator = SeededGenerator(seed: 11)
                for _ in 0..<steps {
                    let index = Int.random(in: 0..<Self.prefixes.count, using: &generator)
                    let (address, length) = Self.prefixes[index]
                    if present[index] {
                        #expect(port.removeRoutes(to: tagged(address)) == .success)
                    } else {
                        #expect(port.addRoute(address, length) == .success)
                    }
                    present[index].toggle()
                    let version = port.versionedLookup(Self.probes[0]).version
                    let answers = Self.probes.map { Self.expected(present, $0) }
                    states.withLock { $0[version] = answers }
                }
                writerDone.withLock { $0 = true }
            }
            let reader: @Sendable () -> Void = {
                var seen: [Observation] = [], listed: [(UInt64, Set<Network>)] = []
                var round = 0
                while round < 200_000, !(writerDone.withLock { $0 }) || round < 1000 {
                    let probe = round % Self.probes.count
                    let (version, route) = port.versionedLookup(Self.probes[probe])
                    seen.append(Observation(version: version, probe: probe, answer: route?.destination.network))
                    if round % 64 == 0 {
                        let (version, routes) = port.versionedRoutes()
                        listed.append((version, Set(routes.map(\.destination.network))))
                    }
                    round += 1
                }
                observations.withLock { $0 += seen }
                lists.withLock { $0 += listed }
            }
            runOnThreads([writer, reader, reader])
            _ = present
            let recorded = states.withLock { $0 }
            var checked = 0, versionsSeen = Set<UInt64>()
            for observation in observations.withLock({ $0 }) {
                guard let answers = recorded[observation.version] else {
                    Issue.record("an answer from version \(observation.version), which the writer never published")
                    return
                }
                #expect(answers[observation.probe] == observation.answer,
                        "probe \(Self.probes[observation.probe]) at version \(observation.version)")
                versionsSeen.insert(observation.version)
                checked += 1
            }
            for (version, networks) in lists.withLock({ $0 }) {
                #expect(recorded[version] != nil)
                // The listed prefixes answer every probe as that version's model does.
                let answers = Self.probes.map { probe in
                    networks.filter { $0.contains(probe) }.max { $0.prefixLength < $1.prefixLength }
                }
                #expect(answers == recorded[version], "list at version \(version)")
            }
            #expect(checked > 0)
            #expect(versionsSeen.count > 1, "readers saw only one state: the test did not interleave")
        }
    }
}
