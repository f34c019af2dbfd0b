import CWasixNet
import WasixNet

/// The `wasixnet_udp_socket_t *` handed to C is a retained `UDPSocket`.
enum UDPSocketHandle {
    static func make(_ socket: UDPSocket) -> OpaquePointer { OpaquePointer(Unmanaged.passRetained(socket).toOpaque()) }

    static func release(_ handle: OpaquePointer) { Unmanaged<UDPSocket>.fromOpaque(UnsafeRawPointer(handle)).release() }

    /// Runs `body` on the socket behind `handle` without retaining it; INVALID_ARGUMENT for NULL.
    @inline(__always)
    static func with(_ handle: OpaquePointer?, _ body: (UDPSocket) -> wasixnet_sock_status_t) -> wasixnet_sock_status_t {
        guard let handle else { return SocketStatus.of(.invalidArgument) }
        return Unmanaged<UDPSocket>.fromOpaque(UnsafeRawPointer(handle))._withUnsafeGuaranteedRef(body)
    }
}

/// wasixnet_sock_status_t values: 0 ok, -1 trap, 1 + the error-code discriminant.
enum SocketStatus {
    static let ok: wasixnet_sock_status_t = WASIXNET_SOCK_OK
    static let trap: wasixnet_sock_status_t = WASIXNET_SOCK_TRAP

    @inline(__always)
    static func of(_ code: SocketErrorCode) -> wasixnet_sock_status_t { wasixnet_sock_status_t(code.rawValue) + 1 }

    @inline(__always)
    static func of(_ failure: SocketFailure) -> wasixnet_sock_status_t {
        switch failure {
        case .trap: trap
        case .error(let code): of(code)
        }
    }

    /// OK after `store` ran on the value, or the error's status.
    @inline(__always)
    static func of<Value>(_ result: Result<Value, SocketErrorCode>, _ store: (Value) -> Void = { _ in }) -> wasixnet_sock_status_t {
        switch result {
        case .success(let value):
            store(value)
            return ok
        case .failure(let code):
            return of(code)
        }
    }
}
