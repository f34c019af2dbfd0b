#if canImport(Glibc)
import Glibc
#endif
import CWasixNetSystem
import Synchronization
import Testing
@testable import WasixNet

extension Concurrent {
    /// A kernel that misbehaves at random (seeded) points, through the syscall layer's fault hook:
    /// sendmmsg answers EINTR, EAGAIN, ENOBUFS, short counts, and EIO or EMSGSIZE on a GSO message;
    /// recvmmsg answers EINTR, EAGAIN, ENOMEM and short counts. Whatever it does, the counts stay
    /// exact: the receiver (on loopback) gets exactly the datagrams `send` reported, each once, in
    /// order — nothing lost, nothing sent twice, nothing reported sent that was not.
    @Suite struct HostileFaultInjectionTests {
        /// What the hooks did, for the test to check that each fault really happened.
        final class FaultLog: Sendable {
            enum Kind: String, CaseIterable, Sendable {
                case sendInterrupted, sendAgain, sendNoBuffers, gsoRefused, gsoTooLarge, sendShort
                case receiveInterrupted, receiveAgain, receiveNoMemory, receiveShort
            }
            let counts = Locked<[Kind: Int]>([:])
            let generator: Locked<SeededGenerator>
            /// The GSO fault given the first time a coalesced message comes first (then at random).
            let firstGSOFault: SystemErrno
            let gsoFaulted = Atomic<Bool>(false)
            init(seed: UInt64) {
                generator = Locked(SeededGenerator(seed: seed))
                firstGSOFault = seed % 2 == 0 ? .io : .msgsize
            }

            func roll(_ range: Range<Int>) -> Int { generator.withLock { Int.random(in: range, using: &$0) } }
            func note(_ kind: Kind) { counts.withLock { $0[kind, default: 0] += 1 } }
            func count(_ kind: Kind) -> Int { counts.withLock { $0[kind, default: 0] } }
        }

        static func sendFault(_ log: FaultLog, _ messages: UnsafeMutablePointer<CWasixNetSystem_mmsghdr>, _ count: Int) -> SyscallFault? {
            let coalesced = count > 0 && CWasixNetSystem_udp_segment(&messages[0].msg_hdr) > 0
            if coalesced && !log.gsoFaulted.exchange(true, ordering: .relaxed) {
                log.note(log.firstGSOFault == .io ? .gsoRefused : .gsoTooLarge)
                return .error(log.firstGSOFault)
            }
            switch log.roll(0..<100) {
            case 0..<45: return nil
            case 45..<55: log.note(.sendInterrupted); return .error(.intr)
            case 55..<62: log.note(.sendAgain); return .error(.again)
            case 62..<68: log.note(.sendNoBuffers); return .error(.nobufs)
            case 68..<73:
                // The kernel refuses GSO only on a coalesced message, and only there.
                guard coalesced else { return nil }
                log.note(.gsoRefused)
                return .error(.io)
            case 73..<77:
                guard coalesced else { return nil }
                log.note(.gsoTooLarge)
                return .error(.msgsize)
            default:
                log.note(.sendShort)
                return .limit(log.roll(0..<max(count, 1)))
            }
        }

        static func receiveFault(_ log: FaultLog, _ count: Int) -> SyscallFault? {
            switch log.roll(0..<100) {
            case 0..<55: return nil
            case 55..<68: log.note(.receiveInterrupted); return .error(.intr)
            case 68..<78: log.note(.receiveAgain); return .error(.again)
            case 78..<86: log.note(.receiveNoMemory); return .error(.nomem)
            default: log.note(.receiveShort); return .limit(log.roll(0..<max(count, 1)))
            }
        }

        @Test(.timeLimit(.minutes(1)),
              arguments: [(IPAddress.Family.v4, UInt64(1), true), (.v6, 2, false), (.v4, 3, false), (.v6, 4, true)])
        func seededFaultsKeepCountsExact(family: IPAddress.Family, seed: UInt64, connected: Bool) throws {
            let receiver = try streamingSocket(family)
            #expect(receiver.setBufferSize(.receive, 4 << 20).failure == nil)
            let sender = try streamingSocket(family, to: connected ? receiver.local : nil)
            let destination: RemoteAddress = connected ? .none : .some(receiver.local)
            let log = FaultLog(seed: seed)
            Syscalls.installFaultHook(fd: sender.fd) { call, messages, count in
                call == .sendmmsg ? Self.sendFault(log, messages, count) : nil
            }
            Syscalls.installFaultHook(fd: receiver.fd) { call, _, count in
                call == .recvmmsg ? Self.receiveFault(log, count) : nil
            }
            defer {
                Syscalls.removeFaultHook(fd: sender.fd)
                Syscalls.removeFaultHook(fd: receiver.fd)
            }

            let total = 3000
            var generator = SeededGenerator(seed: seed &* 977)
            var next = 0                   // datagrams send has reported, in order
            var arrived: [UInt64] = []
            var errors: [SocketErrorCode: Int] = [:]
            let slot = 2048
            let storage = UnsafeMutableRawPointer.allocate(byteCount: 64 * slot, alignment: 8)
            defer { storage.deallocate() }
            var bytes: [[UInt8]] = []

            /// Receives what is queued, through the faulty recvmmsg, until the queue is seen empty.
            func drain(waitingFor expected: Int, milliseconds: Double) {
                let deadline = monotonicSeconds() + milliseconds / 1000
                while arrived.count < expected || waitReadable(receiver, milliseconds: 0) {
                    guard monotonicSeconds() < deadline else { return }
                    if !waitReadable(receiver, milliseconds: 5) { continue }
                    bytes.removeAll(keepingCapacity: true)
                    switch receiveQueued(receiver, into: &bytes, storage: storage, slotSize: slot) {
                    case .success: break
                    case .failure(.error(let code)): #expect(code == .outOfMemory, "receive: injected ENOMEM only")
                    case .failure(.trap): Issue.record("receive trapped")
                    }
                    for item in bytes {
                        guard let number = sequence(of: item) else { Issue.record("damaged datagram"); continue }
                        arrived.append(number)
                    }
                }
            }

            let deadline = monotonicSeconds() + 15
            while next < total && monotonicSeconds() < deadline {
                // Mostly runs of equal size (GSO), sometimes a shorter one that ends a run.
                let count = min(Int.random(in: 1...120, using: &generator), total - next)
                let size = [200, 200, 200, 64, 1000][Int.random(in: 0..<5, using: &generator)]
                var batch = Batch()
                for offset in 0..<count {
                    let length = Int.random(in: 0..<8, using: &generator) == 0 ? 40 : size
                    batch.append(sequencedPayload(UInt64(next + offset), length: length), to: destination)
                }
                switch batch.send(on: sender) {
                case .success(let sent):
                    #expect(sent <= count)
                    next += sent
                case .failure(.error(let code)):
                    errors[code, default: 0] += 1
                case .failure(.trap):
                    Issue.record("send trapped")
                }
                drain(waitingFor: next, milliseconds: 500)
            }
            drain(waitingFor: next, milliseconds: 2000)
            // A last look for anything sent but not reported.
            usleep(50_000)
            drain(waitingFor: next, milliseconds: 100)

            #expect(next == total, "only \(next) of \(total) sent before the deadline")
            let firstDifference = arrived.indices.first { arrived[$0] != UInt64($0) }
            #expect(arrived.count == next && firstDifference == nil,
                    "\(next) reported sent, \(arrived.count) arrived, first difference at \(String(describing: firstDifference))")
            // Only the injected errors surface, as the contract maps them: ENOBUFS → out-of-memory.
            #expect(Set(errors.keys).isSubset(of: [.outOfMemory]), "errors: \(errors)")
            #expect(log.count(.gsoRefused) + log.count(.gsoTooLarge) > 0, "no GSO fault injected")
            for kind in FaultLog.Kind.allCases where kind != .gsoTooLarge && kind != .gsoRefused {
                #expect(log.count(kind) > 0, "fault \(kind) never injected")
            }
        }
    }
}
