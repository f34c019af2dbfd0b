#if canImport(Glibc)
import Glibc
#endif
import CWasixNetSystem
import Testing
@testable import WasixNet

/// `UDPSocket.receiveInPlace` (what wasixnet_guest_udp_receive is built on): every datagram once,
/// in order, byte for byte, whatever the per-call counts, mixed with the copying receive; on a
/// socket with UDP_GRO and through a receiver that reads without it (as where the kernel refuses).
@Suite struct UDPInPlaceReceiveTests {
    /// Mixed sizes: runs of equal sizes (coalesced by GSO and GRO) with short last segments,
    /// zero-length datagrams, single ones.
    static func traffic(to remote: IPSocketAddress) -> Batch {
        var batch = Batch()
        var tag = 0
        for (length, count) in [(1200, 70), (1200, 1), (0, 3), (300, 9), (37, 1), (1400, 66)] {
            for _ in 0..<count {
                batch.append(payload(tag, length: length), to: .some(remote))
                tag += 1
            }
        }
        return batch
    }

    /// Drains with `take(maxResults)` until `expected` datagrams came (2 s at most).
    static func drain(_ socket: UDPSocket, expected: Int, counts: [Int],
                      take: (Int) -> (Result<Int, SocketFailure>, [Arrival])) -> [Arrival] {
        var arrivals: [Arrival] = []
        let deadline = monotonicSeconds() + 2
        var call = 0
        while arrivals.count < expected && monotonicSeconds() < deadline {
            if socket.pendingCount == 0 {
                var entry = pollfd(fd: socket.fd, events: Int16(POLLIN), revents: 0)
                if poll(&entry, 1, 100) == 0 { continue }
            }
            let (result, got) = take(counts[call % counts.count])
            call += 1
            #expect(result.value == got.count)
            arrivals += got
        }
        return arrivals
    }

    static func inPlace(_ socket: UDPSocket, _ maxResults: Int) -> (Result<Int, SocketFailure>, [Arrival]) {
        var got: [Arrival] = []
        let result = socket.receiveInPlace(maxResults: maxResults) { datagrams in
            #expect(datagrams.count <= maxResults)
            while let datagram = datagrams.next() {
                got.append(Arrival(bytes: Array(datagram.bytes), truncated: false, remote: datagram.remote))
            }
            #expect(got.count == datagrams.count)
        }
        return (result, got)
    }

    @Test(arguments: [IPAddress.Family.v4, .v6], [true, false])
    func everyDatagramOnceInOrder(family: IPAddress.Family, coalesced: Bool) throws {
        let receiver = try streamingSocket(family)
        let sender = try streamingSocket(family)
        if !coalesced {
            // The kernel splits from now on; the socket's receiver still reads staged, so a
            // separate receiver that never asked for UDP_GRO reads the fd: the plain path.
            _ = Syscalls.setOption(receiver.fd, level: Int32(CWasixNetSystem_SOL_UDP), name: Int32(CWasixNetSystem_UDP_GRO), value: 0)
        }
        // Room for the whole batch queued uncoalesced (rmem_max permitting).
        _ = receiver.setBufferSize(.receive, 4 << 20)
        let plain = Receiver(gro: false)
        let batch = Self.traffic(to: receiver.local)
        #expect(batch.send(on: sender).value == batch.count)
        let counts = [1, 3, 64, 1024, 2, 100]
        let arrivals = Self.drain(receiver, expected: batch.count, counts: counts) { maxResults in
            if coalesced {
                // Alternate with the copying receive: both hand out the same held datagrams.
                if maxResults == 2 {
                    let got = receive(receiver, count: 1, timeout: 0.2)
                    return (.success(got.count), got)
                }
                return Self.inPlace(receiver, maxResults)
            }
            var got: [Arrival] = []
            let result = plain.receiveInPlace(fd: receiver.fd, count: min(maxResults, 1024), peer: nil, readAhead: false) { datagrams in
                while let datagram = datagrams.next() {
                    got.append(Arrival(bytes: Array(datagram.bytes), truncated: false, remote: datagram.remote))
                }
            }
            return (result, got)
        }
        #expect(arrivals.count == batch.count)
        let mismatch = arrivals.indices.first { index in
            index >= batch.count || arrivals[index].remote != sender.local
                || arrivals[index].bytes != Array(batch.bytes[batch.offsets[index]..<batch.offsets[index] + batch.lengths[index]])
        }
        #expect(mismatch == nil, "lengths \(arrivals.map(\.bytes.count)) first bytes \(arrivals.map { $0.bytes.first ?? 0 })")
        #expect(receiver.pendingCount == 0)
    }

    @Test func beforeStreamAndZeroResults() throws {
        let socket = try boundSocket(.v4)
        var called = false
        #expect(socket.receiveInPlace(maxResults: 4) { _ in called = true }.failure == .error(.invalidState))
        #expect(!called)
        #expect(socket.stream(.none).failure == nil)
        var seen = -1
        #expect(socket.receiveInPlace(maxResults: 0) { seen = $0.count }.value == 0)
        #expect(seen == 0)
        #expect(socket.receiveInPlace(maxResults: 64) { seen = $0.count }.value == 0)
        #expect(seen == 0)
    }

    /// A caller that takes fewer than it was handed (a guest trapped midway) loses the rest of
    /// that call, and nothing else.
    @Test func untakenDatagramsGoWithTheCall() throws {
        let receiver = try streamingSocket(.v4)
        let sender = try streamingSocket(.v4)
        var batch = Batch()
        for tag in 0..<128 { batch.append(payload(tag, length: 100), to: .some(receiver.local)) }
        #expect(batch.send(on: sender).value == 128)
        var entry = pollfd(fd: receiver.fd, events: Int16(POLLIN), revents: 0)
        _ = poll(&entry, 1, 1000)
        var handed = 0
        var first: [UInt8] = []
        _ = receiver.receiveInPlace(maxResults: 64) { datagrams in
            handed = datagrams.count
            first = Array(datagrams.next()!.bytes)
        }
        #expect(first == payload(0, length: 100))
        let rest = Self.drain(receiver, expected: 128 - handed, counts: [64]) { Self.inPlace(receiver, $0) }
        #expect(rest.count == 128 - handed)
        #expect(rest.first?.bytes == payload(handed, length: 100))
    }
}
