import Synchronization
import Testing
@testable import WasixNet

extension Concurrent {
    /// The large form's reader on two threads while a third thread writes (wasixnet.h
    /// [port.concurrency]): every answer is one the table gave at some instant; list walks end, and
    /// keep the routes that were never removed, in their order. Reclamation is the port's: readers
    /// read inside read sections, the writer hands what each write unlinked to the retire queue and
    /// reuses record ids only once their wait is over (ReadSection), so a block freed or an id
    /// renamed too early shows here as a wrong answer, or to ASan as a use after free.
    @Suite struct RouteTableReaderConcurrencyTests {
        struct SharedTable: @unchecked Sendable {
            let pointer: UnsafeMutablePointer<RouteTable>
        }

        final class Progress: Sendable {
            let readersDone = Atomic<Int>(0)
            let writes = Atomic<Int>(0)
        }

        /// The router of a test route says its prefix length, so an answer can be checked alone.
        static func router(_ family: IPAddress.Family, _ length: Int) -> ScopedAddress {
            family == .v4 ? ScopedAddress(IPAddress(v4: 0x0aff_0000 | UInt32(length)))
                : ScopedAddress(IPAddress(v6: 0xfe80 << 112 | UInt128(length)))
        }

        static func route(_ network: Network) -> Route {
            Route(destination: CIDR(ScopedAddress(network.address), prefixLength: network.prefixLength),
                  router: router(network.address.family, Int(network.prefixLength)))
        }

        static let probe4 = v4(10, 1, 2, 3)
        static let probe6 = IPAddress(v6: 0x2001_0db8_0001_0005 << 64 | 3)
        static let uncovered4 = v4(11, 0, 0, 1)
        /// Never removed: the /16s and /48s that cover the probes among them, and a /24 below each
        /// of 200 /16s, which makes the node of 10.0.0.0/8 dense (a slot per byte).
        static let base = (0..<200).map { Network(v4(10, UInt8($0), 0, 0), prefixLength: 16) }
            + (0..<200).map { Network(IPAddress(v6: (0x2001_0db8 << 96) | UInt128($0) << 80), prefixLength: 48) }
            + (0..<200).map { Network(v4(10, UInt8($0), 7, 0), prefixLength: 24) }
        /// Added and removed below the dense node: children it gains and loses in place
        /// (`RouteTrieNode.setDenseChild`), and the probe that one of them covers.
        static let denseToggled = (200..<256).map { Network(v4(10, UInt8($0), 9, 0), prefixLength: 24) }
        static let probeDense = v4(10, 250, 9, 1)
        /// Nested over the probes: whichever of them are present decides the answer.
        static let toggled = [24, 25, 28, 32].map { Network(probe4, prefixLength: UInt8($0)) }
            + [64, 100, 128].map { Network(probe6, prefixLength: UInt8($0)) }
        static let ownPrefix = Network(probe4, prefixLength: 24)
        static let defaultRouters = (1...4).map { ScopedAddress(v4(10, 255, 255, UInt8($0))) }

        /// Whether `route` is an answer the table can give for `address` at some instant.
        static func isPossibleAnswer(_ route: Route?, for address: IPAddress) -> Bool {
            guard let route else { return false }  // a base prefix or the default route always covers the probes
            let network = route.destination.network
            guard network.contains(address) else { return false }
            if network.prefixLength == 0 { return route.router.map { defaultRouters.contains($0) } ?? false }
            if network == ownPrefix && route.router == nil { return true }
            guard base.contains(network) || toggled.contains(network) || denseToggled.contains(network) else { return false }
            return route.router == router(address.family, Int(network.prefixLength))
        }

        @Test func readersSeeOnlyAnswersTheTableGave() {
            let table = UnsafeMutablePointer<RouteTable>.allocate(capacity: 1)
            table.initialize(to: RouteTable(maxRoutes: 100_000))
            for network in Self.base { #expect(table.pointee.addRoute(Self.route(network)) == .success) }
            #expect(table.pointee.setDefaultRoute(via: Self.defaultRouters[0]) == .success)
            table.pointee.freeRetiredNow()
            var denseNodes = 0
            RouteTrie<UInt32>.forEachNode(header: table.pointee.reader.header) { if $0.isDense { denseNodes += 1 } }
            #expect(denseNodes == 1)
            let shared = SharedTable(pointer: table), reader = table.pointee.reader
            let progress = Progress()

            let writer: @Sendable () -> Void = {
                var generator = SeededGenerator(seed: 5)
                var step = 0
                // Until both readers are done, and at least long enough to overlap them.
                while progress.readersDone.load(ordering: .acquiring) < 2 || step < 2000 {
                    let table = shared.pointer
                    switch Int.random(in: 0..<12, using: &generator) {
                    case 10, 11:
                        let network = Self.denseToggled.randomElement(using: &generator)!
                        if table.pointee.addRoute(Self.route(network)) == .exist { _ = table.pointee.removeRoutes(to: network.address) }
                    case 0..<4:
                        let network = Self.toggled.randomElement(using: &generator)!
                        if table.pointee.route(to: network) == nil {
                            #expect(table.pointee.addRoute(Self.route(network)) == .success)
                        } else {
                            _ = table.pointee.removeRoutes(to: network.address)
                            // Removal by address takes every length of it: put back the others.
                            for other in Self.toggled where other != network && other.address == network.address {
                                _ = table.pointee.addRoute(Self.route(other))
                            }
                        }
                    case 4:
                        if Bool.random(using: &generator) { _ = table.pointee.addOnLink(Self.ownPrefix) }
                        else { table.pointee.removeOnLink(Self.ownPrefix) }
                    case 5:
                        _ = table.pointee.setDefaultRoute(via: Self.defaultRouters.randomElement(using: &generator)!)
                    default:
                        // Noise beside the probes' paths: nodes they share are copied and retired.
                        let noise = Bool.random(using: &generator)
                            ? Network(v4(10, 1, 2, UInt8.random(in: 64...255, using: &generator)), prefixLength: 32)
                            : Network(IPAddress(v6: 0x2001_0db8_0001 << 80 | UInt128.random(in: 16...4096, using: &generator)),
                                      prefixLength: 128)
                        if table.pointee.addRoute(Self.route(noise)) == .exist { _ = table.pointee.removeRoutes(to: noise.address) }
                    }
                    table.pointee.takeRetired { ReadSection.retire(block: $0) }
                    table.pointee.reuseIDsPastTheirWait()
                    step += 1
                    progress.writes.store(step, ordering: .relaxed)
                }
            }
            let readerBody: @Sendable () -> Void = {
                var answers = 0
                for iteration in 0..<8_000 { ReadSection.reading {
                    for address in [Self.probe4, Self.probe6, Self.uncovered4, Self.probeDense] {
                        let answer = reader.longestMatch(for: address)
                        if !Self.isPossibleAnswer(answer, for: address) {
                            Issue.record("impossible answer \(String(describing: answer)) for \(address)")
                        }
                        answers += 1
                    }
                    #expect(reader.reaches(Self.probe4) && reader.reaches(Self.probe6))
                    if iteration % 100 == 0 {
                        var listed: [Network] = []
                        var walked = 0
                        reader.forEachRoute { route in
                            walked += 1
                            listed.append(route.destination.network)
                            return walked < 1_000_000
                        }
                        let kept = listed.filter { Self.base.contains($0) }
                        #expect(kept == Self.base, "the routes never removed, in their order")
                        // A walk ends: it may meet a prefix twice (removed, then added again at the
                        // tail while the walk ran), but never cycles (a cycle would reach the cap).
                        #expect(walked < 50_000)
                    }
                } }
                #expect(answers == 32_000)
                progress.readersDone.add(1, ordering: .releasing)
            }
            runOnThreads([writer, readerBody, readerBody])
            #expect(progress.writes.load(ordering: .relaxed) >= 2000)

            // Joined: now what was retired may go, and the table is exact again.
            table.pointee.freeRetiredNow()
            #expect(Self.isPossibleAnswer(table.pointee.longestMatch(for: Self.probe4), for: Self.probe4))
            #expect(table.pointee.routes.filter { Self.base.contains($0.destination.network) }.map(\.destination.network) == Self.base)
            table.deinitialize(count: 1)
            table.deallocate()
        }
    }
}
