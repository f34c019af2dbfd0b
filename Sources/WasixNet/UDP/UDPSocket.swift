import CWasixNetSystem
import Synchronization

/// A wasi:sockets `udp-socket` with its current pair of datagram streams, on one non-blocking
/// kernel socket.
///
/// Three locks, always taken in this order: `sender` (the send scratch, held across sendmmsg),
/// `receiver` (the receive scratch, held across recvmmsg), `state` (phase, peer, permits; held
/// briefly, or across a non-blocking bind/connect). A send and a receive proceed in parallel;
/// `stream` takes all three so no batch runs while the association changes. The port's lock is
/// taken only inside `Port.hasRoute(to:)`, with none of these held across a syscall meanwhile.
public final class UDPSocket: Sendable {
    /// The grant of check-send when the socket can send: UIO_MAXIOV, the most one sendmmsg takes.
    public static let maxPermits = 1024
    /// Larger datagrams are DATAGRAM_TOO_LARGE without a syscall.
    public static let maxDatagramSize = 65535

    public enum Phase: Sendable, Equatable {
        case unbound
        case bindStarted
        case bound
        /// `stream` succeeded: the streams exist (with or without a peer).
        case streaming
    }

    private struct State {
        var phase = Phase.unbound
        /// The address bound by start_bind, as the kernel reports it (the port chosen for port 0).
        var boundAddress: IPSocketAddress?
        /// The peer as given to `stream`, every field.
        var peer: IPSocketAddress?
        /// Datagrams the next send may carry; 0 also means "no check-send since the last send".
        var permits = 0
        /// Other peers' datagrams may still sit in the queue (queued before `stream`).
        var strangersQueued = false
    }

    public let family: IPAddress.Family
    /// The descriptor: pollable (POLLOUT: check-send grants; POLLIN: receive has data).
    public let fd: Int32
    /// The port whose routes this socket's sends obey (when it enforces them).
    public let port: Port?
    private let state = Locked(State())
    /// The send scratch; held across sendmmsg.
    private let sender = Locked(BatchSender())
    /// The receive scratch; held across recvmmsg.
    private let receiver: Locked<Receiver>
    /// What the receiver holds pending, published after each change so that a runtime's poll
    /// loop reads it without waiting for a receive in progress.
    private let pending = Atomic<Int>(0)
    /// Set once `pendingCount` was read: the caller looks at what is held before it waits on
    /// the fd, so a receive may read ahead of what it asks for.
    private let callerWatchesPending = Atomic<Bool>(false)

    private init(fd: Int32, family: IPAddress.Family, port: Port?, gro: Bool) {
        self.fd = fd
        self.family = family
        self.port = port
        receiver = Locked(Receiver(gro: gro))
    }

    deinit { Syscalls.closeSocket(fd) }

    /// `create-udp-socket`: an unbound socket; IPv6 sockets are IPV6_V6ONLY.
    public static func create(family: IPAddress.Family, port: Port? = nil) -> Result<UDPSocket, SocketErrorCode> {
        let result = Syscalls.udpSocket(domain: family == .v4 ? AF_INET : AF_INET6)
        guard let fd = result.count.map(Int32.init) else { return .failure(SocketErrorCode(result.error!)) }
        if family == .v6 {
            let v6only = Syscalls.setOption(fd, level: Int32(IPPROTO_IPV6), name: IPV6_V6ONLY, value: 1)
            if let error = v6only.error {
                Syscalls.closeSocket(fd)
                return .failure(SocketErrorCode(error))
            }
        }
        // Receive coalesced where the kernel can (wasixnet.h [udp.receive]); where it refuses,
        // plain recvmmsg.
        let gro = Syscalls.setOption(fd, level: Int32(CWasixNetSystem_SOL_UDP), name: Int32(CWasixNetSystem_UDP_GRO), value: 1)
        return .success(UDPSocket(fd: fd, family: family, port: port, gro: gro.error == nil))
    }

    public var phase: Phase { state.withLock { $0.phase } }

    // MARK: Binding

    /// `start-bind`: binds now (errors are reported here).
    public func startBind(_ local: RemoteAddress) -> Result<Void, SocketErrorCode> {
        state.withLock { state in
            guard state.phase == .unbound else { return .failure(.invalidState) }
            guard case .some(let address) = local, address.family == family, !address.isIPv4Mapped else {
                return .failure(.invalidArgument)
            }
            var slot = sockaddr_storage()
            let result = withUnsafeMutableBytes(of: &slot) { raw in
                let length = address.writeSockaddr(to: raw.baseAddress!)
                return Syscalls.bindSocket(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), length)
            }
            if let error = result.error { return .failure(SocketErrorCode(error)) }
            state.boundAddress = currentLocalAddress()
            state.phase = .bindStarted
            return .success(())
        }
    }

    /// `finish-bind`.
    public func finishBind() -> Result<Void, SocketErrorCode> {
        state.withLock { state in
            guard state.phase == .bindStarted else { return .failure(.notInProgress) }
            state.phase = .bound
            return .success(())
        }
    }

    // MARK: Streams

    /// `stream`: dissolves any association, then connects to `remote` (`.none`: no peer).
    /// Permits start at 0. On failure the socket is left bound with no streams.
    public func stream(_ remote: RemoteAddress) -> Result<Void, SocketErrorCode> {
        sender.withLock { _ in
            receiver.withLock { batchReceiver in
                // New streams: what the old ones took from the kernel is not theirs.
                batchReceiver.dropPending()
                pending.store(0, ordering: .releasing)
                return state.withLock { state in
                    guard state.phase == .bound || state.phase == .streaming else { return .failure(.invalidState) }
                    var peer: IPSocketAddress?
                    switch remote {
                    case .none: peer = nil
                    case .malformed: return .failure(.invalidArgument)
                    case .some(let address):
                        guard address.isValidRemote(for: family) else { return .failure(.invalidArgument) }
                        peer = address
                    }
                    state.permits = 0
                    if state.peer != nil {
                        state.peer = nil
                        state.phase = .bound
                        dissolveAssociation(keeping: state.boundAddress)
                    }
                    if let peer {
                        var slot = sockaddr_storage()
                        let result = withUnsafeMutableBytes(of: &slot) { raw in
                            let length = peer.writeSockaddr(to: raw.baseAddress!)
                            return Syscalls.connectSocket(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), length)
                        }
                        if let error = result.error {
                            state.phase = .bound
                            return .failure(SocketErrorCode(error))
                        }
                        state.strangersQueued = Syscalls.hasQueuedDatagram(fd)
                    } else {
                        state.strangersQueued = false
                    }
                    state.peer = peer
                    state.phase = .streaming
                    return .success(())
                }
            }
        }
    }

    /// Disconnects. Linux then forgets a port bound as 0 (and an address bound as unspecified):
    /// the port the socket was given is bound again, so the local address survives the change.
    private func dissolveAssociation(keeping bound: IPSocketAddress?) {
        _ = Syscalls.disconnect(fd)
        guard let bound, currentLocalAddress()?.port != bound.port else { return }
        var slot = sockaddr_storage()
        _ = withUnsafeMutableBytes(of: &slot) { raw in
            let length = bound.writeSockaddr(to: raw.baseAddress!)
            return Syscalls.bindSocket(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), length)
        }
    }

    // MARK: Addresses and options

    /// `local-address`: invalid-state until bound.
    public func localAddress() -> Result<IPSocketAddress, SocketErrorCode> {
        let phase = state.withLock { $0.phase }
        guard phase == .bound || phase == .streaming else { return .failure(.invalidState) }
        return currentLocalAddress().map { .success($0) } ?? .failure(.unknown)
    }

    /// `remote-address`: the peer as given to `stream`.
    public func remoteAddress() -> Result<IPSocketAddress, SocketErrorCode> {
        state.withLock { state in
            guard state.phase == .streaming, let peer = state.peer else { return .failure(.invalidState) }
            return .success(peer)
        }
    }

    private func currentLocalAddress() -> IPSocketAddress? {
        var slot = sockaddr_storage()
        guard Syscalls.localAddress(fd, into: &slot).count != nil else { return nil }
        return withUnsafeBytes(of: &slot) { IPSocketAddress(sockaddr: $0.baseAddress!, length: socklen_t($0.count)) }
    }

    private var hopLimitOption: (level: Int32, name: Int32) {
        family == .v4 ? (Int32(IPPROTO_IP), IP_TTL) : (Int32(IPPROTO_IPV6), IPV6_UNICAST_HOPS)
    }

    public func unicastHopLimit() -> Result<UInt8, SocketErrorCode> {
        let result = Syscalls.getOption(fd, level: hopLimitOption.level, name: hopLimitOption.name)
        guard let value = result.count else { return .failure(SocketErrorCode(result.error!)) }
        return .success(UInt8(clamping: value))
    }

    public func setUnicastHopLimit(_ value: UInt8) -> Result<Void, SocketErrorCode> {
        guard value > 0 else { return .failure(.invalidArgument) }
        let result = Syscalls.setOption(fd, level: hopLimitOption.level, name: hopLimitOption.name, value: Int32(value))
        return result.error.map { .failure(SocketErrorCode($0)) } ?? .success(())
    }

    public enum Buffer: Sendable { case receive, send }

    /// The buffer size as set: Linux stores twice the value it was given, so it is halved back.
    public func bufferSize(_ buffer: Buffer) -> Result<UInt64, SocketErrorCode> {
        let result = Syscalls.getOption(fd, level: SOL_SOCKET, name: buffer == .receive ? SO_RCVBUF : SO_SNDBUF)
        guard let value = result.count else { return .failure(SocketErrorCode(result.error!)) }
        return .success(UInt64(value / 2))
    }

    /// Sets a buffer size; 0 is invalid-argument, larger values are clamped (to what fits the
    /// option, then by the kernel to its limits).
    public func setBufferSize(_ buffer: Buffer, _ value: UInt64) -> Result<Void, SocketErrorCode> {
        guard value > 0 else { return .failure(.invalidArgument) }
        let clamped = Int32(min(value, UInt64(Int32.max / 2)))
        let result = Syscalls.setOption(fd, level: SOL_SOCKET, name: buffer == .receive ? SO_RCVBUF : SO_SNDBUF, value: clamped)
        return result.error.map { .failure(SocketErrorCode($0)) } ?? .success(())
    }

    // MARK: Sending

    /// `check-send`: 1024 when the kernel's send buffer has room (POLLOUT), else 0. Never blocks.
    public func checkSend() -> Result<Int, SocketErrorCode> {
        state.withLock { state in
            guard state.phase == .streaming else { return .failure(.invalidState) }
            let writable = Syscalls.pollNow(fd, events: Int16(POLLOUT)) & Int16(POLLOUT) != 0
            state.permits = writable ? Self.maxPermits : 0
            return .success(state.permits)
        }
    }

    /// `send`: the grant first (beyond it: `.trap`, nothing changed), then the batch in order.
    /// `datagram(i)` is asked for each index in order (and again for a GSO fallback); it must
    /// answer the same each time.
    public func send(count: Int, datagram: (Int) -> OutgoingDatagram) -> Result<Int, SocketFailure> {
        sender.withLock { batchSender in
            let context: SendContext
            switch grant(count) {
            case .failure(let failure): return .failure(failure)
            case .success(let granted): context = granted
            }
            guard count > 0 else { return .success(0) }
            return batchSender.send(fd: fd, context: context, count: count, datagram: datagram)
        }
    }

    /// Checks and uses up the grant for a send of `count` datagrams.
    private func grant(_ count: Int) -> Result<SendContext, SocketFailure> {
        state.withLock { state in
            guard state.phase == .streaming else { return .failure(.error(.invalidState)) }
            guard count <= state.permits else { return .failure(.trap) }
            state.permits = 0
            let routes = port.flatMap { $0.enforceRoutes ? $0 : nil }
            return .success(SendContext(family: family, connected: state.peer, routes: routes))
        }
    }

    // MARK: Receiving

    /// `receive`: up to `maxResults` (at most 1024 a call) datagrams, never blocking.
    public func receive(maxResults: Int, buffer: (Int) -> ReceiveBuffer,
                        store: (Int, ReceivedDatagram) -> Void) -> Result<Int, SocketFailure> {
        receiver.withLock { batchReceiver in
            let snapshot = state.withLock { state in (state.phase, state.peer, state.strangersQueued) }
            guard snapshot.0 == .streaming else { return .failure(.error(.invalidState)) }
            let count = min(maxResults, Self.maxPermits)
            guard count > 0 else { return .success(0) }
            var strangersQueued = snapshot.2
            let result = batchReceiver.receive(fd: fd, count: count, peer: snapshot.1, strangersQueued: &strangersQueued,
                                               readAhead: callerWatchesPending.load(ordering: .relaxed),
                                               buffer: buffer, store: store)
            if snapshot.2 && !strangersQueued { state.withLock { $0.strangersQueued = false } }
            pending.store(batchReceiver.pendingCount, ordering: .releasing)
            return result
        }
    }

    /// `receive` handing the datagrams out in place (for a caller that copies each once, to
    /// where it decides only when it knows how many there are: the guest form of receive): up to
    /// `maxResults`, at most what one staging fill holds. `handOut` runs under the receive lock,
    /// also for 0 datagrams (and for `maxResults` 0), never on an error.
    public func receiveInPlace(maxResults: Int, handOut: (inout ReceivedDatagrams) -> Void) -> Result<Int, SocketFailure> {
        receiver.withLock { batchReceiver in
            let (phase, peer) = state.withLock { state in (state.phase, state.peer) }
            guard phase == .streaming else { return .failure(.error(.invalidState)) }
            let count = min(maxResults, Self.maxPermits)
            guard count > 0 else {
                var none = ReceivedDatagrams(area: nil, count: 0)
                handOut(&none)
                return .success(0)
            }
            let result = batchReceiver.receiveInPlace(fd: fd, count: count, peer: peer,
                                                      readAhead: callerWatchesPending.load(ordering: .relaxed), handOut: handOut)
            pending.store(batchReceiver.pendingCount, ordering: .releasing)
            return result
        }
    }

    /// Datagrams the socket already took from the kernel and will hand out first (0 when none):
    /// a runtime's incoming stream is ready when this is > 0 or the fd is readable
    /// (wasixnet.h [udp.receive]).
    ///
    /// Reading it also tells the socket that its caller looks here before it waits on the fd:
    /// from then on a receive reads ahead of what it asks for (as many kernel buffers as it has
    /// room for at the datagrams per buffer it saw last, so lone datagrams come up to 32 to a
    /// syscall), since what it holds no longer hides behind an unreadable fd. Until then a
    /// receive holds datagrams back only when it asked for fewer than one coalesced buffer may
    /// carry, and reads lone datagrams one buffer per syscall for calls of fewer than 128.
    public var pendingCount: Int {
        if !callerWatchesPending.load(ordering: .relaxed) { callerWatchesPending.store(true, ordering: .relaxed) }
        return pending.load(ordering: .acquiring)
    }
}
