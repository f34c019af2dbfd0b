import CWasixNetSystem
import Synchronization

/// An errno of the host system (Linux numbering), as a typed value. Only the numbers the core
/// tells apart are named.
public struct SystemErrno: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let perm = SystemErrno(rawValue: EPERM)
    public static let intr = SystemErrno(rawValue: EINTR)
    public static let io = SystemErrno(rawValue: EIO)
    public static let again = SystemErrno(rawValue: EAGAIN)
    public static let nomem = SystemErrno(rawValue: ENOMEM)
    public static let acces = SystemErrno(rawValue: EACCES)
    public static let inval = SystemErrno(rawValue: EINVAL)
    public static let nfile = SystemErrno(rawValue: ENFILE)
    public static let mfile = SystemErrno(rawValue: EMFILE)
    public static let msgsize = SystemErrno(rawValue: EMSGSIZE)
    public static let nobufs = SystemErrno(rawValue: ENOBUFS)
    public static let connrefused = SystemErrno(rawValue: ECONNREFUSED)
    public static let connreset = SystemErrno(rawValue: ECONNRESET)

    public var description: String { String(cString: strerror(rawValue)) }
}

/// The outcome of one raw call: a non-negative count, or the errno it failed with. No
/// allocation, no throwing: the hot path inspects it in a register.
public struct SyscallResult: Sendable, Equatable {
    /// >= 0: the call's result; < 0: minus the errno.
    public let raw: Int

    init(returned value: Int) { raw = value >= 0 ? value : -Int(Syscalls.lastErrno.rawValue) }
    init(count: Int) { raw = count }
    init(error: SystemErrno) { raw = -Int(error.rawValue) }

    public var count: Int? { raw >= 0 ? raw : nil }
    public var error: SystemErrno? { raw < 0 ? SystemErrno(rawValue: Int32(-raw)) : nil }
}

/// A fault a test puts in place of a batch syscall's real outcome.
public enum SyscallFault: Sendable {
    /// The call fails with this errno and does nothing.
    case error(SystemErrno)
    /// The real call runs with at most this many messages (a short count).
    case limit(Int)
    /// The real call runs, then this rewrites what it wrote (flags, lengths, control data) as a
    /// misbehaving kernel would have, before the caller sees it; it is given the messages and
    /// the call's result (messages filled, or -1).
    case tamper(@Sendable (_ messages: UnsafeMutablePointer<CWasixNetSystem_mmsghdr>, _ filled: Int) -> Void)
}

/// Which batch call a fault hook is asked about.
public enum BatchCall: Sendable { case sendmmsg, recvmmsg }

/// A test's fault hook: called before each batch call on its descriptor with the messages about
/// to be passed; nil lets the real call happen.
public typealias SyscallFaultHook = @Sendable (_ call: BatchCall, _ messages: UnsafeMutablePointer<CWasixNetSystem_mmsghdr>,
                                               _ count: Int) -> SyscallFault?

/// Every call the core makes into the operating system, in one place (as swift-system does), so
/// that tests can see and replace them. Socket calls answer a `SyscallResult` and never retry:
/// what EINTR or EAGAIN mean is the caller's decision.
enum Syscalls {
    /// CLOCK_REALTIME in nanoseconds since the Unix epoch: WASI's realtime clock.
    static func realtimeNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
    }

    static var lastErrno: SystemErrno { SystemErrno(rawValue: CWasixNetSystem_errno()) }

    // MARK: Sockets

    /// A non-blocking, close-on-exec UDP socket of `domain` (AF_INET / AF_INET6).
    static func udpSocket(domain: Int32) -> SyscallResult {
        let type = Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        return SyscallResult(returned: Int(socket(domain, type, Int32(IPPROTO_UDP))))
    }

    static func closeSocket(_ fd: Int32) {
        _ = close(fd)  // Linux releases the descriptor even when close reports EINTR: never retry
    }

    static func setOption(_ fd: Int32, level: Int32, name: Int32, value: Int32) -> SyscallResult {
        var value = value
        return SyscallResult(returned: Int(setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size))))
    }

    static func getOption(_ fd: Int32, level: Int32, name: Int32) -> SyscallResult {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        let result = getsockopt(fd, level, name, &value, &length)
        return result == 0 ? SyscallResult(count: Int(UInt32(bitPattern: value))) : SyscallResult(returned: -1)
    }

    static func bindSocket(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> SyscallResult {
        SyscallResult(returned: Int(bind(fd, address, length)))
    }

    static func connectSocket(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> SyscallResult {
        SyscallResult(returned: Int(connect(fd, address, length)))
    }

    /// Dissolves a UDP association: connect() to an AF_UNSPEC address.
    static func disconnect(_ fd: Int32) -> SyscallResult {
        var unspecified = sockaddr()
        unspecified.sa_family = sa_family_t(AF_UNSPEC)
        return SyscallResult(returned: Int(connect(fd, &unspecified, socklen_t(MemoryLayout<sockaddr>.size))))
    }

    static func localAddress(_ fd: Int32, into storage: UnsafeMutablePointer<sockaddr_storage>) -> SyscallResult {
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        return storage.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            SyscallResult(returned: Int(getsockname(fd, $0, &length)))
        }
    }

    /// Whether a datagram (of any length, zero included) waits in the receive queue.
    static func hasQueuedDatagram(_ fd: Int32) -> Bool {
        recv(fd, nil, 0, Int32(MSG_PEEK) | Int32(MSG_DONTWAIT)) >= 0
    }

    /// The events of `events` that `fd` has now, without waiting (poll with a zero timeout).
    static func pollNow(_ fd: Int32, events: Int16) -> Int16 {
        var entry = pollfd(fd: fd, events: events, revents: 0)
        return poll(&entry, 1, 0) == 1 ? entry.revents : 0
    }

    // MARK: Batches

    static func sendmmsg(_ fd: Int32, _ messages: UnsafeMutablePointer<CWasixNetSystem_mmsghdr>, count: Int) -> SyscallResult {
        var count = count
        if faultsArmed.load(ordering: .relaxed) > 0, let fault = fault(for: fd, .sendmmsg, messages, count) {
            switch fault {
            case .error(let error): return SyscallResult(error: error)
            case .limit(let limit): count = max(0, min(count, limit))
            case .tamper(let tamper):
                let result = SyscallResult(returned: Int(CWasixNetSystem_sendmmsg(fd, messages, UInt32(count), 0)))
                tamper(messages, result.count ?? -1)
                return result
            }
        }
        return SyscallResult(returned: Int(CWasixNetSystem_sendmmsg(fd, messages, UInt32(count), 0)))
    }

    static func recvmmsg(_ fd: Int32, _ messages: UnsafeMutablePointer<CWasixNetSystem_mmsghdr>, count: Int) -> SyscallResult {
        var count = count
        if faultsArmed.load(ordering: .relaxed) > 0, let fault = fault(for: fd, .recvmmsg, messages, count) {
            switch fault {
            case .error(let error): return SyscallResult(error: error)
            case .limit(let limit): count = max(0, min(count, limit))
            case .tamper(let tamper):
                let result = SyscallResult(returned: Int(CWasixNetSystem_recvmmsg(fd, messages, UInt32(count), Int32(MSG_DONTWAIT))))
                tamper(messages, result.count ?? -1)
                return result
            }
        }
        return SyscallResult(returned: Int(CWasixNetSystem_recvmmsg(fd, messages, UInt32(count), Int32(MSG_DONTWAIT))))
    }

    // MARK: Fault injection (tests only)

    /// Hooks by descriptor. Production pays one relaxed atomic load per batch call: the table is
    /// looked at only while some hook is installed.
    private static let faultHooks = Locked<[Int32: SyscallFaultHook]>([:])
    private static let faultsArmed = Atomic<Int>(0)

    /// Installs `hook` for the batch calls on `fd` until `removeFaultHook(fd:)`.
    static func installFaultHook(fd: Int32, _ hook: @escaping SyscallFaultHook) {
        faultHooks.withLock { hooks in
            if hooks.updateValue(hook, forKey: fd) == nil { faultsArmed.add(1, ordering: .relaxed) }
        }
    }

    static func removeFaultHook(fd: Int32) {
        faultHooks.withLock { hooks in
            if hooks.removeValue(forKey: fd) != nil { faultsArmed.subtract(1, ordering: .relaxed) }
        }
    }

    private static func fault(for fd: Int32, _ call: BatchCall, _ messages: UnsafeMutablePointer<CWasixNetSystem_mmsghdr>,
                              _ count: Int) -> SyscallFault? {
        guard let hook = faultHooks.withLock({ $0[fd] }) else { return nil }
        return hook(call, messages, count)  // called unlocked: a hook may install or remove hooks
    }
}
