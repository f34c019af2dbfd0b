#if canImport(Glibc)
import Glibc
#endif
import CWasixNetSystem
import Synchronization
import Testing
@testable import WasixNet

/// Loopback of `family` (127.0.0.1 or ::1) with `port`.
func loopback(_ family: IPAddress.Family, port: UInt16 = 0) -> IPSocketAddress {
    family == .v4 ? IPSocketAddress(IPAddress(v4: 0x7f00_0001), port: port) : IPSocketAddress(IPAddress(v6: 1), port: port)
}

/// An address of `family` that no loopback socket can reach without a route: TEST-NET-1 /
/// the documentation prefix.
func documentationAddress(_ family: IPAddress.Family, port: UInt16 = 9) -> IPSocketAddress {
    family == .v4 ? IPSocketAddress(IPAddress(v4: 0xc000_0201), port: port)
        : IPSocketAddress(IPAddress(v6: UInt128(0x2001_0db8) << 96 | 1), port: port)
}

/// The other family's loopback.
func otherFamily(_ family: IPAddress.Family) -> IPAddress.Family { family == .v4 ? .v6 : .v4 }

/// ::ffff:127.0.0.1 with `port`.
func mappedLoopback(port: UInt16) -> IPSocketAddress { IPSocketAddress(IPAddress(v6: 0xffff_7f00_0001), port: port) }

extension Result {
    var failure: Failure? {
        if case .failure(let failure) = self { return failure }
        return nil
    }

    var value: Success? {
        if case .success(let value) = self { return value }
        return nil
    }
}

/// A bound socket on loopback port 0 (an ephemeral port).
func boundSocket(_ family: IPAddress.Family, port: Port? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws -> UDPSocket {
    let socket = try #require(UDPSocket.create(family: family, port: port).value, sourceLocation: sourceLocation)
    #expect(socket.startBind(.some(loopback(family))).failure == nil, sourceLocation: sourceLocation)
    #expect(socket.finishBind().failure == nil, sourceLocation: sourceLocation)
    return socket
}

/// A bound socket with streams, to `peer` or to every peer.
func streamingSocket(_ family: IPAddress.Family, to peer: IPSocketAddress? = nil, port: Port? = nil,
                     sourceLocation: SourceLocation = #_sourceLocation) throws -> UDPSocket {
    let socket = try boundSocket(family, port: port, sourceLocation: sourceLocation)
    #expect(socket.stream(peer.map(RemoteAddress.some) ?? .none).failure == nil, sourceLocation: sourceLocation)
    return socket
}

extension UDPSocket {
    var local: IPSocketAddress { (try? localAddress().get()) ?? loopback(family) }
}

/// Datagrams to send, laid out in one buffer: what `UDPSocket.send` is given.
struct Batch {
    var bytes: [UInt8] = []
    var offsets: [Int] = []
    var lengths: [Int] = []
    var remotes: [RemoteAddress] = []

    init() {}

    init(_ items: [([UInt8], RemoteAddress)]) {
        for (payload, remote) in items { append(payload, to: remote) }
    }

    var count: Int { lengths.count }

    mutating func append(_ payload: [UInt8], to remote: RemoteAddress) {
        offsets.append(bytes.count)
        lengths.append(payload.count)
        remotes.append(remote)
        bytes += payload
    }

    /// Sends datagrams `range` (a check-send first unless `check` is false).
    func send(on socket: UDPSocket, _ range: Range<Int>? = nil, check: Bool = true) -> Result<Int, SocketFailure> {
        let range = range ?? 0..<count
        if check { _ = socket.checkSend() }
        return bytes.withUnsafeBytes { raw in
            socket.send(count: range.count) { index in
                let item = range.lowerBound + index
                return OutgoingDatagram(data: raw.baseAddress.map { $0 + offsets[item] }, length: lengths[item], remote: remotes[item])
            }
        }
    }
}

/// A payload of `length` bytes whose content says which it is.
func payload(_ tag: Int, length: Int) -> [UInt8] {
    (0..<length).map { UInt8(truncatingIfNeeded: tag &* 31 &+ $0) }
}

struct Arrival: Equatable {
    var bytes: [UInt8]
    var truncated: Bool
    var remote: IPSocketAddress
}

/// Receives until `count` datagrams arrived or `timeout` passed (or, with count nil, until the
/// socket has been quiet for `quiet` seconds).
func receive(_ socket: UDPSocket, count: Int? = nil, capacity: Int = 65536, timeout: Double = 2,
             quiet: Double = 0.05) -> [Arrival] {
    var arrivals: [Arrival] = []
    let deadline = monotonicSeconds() + timeout
    let slots = 64
    let storage = UnsafeMutableRawPointer.allocate(byteCount: slots * max(capacity, 1), alignment: 8)
    defer { storage.deallocate() }
    while monotonicSeconds() < deadline {
        if let count, arrivals.count >= count { break }
        var entry = pollfd(fd: socket.fd, events: Int16(POLLIN), revents: 0)
        if poll(&entry, 1, count == nil ? Int32(quiet * 1000) : 100) == 0 {
            if count == nil { break }
            continue
        }
        var batch: [(Int, ReceivedDatagram)] = []
        let result = socket.receive(maxResults: slots) { index in
            ReceiveBuffer(base: storage + index * max(capacity, 1), capacity: capacity)
        } store: { index, datagram in
            batch.append((index, datagram))
        }
        guard case .success = result else { break }
        for (index, datagram) in batch {
            let bytes = UnsafeRawBufferPointer(start: storage + index * max(capacity, 1), count: datagram.length)
            arrivals.append(Arrival(bytes: Array(bytes), truncated: datagram.truncated, remote: datagram.remote))
        }
    }
    return arrivals
}

func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

/// A fault hook for `socket`'s batch calls for the duration of `body`.
func withFaultHook<Result>(on socket: UDPSocket, _ hook: @escaping SyscallFaultHook, _ body: () throws -> Result) rethrows -> Result {
    Syscalls.installFaultHook(fd: socket.fd, hook)
    defer { Syscalls.removeFaultHook(fd: socket.fd) }
    return try body()
}

/// What a fault hook saw: for each sendmmsg call, the segment size (0: none) and datagram
/// count of every message offered.
final class CallRecorder: Sendable {
    struct Message: Equatable { var segmentSize: Int; var datagrams: Int }
    let calls = Locked<[[Message]]>([])

    func record(_ messages: UnsafeMutablePointer<CWasixNetSystem_mmsghdr>, _ count: Int) {
        let seen = (0..<count).map { index in
            Message(segmentSize: Int(CWasixNetSystem_udp_segment(&messages[index].msg_hdr)),
                    datagrams: Int(messages[index].msg_hdr.msg_iovlen))
        }
        calls.withLock { $0.append(seen) }
    }

    var all: [[Message]] { calls.withLock { $0 } }
}

/// `UDP_CORK` on a raw descriptor (a test's way to hold datagrams in the send buffer).
func setCork(_ fd: Int32, _ on: Bool) {
    var value: Int32 = on ? 1 : 0
    _ = setsockopt(fd, Int32(IPPROTO_UDP), 1 /* UDP_CORK */, &value, socklen_t(MemoryLayout<Int32>.size))
}

func isWritable(_ fd: Int32) -> Bool {
    var entry = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
    return poll(&entry, 1, 0) == 1 && entry.revents & Int16(POLLOUT) != 0
}

func routedPort(_ networks: [(IPAddress, UInt8)]) -> Port {
    var configuration = Port.Configuration()
    configuration.enforceRoutes = true
    let port = Port(configuration)
    for (address, prefix) in networks {
        let result = port.addRoute(TaggedCIDR(address: .ip(ScopedAddress(address)), prefixLength: prefix),
                                   via: .unspecifiedFamily, preferredUntil: .none, expiresAt: .none)
        precondition(result == .success)
    }
    return port
}

/// A count shared with @Sendable hooks: `next()` answers 1, 2, 3, …
final class Counter: Sendable {
    private let value = Atomic<Int>(0)
    func next() -> Int { value.add(1, ordering: .relaxed).newValue }
    var current: Int { value.load(ordering: .relaxed) }
}
