import CWasixNetSystem

/// The receive half of a socket: one `recvmmsg` straight into the caller's buffers.
///
/// Its headers are allocated once per socket and keep pointing at their own iovec and sockaddr
/// slot, so a call only stores each buffer's address and length. Like `BatchSender`, it is used
/// only under the socket's own receive lock (hence `@unchecked Sendable`), held across the
/// (non-blocking) syscall.
final class Receiver: @unchecked Sendable {
    /// Datagrams read and thrown away in one call while filtering out other peers' datagrams
    /// queued before `stream`: the queue is finite, this only bounds the call's time.
    static let maxDiscards = 4096
    private static let nameStride = 32

    private var capacity = 0
    private var messages: UnsafeMutablePointer<CWasixNetSystem_mmsghdr>?
    private var iovecs: UnsafeMutablePointer<iovec>?
    private var names: UnsafeMutableRawPointer?

    init() {}

    deinit {
        messages?.deallocate()
        iovecs?.deallocate()
        names?.deallocate()
    }

    /// Receives up to `count` datagrams (1...1024) into `buffer(i)`, reporting each through
    /// `store`. With `peer`, only datagrams from it are kept; `strangersQueued` says whether the
    /// queue may still hold others' (queued before the association) and is cleared once the
    /// queue was seen empty.
    func receive(fd: Int32, count: Int, peer: IPSocketAddress?, strangersQueued: inout Bool,
                          buffer: (Int) -> ReceiveBuffer, store: (Int, ReceivedDatagram) -> Void) -> Result<Int, SocketFailure> {
        reserve(count)
        if let peer, strangersQueued {
            return receiveFiltered(fd: fd, count: count, peer: peer, strangersQueued: &strangersQueued, buffer: buffer, store: store)
        }
        for index in 0..<count { prepare(index, buffer(index)) }
        var interruptions = 0
        while true {
            let result = Syscalls.recvmmsg(fd, messages!, count: count)
            if let received = result.count {
                for index in 0..<min(received, count) { store(index, datagram(at: index)) }
                return .success(min(received, count))
            }
            let error = result.error!
            if error == .intr && interruptions < BatchSender.maxInterruptions {
                interruptions += 1
                continue
            }
            return error == .again || error == .intr ? .success(0) : .failure(.error(SocketErrorCode(error)))
        }
    }

    /// One datagram at a time, dropping those not from `peer`, until `count` are kept or the
    /// queue is empty (then no stranger is left: the kernel filters arrivals after connect).
    private func receiveFiltered(fd: Int32, count: Int, peer: IPSocketAddress, strangersQueued: inout Bool,
                                          buffer: (Int) -> ReceiveBuffer, store: (Int, ReceivedDatagram) -> Void) -> Result<Int, SocketFailure> {
        var kept = 0
        var discards = 0
        var interruptions = 0
        while kept < count && discards < Self.maxDiscards {
            prepare(0, buffer(kept))
            let result = Syscalls.recvmmsg(fd, messages!, count: 1)
            if let received = result.count, received >= 1 {
                let arrived = datagram(at: 0)
                if arrived.remote.ip == peer.ip && arrived.remote.port == peer.port {
                    store(kept, arrived)
                    kept += 1
                } else {
                    discards += 1
                }
                continue
            }
            let error = result.error ?? .again
            if error == .intr && interruptions < BatchSender.maxInterruptions {
                interruptions += 1
                continue
            }
            if error == .again { strangersQueued = false }
            if kept > 0 || error == .again || error == .intr { break }
            return .failure(.error(SocketErrorCode(error)))
        }
        return .success(kept)
    }

    private func reserve(_ count: Int) {
        guard count > capacity else { return }
        var newCapacity = max(16, capacity)
        while newCapacity < count { newCapacity *= 2 }
        messages?.deallocate()
        iovecs?.deallocate()
        names?.deallocate()
        messages = .allocate(capacity: newCapacity)
        iovecs = .allocate(capacity: newCapacity)
        names = .allocate(byteCount: newCapacity * Self.nameStride, alignment: 8)
        for index in 0..<newCapacity {
            var header = msghdr()
            header.msg_name = names! + index * Self.nameStride
            header.msg_iov = iovecs! + index
            header.msg_iovlen = 1
            messages![index] = CWasixNetSystem_mmsghdr(msg_hdr: header, msg_len: 0)
        }
        capacity = newCapacity
    }

    @inline(__always)
    private func prepare(_ index: Int, _ buffer: ReceiveBuffer) {
        iovecs![index] = iovec(iov_base: buffer.capacity > 0 ? buffer.base : nil, iov_len: buffer.base == nil ? 0 : buffer.capacity)
        messages![index].msg_hdr.msg_namelen = socklen_t(Self.nameStride)
    }

    private func datagram(at index: Int) -> ReceivedDatagram {
        let header = messages![index].msg_hdr
        let remote = IPSocketAddress(sockaddr: header.msg_name!, length: header.msg_namelen)
            ?? IPSocketAddress(IPAddress(v4: 0), port: 0)
        return ReceivedDatagram(length: Int(messages![index].msg_len),
                                truncated: header.msg_flags & Int32(MSG_TRUNC) != 0, remote: remote)
    }
}
