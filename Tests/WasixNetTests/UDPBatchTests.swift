#if canImport(Glibc)
import Glibc
#endif
import CWasixNetSystem
import Testing
@testable import WasixNet

/// The fast path: how batches are laid out (sendmmsg, GSO runs), the GSO fallback, a full send
/// buffer, and exactly-once delivery of many datagrams. Loopback only; every loop is bounded.
@Suite struct UDPBatchTests {
    static let families: [IPAddress.Family] = [.v4, .v6]
    typealias Message = CallRecorder.Message

    /// Sends `batch` through a recording hook and returns the messages of each sendmmsg call.
    func sendRecorded(_ batch: Batch, on socket: UDPSocket) -> (Result<Int, SocketFailure>, [[Message]]) {
        let recorder = CallRecorder()
        let result = withFaultHook(on: socket, { call, messages, count in
            if call == .sendmmsg { recorder.record(messages, count) }
            return nil
        }) { batch.send(on: socket) }
        return (result, recorder.all)
    }

    @Test(arguments: families) func runsAreCoalescedIntoGSOMessages(family: IPAddress.Family) throws {
        let first = try streamingSocket(family)
        let second = try streamingSocket(family)
        let socket = try streamingSocket(family)
        let a = RemoteAddress.some(first.local), b = RemoteAddress.some(second.local)
        var batch = Batch()
        for index in 0..<10 { batch.append(payload(index, length: 1000), to: a) }
        batch.append(payload(10, length: 600), to: a)   // a shorter last datagram ends the run
        batch.append(payload(11, length: 1000), to: a)  // after a shorter one: a new message
        batch.append(payload(12, length: 1000), to: b)  // another destination: a new message
        batch.append([], to: b)                         // zero-length: never in a run
        batch.append([], to: b)
        batch.append(payload(15, length: 50), to: b)
        batch.append(payload(16, length: 50), to: b)
        batch.append(payload(17, length: 60), to: b)    // longer: a new message
        let (result, calls) = sendRecorded(batch, on: socket)
        #expect(result.value == batch.count)
        #expect(calls == [[Message(segmentSize: 1000, datagrams: 11), Message(segmentSize: 0, datagrams: 1),
                           Message(segmentSize: 0, datagrams: 1), Message(segmentSize: 0, datagrams: 1),
                           Message(segmentSize: 0, datagrams: 1), Message(segmentSize: 50, datagrams: 2),
                           Message(segmentSize: 0, datagrams: 1)]])
        #expect(receive(first, count: 12).map(\.bytes) == (0..<12).map { batch.payload($0) })
        #expect(receive(second, count: 6).map(\.bytes) == (12..<18).map { batch.payload($0) })
    }

    @Test(arguments: families) func runsRespectTheSegmentAndByteCaps(family: IPAddress.Family) throws {
        let receiver = try streamingSocket(family)
        let socket = try streamingSocket(family, to: receiver.local)  // connected: no msg_name
        var small = Batch()
        for index in 0..<100 { small.append(payload(index, length: 100), to: .none) }
        let (smallResult, smallCalls) = sendRecorded(small, on: socket)
        #expect(smallResult.value == 100)
        #expect(smallCalls == [[Message(segmentSize: 100, datagrams: 64), Message(segmentSize: 100, datagrams: 36)]])
        var large = Batch()
        for index in 0..<64 { large.append(payload(index, length: 1200), to: .none) }
        #expect(receive(receiver, count: 100).map(\.bytes) == (0..<100).map { small.payload($0) })
        let (largeResult, largeCalls) = sendRecorded(large, on: socket)
        #expect(largeResult.value == 64)
        // 65000 / 1200: 54 segments per message.
        #expect(largeCalls == [[Message(segmentSize: 1200, datagrams: 54), Message(segmentSize: 1200, datagrams: 10)]])
        #expect(receive(receiver, count: 64).map(\.bytes) == (0..<64).map { large.payload($0) })
    }

    /// A kernel that refuses GSO: the first coalesced message fails with `refusal`; sendmmsg stops
    /// there, as Linux does, reporting the messages before it.
    @Test(arguments: [(IPAddress.Family.v4, EIO), (.v6, EIO), (.v4, EINVAL), (.v6, EINVAL)])
    func gsoRefusalFallsBackWithoutLossOrDuplicates(family: IPAddress.Family, refusal: Int32) throws {
        let receiver = try streamingSocket(family)
        let socket = try streamingSocket(family)
        let to = RemoteAddress.some(receiver.local)
        var batch = Batch()
        batch.append(payload(0, length: 10), to: to)
        for index in 1...20 { batch.append(payload(index, length: 1000), to: to) }
        batch.append(payload(21, length: 5), to: to)
        for index in 22...51 { batch.append(payload(index, length: 500), to: to) }
        let recorder = CallRecorder()
        let refusals = Counter()
        let result = withFaultHook(on: socket, { _, messages, count in
            recorder.record(messages, count)
            guard let coalesced = (0..<count).first(where: { CWasixNetSystem_udp_segment(&messages[$0].msg_hdr) > 0 }) else {
                return nil
            }
            if coalesced > 0 { return .limit(coalesced) }
            _ = refusals.next()
            return .error(SystemErrno(rawValue: refusal))
        }) { batch.send(on: socket) }
        #expect(result.value == batch.count)
        #expect(refusals.current == 1)
        // First call: plain, a run of 1000 (the 5-byte datagram ends it), a run of 500; it stops
        // before the first run. Second: the run is refused. Third: everything left, one datagram
        // per message.
        let calls = recorder.all
        #expect(calls.count == 3)
        #expect(calls.first == [Message(segmentSize: 0, datagrams: 1), Message(segmentSize: 1000, datagrams: 21),
                                Message(segmentSize: 500, datagrams: 30)])
        #expect(calls.last == Array(repeating: Message(segmentSize: 0, datagrams: 1), count: 51))
        #expect(receive(receiver, count: batch.count).map(\.bytes) == (0..<batch.count).map { batch.payload($0) })
        #expect(receive(receiver, quiet: 0.1).isEmpty)  // nothing twice
        // The socket no longer coalesces.
        var again = Batch()
        for index in 0..<8 { again.append(payload(index, length: 700), to: to) }
        let (secondResult, secondCalls) = sendRecorded(again, on: socket)
        #expect(secondResult.value == 8)
        #expect(secondCalls == [Array(repeating: Message(segmentSize: 0, datagrams: 1), count: 8)])
        #expect(receive(receiver, count: 8).count == 8)
    }

    /// EMSGSIZE on a coalesced message (segments beyond the path MTU): that run goes one by one,
    /// smaller runs keep GSO.
    @Test(arguments: families) func gsoMessageTooLargeLowersTheSegmentLimit(family: IPAddress.Family) throws {
        let receiver = try streamingSocket(family)
        let socket = try streamingSocket(family, to: receiver.local)
        var batch = Batch()
        for index in 0..<10 { batch.append(payload(index, length: 1000), to: .none) }
        for index in 10..<20 { batch.append(payload(index, length: 400), to: .none) }
        let recorder = CallRecorder()
        let result = withFaultHook(on: socket, { _, messages, count in
            recorder.record(messages, count)
            return CWasixNetSystem_udp_segment(&messages[0].msg_hdr) >= 1000 ? .error(.msgsize) : nil
        }) { batch.send(on: socket) }
        #expect(result.value == 20)
        #expect(recorder.all.last == Array(repeating: Message(segmentSize: 0, datagrams: 1), count: 10)
            + [Message(segmentSize: 400, datagrams: 10)])
        #expect(receive(receiver, count: 20).map(\.bytes) == (0..<20).map { batch.payload($0) })
    }

    /// A full send buffer. On loopback the kernel frees a datagram's buffer space as it hands it
    /// over, so a receiver that does not read never fills the sender's buffer (its own queue
    /// overflows instead). The test fills it for real by corking the socket (UDP_CORK keeps
    /// every datagram in the send buffer), and injects the EAGAIN that sendmmsg would give.
    @Test(arguments: families) func fullSendBuffer(family: IPAddress.Family) throws {
        let receiver = try streamingSocket(family)
        let socket = try streamingSocket(family, to: receiver.local)
        #expect(socket.setBufferSize(.send, 1).failure == nil)  // the kernel's minimum
        // sendmmsg answers EAGAIN: OK with 0, nothing sent.
        let full = withFaultHook(on: socket, { _, _, _ in .error(.again) }) {
            Batch([(payload(1, length: 100), .none)]).send(on: socket)
        }
        #expect(full.value == 0)
        // The buffer really full: check-send grants 0 and the descriptor is not writable.
        setCork(socket.fd, true)
        var filler = Batch()
        for index in 0..<8 { filler.append(payload(index, length: 1000 + index), to: .none) }  // no runs
        #expect(filler.send(on: socket).value == 8)
        #expect(socket.checkSend().value == 0)
        #expect(!isWritable(socket.fd))
        #expect(Batch([([1], .none)]).send(on: socket, check: false).failure == .trap)  // beyond a grant of 0
        // Drained (uncorked: the held datagram leaves): POLLOUT, a grant, sending again.
        setCork(socket.fd, false)
        #expect(isWritable(socket.fd))
        #expect(socket.checkSend().value == 1024)
        #expect(Batch([(payload(9, length: 10), .none)]).send(on: socket, check: false).value == 1)
        let arrivals = receive(receiver, count: 2)
        #expect(arrivals.map(\.bytes.count) == [(0..<8).reduce(0) { $0 + 1000 + $1 }, 10])
    }

    // MARK: Exactly once

    @Test(arguments: [(IPAddress.Family.v4, 1), (.v6, 1), (.v4, 4), (.v6, 4)])
    func exactlyOnceDelivery(family: IPAddress.Family, peers: Int) throws {
        let workload = Workload(count: 100_000, peers: peers, seed: UInt64(peers) &* 7919 &+ (family == .v4 ? 1 : 2))
        let receivers = try (0..<peers).map { _ in try streamingSocket(family) }
        for receiver in receivers { _ = receiver.setBufferSize(.receive, 4 << 20) }
        let socket = try streamingSocket(family)
        let outcome = workload.run(from: socket, to: receivers, deadline: monotonicSeconds() + 18)
        #expect(outcome.timedOut == false)
        #expect(outcome.reportedSent == workload.count)
        #expect(outcome.received == workload.count)
        #expect(outcome.duplicates == 0)
        #expect(outcome.corrupted == 0)
        #expect(outcome.misdelivered == 0)
        #expect(outcome.missing == 0)
        #expect(outcome.coalescedMessages > 0)  // GSO took part
    }
}

extension Batch {
    func payload(_ index: Int) -> [UInt8] { Array(bytes[offsets[index]..<(offsets[index] + lengths[index])]) }
}

/// Datagrams of mixed sizes (0 to 9000 bytes) in runs of equal sizes to random peers, each
/// (but the empty ones) carrying its sequence number and length, its bytes drawn from a fixed
/// pattern at an offset the sequence number picks.
struct Workload {
    struct Datagram { var peer: Int; var length: Int }
    static let header = 8
    static let pattern: [UInt8] = (0..<(9000 + 4096)).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ ($0 >> 8)) }

    let count: Int
    var datagrams: [Datagram] = []

    init(count: Int, peers: Int, seed: UInt64) {
        self.count = count
        var random = SeededGenerator(seed: seed)
        while datagrams.count < count {
            let peer = Int.random(in: 0..<peers, using: &random)
            if Int.random(in: 0..<20, using: &random) == 0 {
                datagrams.append(Datagram(peer: peer, length: 0))
                continue
            }
            let size = Int.random(in: Self.header...9000, using: &random)
            let run = Bool.random(using: &random) ? 1 : Int.random(in: 2...70, using: &random)
            for index in 0..<min(run, count - datagrams.count) {
                let shorter = index == run - 1 && run > 1 && Bool.random(using: &random)
                datagrams.append(Datagram(peer: peer, length: shorter ? Int.random(in: Self.header...size, using: &random) : size))
            }
        }
    }

    struct Outcome {
        var reportedSent = 0, received = 0, duplicates = 0, corrupted = 0, misdelivered = 0, missing = 0
        var coalescedMessages = 0
        var timedOut = false
    }

    /// Sends everything in lockstep rounds (each round small enough for the receivers' buffers,
    /// so loopback drops nothing), receiving each round whole before the next.
    func run(from socket: UDPSocket, to receivers: [UDPSocket], deadline: Double) -> Outcome {
        var outcome = Outcome()
        let addresses = receivers.map { RemoteAddress.some($0.local) }
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 1024 * 9000, alignment: 8)
        defer { buffer.deallocate() }
        let slots = 64, capacity = 16384
        let inbox = UnsafeMutableRawPointer.allocate(byteCount: slots * capacity, alignment: 8)
        defer { inbox.deallocate() }
        var seen = [Bool](repeating: false, count: count)
        var emptyExpected = [Int](repeating: 0, count: receivers.count)
        var emptyReceived = [Int](repeating: 0, count: receivers.count)
        let coalesced = Counter()
        Syscalls.installFaultHook(fd: socket.fd) { _, messages, count in
            for index in 0..<count where CWasixNetSystem_udp_segment(&messages[index].msg_hdr) > 0 { _ = coalesced.next() }
            return nil
        }
        defer { Syscalls.removeFaultHook(fd: socket.fd) }

        var next = 0
        var rounds = 0
        while next < count && rounds < count {
            rounds += 1
            if monotonicSeconds() > deadline { outcome.timedOut = true; break }
            // One round: at most 1024 datagrams and ~300 KB of kernel memory per receiver.
            var cost = [Int](repeating: 0, count: receivers.count)
            var offsets: [Int] = []
            var used = 0
            var end = next
            while end < count && end - next < 1024 {
                let datagram = datagrams[end]
                let charge = 2 * datagram.length + 1024
                if cost[datagram.peer] + charge > 300_000 { break }
                cost[datagram.peer] += charge
                offsets.append(used)
                fill(buffer + used, sequence: end, length: datagram.length)
                used += datagram.length
                end += 1
            }
            var expected = [Int](repeating: 0, count: receivers.count)
            guard case .success(let permits) = socket.checkSend(), permits > 0 else { continue }
            let result = socket.send(count: end - next) { index in
                let datagram = datagrams[next + index]
                return OutgoingDatagram(data: buffer + offsets[index], length: datagram.length, remote: addresses[datagram.peer])
            }
            guard case .success(let sent) = result else { break }
            outcome.reportedSent += sent
            for sequence in next..<(next + sent) {
                expected[datagrams[sequence].peer] += 1
                if datagrams[sequence].length == 0 { emptyExpected[datagrams[sequence].peer] += 1 }
            }
            next += sent
            // Receive this round whole.
            for (peer, receiver) in receivers.enumerated() {
                var got = 0
                while got < expected[peer] {
                    if monotonicSeconds() > deadline { outcome.timedOut = true; break }
                    var entry = pollfd(fd: receiver.fd, events: Int16(POLLIN), revents: 0)
                    if poll(&entry, 1, 200) == 0 { continue }
                    _ = receiver.receive(maxResults: slots) { index in
                        ReceiveBuffer(base: inbox + index * capacity, capacity: capacity)
                    } store: { index, datagram in
                        got += 1
                        outcome.received += 1
                        if datagram.remote != socket.local { outcome.misdelivered += 1 }
                        if datagram.length == 0 {
                            emptyReceived[peer] += 1
                            return
                        }
                        let bytes = inbox + index * capacity
                        let sequence = Int(bytes.loadUnaligned(as: UInt32.self))
                        guard sequence < count, datagram.length >= Workload.header,
                              Int(bytes.loadUnaligned(fromByteOffset: 4, as: UInt32.self)) == datagram.length,
                              datagrams[sequence].length == datagram.length, !datagram.truncated,
                              memcmp(bytes + Workload.header, Self.patternStart(sequence), datagram.length - Workload.header) == 0
                        else {
                            outcome.corrupted += 1
                            return
                        }
                        if datagrams[sequence].peer != peer { outcome.misdelivered += 1 }
                        if seen[sequence] { outcome.duplicates += 1 } else { seen[sequence] = true }
                    }
                }
                if outcome.timedOut { break }
            }
            if outcome.timedOut { break }
        }
        // Anything late would be a duplicate or a stray.
        for receiver in receivers {
            outcome.duplicates += receive(receiver, quiet: 0.05).count
        }
        outcome.missing = (0..<count).filter { datagrams[$0].length > 0 && !seen[$0] }.count
            + zip(emptyExpected, emptyReceived).map { abs($0 - $1) }.reduce(0, +)
        outcome.coalescedMessages = coalesced.current
        return outcome
    }

    private func fill(_ destination: UnsafeMutableRawPointer, sequence: Int, length: Int) {
        guard length > 0 else { return }
        destination.storeBytes(of: UInt32(sequence), as: UInt32.self)
        destination.storeBytes(of: UInt32(length), toByteOffset: 4, as: UInt32.self)
        (destination + Self.header).copyMemory(from: Self.patternStart(sequence), byteCount: length - Self.header)
    }

    nonisolated(unsafe) private static let patternBase: UnsafeMutableRawPointer = {
        let base = UnsafeMutableRawPointer.allocate(byteCount: pattern.count, alignment: 8)
        pattern.withUnsafeBytes { base.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        return base
    }()

    static func patternStart(_ sequence: Int) -> UnsafeRawPointer { UnsafeRawPointer(patternBase + sequence % 4093) }
}
