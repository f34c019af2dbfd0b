#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import WasixNet

/// Create/free cycles that must leave no descriptor or memory behind. No threads of its own, so
/// not part of the TSan run (`Concurrent`).
@Suite struct HostileCycleTests {
    /// 100 000 cycles of making and freeing a port and a socket tied to it (every 64th time the
    /// port also gets routes with lifetimes, an address and a gateway; every 256th the socket is
    /// bound and streams): open descriptors and RSS come back to where they were after a warm-up
    /// of 2 000 cycles. Other suites run in parallel and open descriptors and memory of their
    /// own, so the bounds leave room for them: at most 16 descriptors and 24 MiB of RSS apart —
    /// a leak of one descriptor in 256 cycles would be 380, of 256 bytes a cycle 24 MiB. RSS
    /// is not checked under a sanitizer, whose allocator keeps freed memory on purpose.
    @Test(.timeLimit(.minutes(1))) func hundredThousandCreateFreeCyclesLeakNothing() throws {
        let clock = ManualClock(1000)
        func cycle(_ index: Int) throws {
            let port = makePort(clock: clock, maxRoutes: 8, maxAddresses: 4)
            if index % 64 == 0 {
                clock.set(1000)
                _ = port.addRoute(v4(10, UInt8(index & 0xff), 0, 0), 16, via: v4(10, 0, 0, 1), expiresAt: 5000)
                _ = port.addRoute(v6(0x2001, 0xdb8, UInt16(index & 0xffff), 0, 0, 0, 0, 0), 48, preferredUntil: 2000)
                _ = port.addAddress(taggedCIDR(v4(192, 168, 1, 5), 24))
                _ = port.setGateway(tagged(v4(192, 168, 1, 1)))
                clock.set(6000)
                _ = port.lookup(tagged(v4(10, 0, 0, 1)))
            }
            let family: IPAddress.Family = index % 2 == 0 ? .v4 : .v6
            let socket = try #require(UDPSocket.create(family: family, port: port).value)
            if index % 256 == 0 {
                #expect(socket.startBind(.some(loopback(family))).failure == nil)
                #expect(socket.finishBind().failure == nil)
                #expect(socket.stream(.some(loopback(family, port: 9))).failure == nil)
                _ = socket.checkSend()
            }
        }
        for index in 0..<2000 { try cycle(index) }
        let descriptors = openDescriptorCount(), resident = residentBytes()
        let start = monotonicSeconds()
        for index in 2000..<100_000 { try cycle(index) }
        let elapsed = monotonicSeconds() - start
        let descriptorDrift = openDescriptorCount() - descriptors
        #expect(abs(descriptorDrift) <= 16, "open descriptors moved by \(descriptorDrift) over 98 000 cycles")
        if !runningUnderSanitizer {
            let growth = residentBytes() - resident
            #expect(growth < 24 << 20, "RSS grew by \(growth) bytes over 98 000 cycles")
        }
        print("create/free: 98 000 cycles in \(elapsed) s, descriptors moved by \(descriptorDrift)")
    }
}
