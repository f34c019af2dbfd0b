import CWasixNetSystem

/// The wasi:sockets `error-code` enum, in the WIT's order (the raw value is the discriminant).
public enum SocketErrorCode: UInt8, Error, Sendable, CaseIterable, CustomStringConvertible {
    case unknown
    case accessDenied
    case notSupported
    case invalidArgument
    case outOfMemory
    case timeout
    case concurrencyConflict
    case notInProgress
    case wouldBlock
    case invalidState
    case newSocketLimit
    case addressNotBindable
    case addressInUse
    case remoteUnreachable
    case connectionRefused
    case connectionReset
    case connectionAborted
    case datagramTooLarge
    case nameUnresolvable
    case temporaryResolverFailure
    case permanentResolverFailure

    /// The WIT name: "invalid-argument".
    public var description: String {
        switch self {
        case .unknown: "unknown"
        case .accessDenied: "access-denied"
        case .notSupported: "not-supported"
        case .invalidArgument: "invalid-argument"
        case .outOfMemory: "out-of-memory"
        case .timeout: "timeout"
        case .concurrencyConflict: "concurrency-conflict"
        case .notInProgress: "not-in-progress"
        case .wouldBlock: "would-block"
        case .invalidState: "invalid-state"
        case .newSocketLimit: "new-socket-limit"
        case .addressNotBindable: "address-not-bindable"
        case .addressInUse: "address-in-use"
        case .remoteUnreachable: "remote-unreachable"
        case .connectionRefused: "connection-refused"
        case .connectionReset: "connection-reset"
        case .connectionAborted: "connection-aborted"
        case .datagramTooLarge: "datagram-too-large"
        case .nameUnresolvable: "name-unresolvable"
        case .temporaryResolverFailure: "temporary-resolver-failure"
        case .permanentResolverFailure: "permanent-resolver-failure"
        }
    }

    /// The error a kernel errno stands for: the public header's table (wasixnet.h [udp.errors]),
    /// the one list both the contract and this code follow. EAGAIN is `wouldBlock` there: callers
    /// that never report would-block turn it into "nothing done" before they get this far.
    public init(_ errno: SystemErrno) {
        self = SocketErrorCode(rawValue: CWasixNetSystem_socket_error_code(errno.rawValue)) ?? .unknown
    }
}

/// How a socket call can fail: with an error code the guest sees, or with a protocol violation
/// the runtime must trap (a send beyond its grant, a list that cannot be lifted).
public enum SocketFailure: Error, Sendable, Equatable {
    case error(SocketErrorCode)
    case trap
}
