import Testing
@testable import WasixNet

extension Concurrent {
    /// One UDP socket from several threads at once.
    @Suite struct UDPConcurrencyTests {
        /// One socket used from several threads: every send either traps (another thread used the
        /// grant) or reports what really went; nothing is lost or counted twice.
        @Test(arguments: UDPRuleTests.families) func concurrentUse(family: IPAddress.Family) async throws {
            let receiver = try streamingSocket(family)
            _ = receiver.setBufferSize(.receive, 1 << 20)
            let socket = try streamingSocket(family)
            let batch = Batch([([1], .some(receiver.local)), ([2, 2], .some(receiver.local))])
            let sent = await withTaskGroup(of: Int.self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        var total = 0
                        for _ in 0..<40 {
                            if case .success(let count) = batch.send(on: socket) { total += count }
                            _ = socket.localAddress()
                        }
                        return total
                    }
                }
                group.addTask {
                    for _ in 0..<40 { _ = socket.checkSend() }
                    return 0
                }
                return await group.reduce(0, +)
            }
            #expect(sent > 0)
            #expect(receive(receiver, count: sent).count == sent)
            #expect(receive(receiver).isEmpty)
        }
    }
}
