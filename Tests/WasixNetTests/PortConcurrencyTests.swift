import Testing
@testable import WasixNet

extension Concurrent {
    /// One port used from several threads at once: every call stays consistent, and the table ends
    /// in the state the operations imply.
    @Suite struct PortConcurrencyTests {
        @Test func concurrentAddsRemovesListsAndLookups() async {
            let port = makePort(maxRoutes: 100_000)
            await withTaskGroup(of: Void.self) { group in
                // Two writers on disjoint ranges: each adds 2000 routes and removes every other one.
                for writer in 0..<2 {
                    group.addTask {
                        for i in 0..<2000 {
                            let network = v4(10, UInt8(writer), UInt8(i >> 8), UInt8(i & 0xff))
                            #expect(port.addRoute(network, 32) == .success)
                            if i % 2 == 1 { #expect(port.removeRoutes(to: tagged(network)) == .success) }
                        }
                    }
                }
                // A reader that lists and looks up meanwhile: lists are always whole and ordered.
                group.addTask {
                    for _ in 0..<200 {
                        let routes = port.routes
                        #expect(Set(routes.map(\.destination.network)).count == routes.count)
                        _ = port.lookup(tagged(v4(10, 0, 3, 4)))
                    }
                }
                group.addTask {
                    for i in 0..<2000 {
                        _ = port.addAddress(taggedCIDR(v4(172, 16, UInt8(i >> 8), UInt8(i & 0xff)), 32))
                        _ = port.removeAddress(tagged(v4(172, 16, UInt8(i >> 8), UInt8(i & 0xff))))
                    }
                }
            }
            let routes = port.routes
            #expect(routes.count == 2000)
            #expect(routes.allSatisfy { Int($0.destination.address.ip.bits & 1) == 0 })
            #expect(port.addresses.isEmpty)
            #expect(port.lookupRoute(v4(10, 1, 0, 2)) != nil)
            #expect(port.lookupRoute(v4(10, 1, 0, 3)) == nil)
        }
    }
}
