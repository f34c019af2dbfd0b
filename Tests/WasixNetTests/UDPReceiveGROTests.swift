#if canImport(Glibc)
import Glibc
#endif
import CWasixNetSystem
import Synchronization
import Testing
@testable import WasixNet

/// Receive with UDP_GRO (wasixnet.h [udp.receive]): coalesced buffers split at their segment
/// size, one datagram per element with its own length, sender and `truncated`; what the caller
/// had no room for held pending, in order, and handed out first; `stream` drops it; faults on
/// the GRO path lose nothing and give nothing twice.
@Suite struct UDPReceiveGROTests {
    static let families: [IPAddress.Family] = [.v4, .v6]

    /// Per-call counts a receiver asks for, drawn at random: small ones leave datagrams pending.
    static let counts = [1, 3, 64, 1024, 2, 7, 64, 100]

    /// What a test receives: every element as the caller saw it.
    struct Received: Equatable {
        var bytes: [UInt8]
        var truncated: Bool
        var remote: IPSocketAddress
    }

    /// One receive call of up to `count` (capacity bytes per buffer), never waiting.
    static func receiveOnce(_ socket: UDPSocket, count: Int, capacity: Int = 4096) -> Result<[Received], SocketFailure> {
        let slots = max(count, 1)
        let storage = UnsafeMutableRawPointer.allocate(byteCount: slots * max(capacity, 1), alignment: 8)
        defer { storage.deallocate() }
        var stored: [(Int, ReceivedDatagram)] = []
        let result = socket.receive(maxResults: count) { index in
            ReceiveBuffer(base: capacity == 0 ? nil : storage + index * capacity, capacity: capacity)
        } store: { index, datagram in
            stored.append((index, datagram))
        }
        return result.map { received in
            #expect(stored.count == received && stored.map(\.0) == Array(0..<received), "store called once per index, in order")
            return stored.map { index, datagram in
                Received(bytes: Array(UnsafeRawBufferPointer(start: storage + index * max(capacity, 1), count: datagram.length)),
                         truncated: datagram.truncated, remote: datagram.remote)
            }
        }
    }

    /// Receives until `expected` datagrams arrived (or 3 s passed) with counts drawn from
    /// `counts`: pending datagrams are taken without waiting, the fd is polled only when none
    /// are held, as a runtime does.
    static func drain(_ socket: UDPSocket, expected: Int, using generator: inout SeededGenerator,
                      counts: [Int] = counts) -> [Received] {
        var arrivals: [Received] = []
        let deadline = monotonicSeconds() + 3
        while arrivals.count < expected && monotonicSeconds() < deadline {
            if socket.pendingCount == 0 && !waitReadable(socket, milliseconds: 20) { continue }
            let count = counts[Int.random(in: 0..<counts.count, using: &generator)]
            let before = socket.pendingCount
            guard case .success(let batch) = receiveOnce(socket, count: count) else {
                Issue.record("receive failed")
                break
            }
            #expect(batch.count <= count)
            if before > 0 { #expect(batch.count >= min(before, count), "pending comes first, without the kernel") }
            arrivals += batch
        }
        return arrivals
    }

    /// Coalesced traffic: runs of one size (the last of a run sometimes shorter), zero-length
    /// datagrams, lone ones. Returns each datagram's bytes, in order.
    static func mixedTraffic(count: Int, using generator: inout SeededGenerator) -> [[UInt8]] {
        var payloads: [[UInt8]] = []
        while payloads.count < count {
            if Int.random(in: 0..<12, using: &generator) == 0 {
                payloads.append([])
                continue
            }
            let size = [8, 100, 1200, 1472, 3000][Int.random(in: 0..<5, using: &generator)]
            let run = min(Int.random(in: 1...64, using: &generator), count - payloads.count)
            for index in 0..<run {
                let shorter = index == run - 1 && run > 1 && Bool.random(using: &generator)
                let length = shorter ? Int.random(in: 8..<size + 1, using: &generator) : size
                payloads.append(sequencedPayload(UInt64(payloads.count), length: max(length, 8)))
            }
        }
        return payloads
    }

    /// Sends `payloads` to `to` from `socket` in batches of at most 1024 (runs coalesce).
    static func send(_ payloads: [[UInt8]], from socket: UDPSocket, to: RemoteAddress) {
        var start = 0
        while start < payloads.count {
            let end = min(start + 256, payloads.count)
            let batch = Batch(payloads[start..<end].map { ($0, to) })
            guard case .success(let sent) = batch.send(on: socket), sent > 0 else {
                Issue.record("send failed")
                return
            }
            start += sent
        }
    }

    /// Counts the coalesced buffers recvmmsg hands the receiver (a hook that only looks).
    final class CoalescedCounter: Sendable {
        let buffers = Atomic<Int>(0)
        func hook() -> SyscallFaultHook {
            { call, _, _ in
                guard call == .recvmmsg else { return nil }
                return .tamper { messages, filled in
                    for index in 0..<max(filled, 0) where CWasixNetSystem_udp_gro_size(&messages[index].msg_hdr) > 0 {
                        self.buffers.add(1, ordering: .relaxed)
                    }
                }
            }
        }
    }

    static func groEnabled(_ socket: UDPSocket) -> Bool {
        Syscalls.getOption(socket.fd, level: Int32(CWasixNetSystem_SOL_UDP), name: Int32(CWasixNetSystem_UDP_GRO)).count == 1
    }

    // MARK: Exactly once

    @Test(arguments: families)
    func exactlyOnceWithRandomCounts(family: IPAddress.Family) throws {
        let receiver = try streamingSocket(family)
        #expect(receiver.setBufferSize(.receive, 4 << 20).failure == nil)
        #expect(Self.groEnabled(receiver), "the kernel accepts UDP_GRO here")
        let sender = try streamingSocket(family)
        var generator = SeededGenerator(seed: family == .v4 ? 11 : 12)
        let counter = CoalescedCounter()
        let payloads = Self.mixedTraffic(count: 1500, using: &generator)
        var arrivals: [Received] = []
        withFaultHook(on: receiver, counter.hook()) {
            var start = 0
            while start < payloads.count {  // rounds the receive buffer holds whole
                let end = min(start + 300, payloads.count)
                Self.send(Array(payloads[start..<end]), from: sender, to: .some(receiver.local))
                arrivals += Self.drain(receiver, expected: end - start, using: &generator)
                start = end
            }
        }
        #expect(arrivals.count == payloads.count)
        #expect(arrivals.map(\.bytes) == payloads, "every datagram once, in order, as sent")
        #expect(arrivals.allSatisfy { !$0.truncated && $0.remote == sender.local })
        #expect(counter.buffers.load(ordering: .relaxed) > 0, "the kernel coalesced nothing")
        #expect(receiver.pendingCount == 0)
        #expect(try Self.receiveOnce(receiver, count: 64).get().isEmpty, "nothing twice")
    }

    /// A coalesced buffer with more datagrams than asked for: the rest is pending, handed out
    /// first and in order, across calls of 1; zero-capacity buffers take datagrams truncated.
    @Test(arguments: families)
    func pendingDatagramsComeFirstInOrder(family: IPAddress.Family) throws {
        let receiver = try streamingSocket(family)
        let sender = try streamingSocket(family)
        let to = RemoteAddress.some(receiver.local)
        var payloads = (0..<40).map { sequencedPayload(UInt64($0), length: 500) }
        payloads.append(sequencedPayload(40, length: 123))  // a shorter last segment
        Self.send(payloads, from: sender, to: to)
        #expect(waitReadable(receiver, milliseconds: 1000))
        let first = try Self.receiveOnce(receiver, count: 1).get()
        #expect(first.map(\.bytes) == [payloads[0]])
        #expect(receiver.pendingCount == 40)
        #expect(!waitReadable(receiver, milliseconds: 0), "the kernel's queue is empty: they are held")
        let three = try Self.receiveOnce(receiver, count: 3).get()
        #expect(three.map(\.bytes) == Array(payloads[1...3]))
        #expect(receiver.pendingCount == 37)
        // Zero-capacity buffers: the datagrams are taken, each truncated with 0 bytes stored.
        let empty = try Self.receiveOnce(receiver, count: 2, capacity: 0).get()
        #expect(empty.map(\.bytes.count) == [0, 0] && empty.allSatisfy(\.truncated))
        // A buffer shorter than the datagram: its head, truncated.
        let short = try Self.receiveOnce(receiver, count: 1, capacity: 10).get()
        #expect(short == [Received(bytes: Array(payloads[6][0..<10]), truncated: true, remote: sender.local)])
        let rest = try Self.receiveOnce(receiver, count: 1024).get()
        #expect(rest.map(\.bytes) == Array(payloads[7...]))
        #expect(rest.last?.bytes.count == 123)
        #expect(receiver.pendingCount == 0)
    }

    @Test(arguments: families)
    func zeroLengthDatagramsBetweenRuns(family: IPAddress.Family) throws {
        let receiver = try streamingSocket(family)
        let sender = try streamingSocket(family)
        let payloads: [[UInt8]] = [[], payload(1, length: 300), payload(2, length: 300), payload(3, length: 300), [], [],
                                   payload(4, length: 50), payload(5, length: 50), payload(6, length: 20), []]
        Self.send(payloads, from: sender, to: .some(receiver.local))
        var generator = SeededGenerator(seed: 5)
        let arrivals = Self.drain(receiver, expected: payloads.count, using: &generator, counts: [1, 2, 3])
        #expect(arrivals.map(\.bytes) == payloads)
        #expect(arrivals.allSatisfy { !$0.truncated })
    }

    // MARK: Streams

    /// Connected: other peers' datagrams are dropped, coalesced ones included, also those queued
    /// before `stream`; `stream` drops what is pending.
    @Test(arguments: families)
    func connectedStreamsDropStrangersAndStreamDropsPending(family: IPAddress.Family) throws {
        let socket = try streamingSocket(family)
        let peer = try streamingSocket(family)
        let stranger = try streamingSocket(family)
        let to = RemoteAddress.some(socket.local)
        let strangers = (0..<30).map { sequencedPayload(UInt64(1000 + $0), length: 700) }
        let peers = (0..<30).map { sequencedPayload(UInt64($0), length: 700) }
        Self.send(strangers, from: stranger, to: to)
        Self.send(peers, from: peer, to: to)
        Self.send([sequencedPayload(2000, length: 9)], from: stranger, to: to)
        #expect(waitReadable(socket, milliseconds: 1000))
        #expect(socket.stream(.some(peer.local)).failure == nil)
        let later = (30..<50).map { sequencedPayload(UInt64($0), length: 700) }
        Self.send(later, from: peer, to: to)
        Self.send(strangers, from: stranger, to: to)  // refused by the kernel now
        var generator = SeededGenerator(seed: family == .v4 ? 21 : 22)
        let arrivals = Self.drain(socket, expected: 50, using: &generator)
        #expect(arrivals.map(\.bytes) == peers + later)
        #expect(arrivals.allSatisfy { $0.remote == peer.local })

        // Pending datagrams belong to the streams that took them: a new `stream` drops them.
        Self.send(peers, from: peer, to: to)
        #expect(waitReadable(socket, milliseconds: 1000))
        #expect(try Self.receiveOnce(socket, count: 1).get().map(\.bytes) == [peers[0]])
        #expect(socket.pendingCount == 29)
        #expect(socket.stream(.some(peer.local)).failure == nil)
        #expect(socket.pendingCount == 0)
        Self.send([peers[5]], from: peer, to: to)
        #expect(waitReadable(socket, milliseconds: 1000))
        #expect(try Self.receiveOnce(socket, count: 64).get().map(\.bytes) == [peers[5]])
    }

    // MARK: Faults on the GRO path

    /// EINTR, EAGAIN, ENOMEM and short counts on every kind of call, at random: nothing lost,
    /// nothing twice, in order.
    @Test(arguments: [(IPAddress.Family.v4, UInt64(31)), (.v6, 32), (.v4, 33)])
    func seededFaultsLoseNothing(family: IPAddress.Family, seed: UInt64) throws {
        let receiver = try streamingSocket(family)
        #expect(receiver.setBufferSize(.receive, 4 << 20).failure == nil)
        let sender = try streamingSocket(family)
        var generator = SeededGenerator(seed: seed)
        let payloads = Self.mixedTraffic(count: 1200, using: &generator)
        let log = Concurrent.HostileFaultInjectionTests.FaultLog(seed: seed)
        var arrivals: [Received] = []
        var errors = 0
        withFaultHook(on: receiver, { call, _, count in
            call == .recvmmsg ? Concurrent.HostileFaultInjectionTests.receiveFault(log, count) : nil
        }) {
            var start = 0
            while start < payloads.count {
                let end = min(start + 50, payloads.count)  // small rounds: many calls, every fault
                Self.send(Array(payloads[start..<end]), from: sender, to: .some(receiver.local))
                let deadline = monotonicSeconds() + 3
                while arrivals.count < end && monotonicSeconds() < deadline {
                    if receiver.pendingCount == 0 && !waitReadable(receiver, milliseconds: 20) { continue }
                    let count = Self.counts[Int.random(in: 0..<Self.counts.count, using: &generator)]
                    switch Self.receiveOnce(receiver, count: count) {
                    case .success(let batch): arrivals += batch
                    case .failure(.error(.outOfMemory)): errors += 1
                    case .failure(let other): Issue.record("receive: \(other)")
                    }
                }
                start = end
            }
        }
        #expect(arrivals.map(\.bytes) == payloads, "\(arrivals.count) of \(payloads.count) arrived")
        #expect(errors <= log.count(.receiveNoMemory), "only the injected ENOMEM surfaces")
        for kind in [Concurrent.HostileFaultInjectionTests.FaultLog.Kind.receiveInterrupted, .receiveAgain, .receiveShort] {
            #expect(log.count(kind) > 0, "fault \(kind) never injected")
        }
    }

    /// A coalesced buffer the kernel marks cut short (MSG_TRUNC): its whole datagrams are handed
    /// out as they are, the last one flagged truncated; the socket stops asking for coalesced
    /// buffers (UDP_GRO off) and what arrives later is read whole, once.
    @Test(arguments: families)
    func coalescedBufferCutShortTurnsGROOff(family: IPAddress.Family) throws {
        let receiver = try streamingSocket(family)
        let sender = try streamingSocket(family)
        let to = RemoteAddress.some(receiver.local)
        let payloads = (0..<20).map { sequencedPayload(UInt64($0), length: 400) }
        Self.send(payloads, from: sender, to: to)
        #expect(waitReadable(receiver, milliseconds: 1000))
        let tampered = Counter()
        let arrivals = withFaultHook(on: receiver, { call, _, _ in
            guard call == .recvmmsg else { return nil }
            return .tamper { messages, filled in
                for index in 0..<max(filled, 0) where CWasixNetSystem_udp_gro_size(&messages[index].msg_hdr) > 0 {
                    messages[index].msg_hdr.msg_flags |= Int32(MSG_TRUNC)
                    _ = tampered.next()
                }
            }
        }) {
            try? Self.receiveOnce(receiver, count: 64).get()
        }
        #expect(tampered.current == 1)
        #expect(arrivals?.map(\.bytes) == payloads, "the bytes that arrived are all handed out")
        #expect(arrivals?.map(\.truncated) == Array(repeating: false, count: 19) + [true])
        #expect(!Self.groEnabled(receiver), "UDP_GRO is off after a fault on its path")
        let later = (20..<60).map { sequencedPayload(UInt64($0), length: 400) }
        Self.send(later, from: sender, to: to)
        var generator = SeededGenerator(seed: 41)
        let rest = Self.drain(receiver, expected: later.count, using: &generator)
        #expect(rest.map(\.bytes) == later)
        #expect(rest.allSatisfy { !$0.truncated })
    }

    /// A message without its UDP_GRO cmsg is one datagram (the kernel sends none for a lone
    /// one); one whose control data was cut short (MSG_CTRUNC) turns UDP_GRO off. Lone
    /// datagrams of distinct sizes lose nothing either way.
    @Test(arguments: families)
    func missingGROControlLosesNothing(family: IPAddress.Family) throws {
        let receiver = try streamingSocket(family)
        let sender = try streamingSocket(family)
        let to = RemoteAddress.some(receiver.local)
        let payloads = (0..<30).map { sequencedPayload(UInt64($0), length: 100 + $0) }  // distinct sizes: never coalesced
        Self.send(payloads, from: sender, to: to)
        #expect(waitReadable(receiver, milliseconds: 1000))
        let calls = Counter()
        var arrivals: [Received] = []
        withFaultHook(on: receiver, { call, _, _ in
            guard call == .recvmmsg else { return nil }
            let call = calls.next()
            return .tamper { messages, filled in
                for index in 0..<max(filled, 0) {
                    messages[index].msg_hdr.msg_controllen = 0
                    if call == 2 { messages[index].msg_hdr.msg_flags |= Int32(MSG_CTRUNC) }
                }
            }
        }) {
            var generator = SeededGenerator(seed: 51)
            arrivals = Self.drain(receiver, expected: payloads.count, using: &generator, counts: [3, 64])
        }
        #expect(arrivals.map(\.bytes) == payloads)
        #expect(calls.current >= 2)
        #expect(!Self.groEnabled(receiver), "control cut short: UDP_GRO off")
    }

    // MARK: Reading ahead

    /// A caller that never looked at `pendingCount` is never left with datagrams behind an
    /// unreadable fd when it asks for 64 or more: lone datagrams come one kernel buffer per
    /// syscall. Once it has looked, a receive reads ahead: 30 lone datagrams in one call.
    @Test(arguments: families)
    func readAheadOnlyForCallersWatchingPending(family: IPAddress.Family) throws {
        let receiver = try streamingSocket(family)
        let sender = try streamingSocket(family)
        let to = RemoteAddress.some(receiver.local)
        let lone = (0..<30).map { sequencedPayload(UInt64($0), length: 100 + $0) }  // distinct sizes: never coalesced
        Self.send(lone, from: sender, to: to)
        #expect(waitReadable(receiver, milliseconds: 1000))
        let first = try Self.receiveOnce(receiver, count: 64).get()
        #expect(first.map(\.bytes) == [lone[0]], "one kernel buffer read: it may have held 64")
        #expect(waitReadable(receiver, milliseconds: 0), "the rest is still in the kernel's queue")
        // A coalesced buffer of 40 after the lone ones: without the caller watching, a receive
        // of 64 never holds any of it back.
        let run = (0..<40).map { sequencedPayload(UInt64(100 + $0), length: 600) }
        Self.send(run, from: sender, to: to)
        #expect(receiver.pendingCount == 0)  // from here on, the caller watches
        let rest = try Self.receiveOnce(receiver, count: 64).get()
        #expect(rest.map(\.bytes) == Array(lone[1...]) + Array(run[0..<35]), "29 lone buffers and a coalesced one in one call")
        #expect(receiver.pendingCount == 5)
        #expect(!waitReadable(receiver, milliseconds: 0))
        #expect(try Self.receiveOnce(receiver, count: 64).get().map(\.bytes) == Array(run[35...]))
        #expect(receiver.pendingCount == 0)
    }
}
