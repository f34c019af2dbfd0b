#if canImport(Glibc)
import Glibc
#endif
import CWasixNetSystem
import Testing
@testable import WasixNet

/// The same-destination fast path of send (wasixnet.h [udp.send]): a datagram the caller marks
/// as going to the previous datagram's remote-address is not decoded or compared again, yet the
/// batch is laid out, checked, counted and re-laid out (GSO fallback) exactly as if it carried
/// the address itself.
@Suite struct UDPSameDestinationTests {
    static let families: [IPAddress.Family] = [.v4, .v6]

    /// Sends `payloads` as one batch: datagram i carries `remotes[i]`, or (nil) is marked as
    /// going to the previous one's remote-address.
    static func send(_ payloads: [[UInt8]], _ remotes: [RemoteAddress?], on socket: UDPSocket,
                     hook: SyscallFaultHook? = nil) -> Result<Int, SocketFailure> {
        var bytes: [UInt8] = []
        var offsets: [Int] = []
        for payload in payloads {
            offsets.append(bytes.count)
            bytes += payload
        }
        _ = socket.checkSend()
        let send = {
            bytes.withUnsafeBytes { raw in
                socket.send(count: payloads.count) { index in
                    let data = raw.baseAddress.map { $0 + offsets[index] }
                    if let remote = remotes[index] {
                        return OutgoingDatagram(data: data, length: payloads[index].count, remote: remote)
                    }
                    return OutgoingDatagram(data: data, length: payloads[index].count, remoteOfPrevious: ())
                }
            }
        }
        guard let hook else { return send() }
        return withFaultHook(on: socket, hook, send)
    }

    @Test(arguments: families)
    func runsToThePreviousAddressCoalesceAndArrive(family: IPAddress.Family) throws {
        let first = try streamingSocket(family)
        let second = try streamingSocket(family)
        let socket = try streamingSocket(family)
        let a = RemoteAddress.some(first.local), b = RemoteAddress.some(second.local)
        let payloads = (0..<12).map { payload($0, length: $0 == 9 ? 300 : 800) }
        let remotes: [RemoteAddress?] = [a, nil, nil, nil, nil, b, nil, nil, nil, nil, a, nil]
        let recorder = CallRecorder()
        let result = Self.send(payloads, remotes, on: socket, hook: { call, messages, count in
            if call == .sendmmsg { recorder.record(messages, count) }
            return nil
        })
        #expect(result.value == 12)
        typealias Message = CallRecorder.Message
        #expect(recorder.all == [[Message(segmentSize: 800, datagrams: 5), Message(segmentSize: 800, datagrams: 5),
                                  Message(segmentSize: 800, datagrams: 2)]])
        #expect(receive(first, count: 7).map(\.bytes) == Array(payloads[0..<5]) + Array(payloads[10..<12]))
        #expect(receive(second, count: 5).map(\.bytes) == Array(payloads[5..<10]))
    }

    /// The first invalid datagram ends the batch, marked ones included: too large, or NULL bytes
    /// with a length; a first datagram marked (there is no previous one) is read as it is.
    @Test(arguments: families)
    func markedDatagramsAreStillChecked(family: IPAddress.Family) throws {
        let receiver = try streamingSocket(family)
        let socket = try streamingSocket(family)
        let to = RemoteAddress.some(receiver.local)
        let tooLarge = [UInt8](repeating: 1, count: UDPSocket.maxDatagramSize + 1)
        #expect(Self.send([[1], [2], tooLarge, [4]], [to, nil, nil, nil], on: socket).value == 2)
        #expect(Self.send([tooLarge], [nil], on: socket).failure == .error(.datagramTooLarge))
        // Marked first datagram: its own remote (none) on an unconnected socket.
        #expect(Self.send([[5]], [nil], on: socket).failure == .error(.invalidArgument))
        _ = socket.checkSend()
        let nullBytes = socket.send(count: 2) { index in
            index == 0 ? OutgoingDatagram(data: nil, length: 0, remote: to)
                : OutgoingDatagram(data: nil, length: 3, remoteOfPrevious: ())
        }
        #expect(nullBytes.value == 1)
        #expect(receive(receiver).map(\.bytes) == [[1], [2], []])
    }

    /// The kernel refuses GSO on a coalesced message whose first datagram is marked: the
    /// datagrams are laid out again one by one, to where the unmarked one before them went.
    @Test(arguments: families)
    func gsoFallbackFindsTheAddressOfAMarkedRun(family: IPAddress.Family) throws {
        let receiver = try streamingSocket(family)
        let socket = try streamingSocket(family)
        let to = RemoteAddress.some(receiver.local)
        let payloads = [payload(0, length: 100)] + (1..<6).map { payload($0, length: 200) }
        let calls = Counter()
        let result = Self.send(payloads, [to, nil, nil, nil, nil, nil], on: socket, hook: { call, messages, count in
            guard call == .sendmmsg else { return nil }
            switch calls.next() {
            case 1: return .limit(1)  // the lone 100-byte datagram goes; the run of 200 waits
            case 2: return CWasixNetSystem_udp_segment(&messages[0].msg_hdr) > 0 ? .error(.io) : nil
            default: return nil
            }
        })
        #expect(result.value == 6)
        #expect(calls.current >= 3)
        #expect(receive(receiver, count: 6).map(\.bytes) == payloads)
        #expect(receive(receiver, quiet: 0.05).isEmpty)
    }

    /// Connected: marked datagrams go to the peer like the one before them.
    @Test(arguments: families)
    func connectedRunsToThePeer(family: IPAddress.Family) throws {
        let receiver = try streamingSocket(family)
        let socket = try streamingSocket(family, to: receiver.local)
        var other = receiver.local
        other.port = other.port == 9 ? 10 : 9
        let payloads = (0..<4).map { payload($0, length: 64) }
        #expect(Self.send(payloads, [RemoteAddress.none, nil, nil, nil], on: socket).value == 4)
        #expect(Self.send(payloads, [.some(receiver.local), nil, nil, nil], on: socket).value == 4)
        #expect(Self.send(payloads, [.some(other), nil, nil, nil], on: socket).failure == .error(.invalidArgument))
        #expect(receive(receiver, count: 8).map(\.bytes) == payloads + payloads)
    }
}
