import CWasixNetSystem

/// The receive half of a socket (wasixnet.h [udp.receive]).
///
/// Where the kernel accepted UDP_GRO it reads through a `ReceiveStaging` area: one `recvmmsg`
/// brings up to 32 buffers, each the datagrams one sender's run coalesced, split at their
/// segment size and copied out one datagram per caller buffer. What the caller had no room for
/// stays pending, in order, and is handed out first by the next call. Where the kernel refused
/// UDP_GRO it reads with plain `recvmmsg` straight into the caller's buffers: its headers are
/// allocated once per socket and keep pointing at their own iovec and sockaddr slot, so a call
/// only stores each buffer's address and length.
///
/// Used only under the socket's own receive lock (hence `@unchecked Sendable`), held across
/// the (non-blocking) syscall.
final class Receiver: @unchecked Sendable {
    /// Datagrams read and thrown away in one call while filtering out other peers' datagrams
    /// queued before `stream`: the queue is finite, this only bounds the call's time.
    static let maxDiscards = 4096
    private static let nameStride = 32
    /// The most datagrams the kernel coalesces into one buffer (UDP_GRO_CNT_MAX; what
    /// BatchSender and most GSO senders put in one message).
    static let datagramsPerBuffer = 64

    /// True while the socket reads through a staging area: the kernel accepted UDP_GRO. It stays
    /// true after a fault on the GRO path turned UDP_GRO off again, since buffers the kernel
    /// coalesced before may still be queued.
    private let staged: Bool
    /// The staging area, kept between calls only while it holds pending datagrams.
    private var staging: ReceiveStaging?
    /// The most datagrams one buffer of the last batch read carried (1: lone datagrams): how far
    /// a read ahead reaches.
    /// The most datagrams one buffer brought in the last fill: how far reading ahead reaches.
    var datagramsPerBufferSeen = 1

    private var capacity = 0
    private var messages: UnsafeMutablePointer<CWasixNetSystem_mmsghdr>?
    private var iovecs: UnsafeMutablePointer<iovec>?
    private var names: UnsafeMutableRawPointer?

    /// `gro`: the kernel accepted UDP_GRO on this socket.
    init(gro: Bool) { staged = gro }

    deinit {
        if let staging { ReceiveStagingPool.give(staging) }
        messages?.deallocate()
        iovecs?.deallocate()
        names?.deallocate()
    }

    /// Datagrams taken from the kernel and not handed out yet.
    var pendingCount: Int { staging?.pending ?? 0 }

    // For the in-place receive (ReceiveInPlace.swift): whether the kernel coalesces, the staging
    // area a call reads through (the one holding pending datagrams, else one from the pool), and
    // its return at the end of the call (kept only while it holds pending datagrams).
    var coalesces: Bool { staged }
    func stagingAreaForCall() -> ReceiveStaging { staging ?? ReceiveStagingPool.take() }
    func endCall(with area: ReceiveStaging) {
        if area.pending > 0 {
            staging = area
        } else {
            staging = nil
            ReceiveStagingPool.give(area)
        }
    }

    /// Drops what is pending (`stream` starts new streams).
    func dropPending() {
        if let staging {
            ReceiveStagingPool.give(staging)
            self.staging = nil
        }
    }

    /// Receives up to `count` datagrams (1...1024) into `buffer(i)`, reporting each through
    /// `store`: pending ones first, then from the kernel. With `peer`, only datagrams from it
    /// are kept; `strangersQueued` says whether the queue may still hold others' (queued before
    /// the association) and is cleared once the queue was seen empty. `readAhead`: the caller
    /// checks `pendingCount` before it waits on the fd, so more may be read than it asked for.
    func receive(fd: Int32, count: Int, peer: IPSocketAddress?, strangersQueued: inout Bool, readAhead: Bool,
                 buffer: (Int) -> ReceiveBuffer, store: (Int, ReceivedDatagram) -> Void) -> Result<Int, SocketFailure> {
        if staged { return receiveStaged(fd: fd, count: count, peer: peer, readAhead: readAhead, buffer: buffer, store: store) }
        return receivePlain(fd: fd, count: count, peer: peer, strangersQueued: &strangersQueued, buffer: buffer, store: store)
    }

    // MARK: Through a staging area (UDP_GRO)

    private func receiveStaged(fd: Int32, count: Int, peer: IPSocketAddress?, readAhead: Bool,
                               buffer: (Int) -> ReceiveBuffer, store: (Int, ReceivedDatagram) -> Void) -> Result<Int, SocketFailure> {
        let area = staging ?? ReceiveStagingPool.take()
        var handed = handOut(from: area, startingAt: 0, count: count, buffer: buffer, store: store)
        var discards = 0
        var failure: SystemErrno?
        // How many buffers one recvmmsg takes. Reading ahead (as many buffers as the caller has
        // room for at the datagrams per buffer seen last, rounded up) keeps lone datagrams at
        // one syscall per batch, but coalesced buffers may then bring more than was asked for,
        // and what is held pending leaves the fd unreadable while there is data: a caller that
        // polls the fd alone would wait for it. So only a caller that has shown it looks at
        // `pendingCount` before it polls is read ahead for. For any other, a recvmmsg takes
        // only as many buffers as there is room for at 64 datagrams each: nothing stays pending
        // unless the caller asked for fewer than one buffer may hold (then one buffer is read
        // and the rest kept).
        // Another call only while the last came back full.
        while handed < count && discards < Self.maxDiscards {
            let wanted = buffersToRead(room: count - handed, handedSoFar: handed, readAhead: readAhead)
            if wanted == 0 { break }
            let result = fillStaging(area, fd: fd, wanted: wanted, peer: peer, discards: &discards)
            guard let filled = result.count else {
                let error = result.error!
                if error != .again && error != .intr { failure = error }
                break
            }
            handed = handOut(from: area, startingAt: handed, count: count, buffer: buffer, store: store)
            if filled < wanted { break }
        }
        if area.pending > 0 {
            staging = area
        } else {
            staging = nil
            ReceiveStagingPool.give(area)
        }
        // Datagrams already stored in the caller's buffers must be reported: an error after them
        // is the kernel's to report again (recvmmsg keeps it for the next call).
        if handed > 0 { return .success(handed) }
        return failure.map { .failure(.error(SocketErrorCode($0))) } ?? .success(0)
    }

    /// One `recvmmsg` of `wanted` messages into `area`, parsed (other senders' messages counted
    /// into `discards` when `peer` is set), EINTR retried up to BatchSender.maxInterruptions
    /// times: how many messages the kernel filled, or its error (EAGAIN, or EINTR past the
    /// limit, when nothing arrived). A buffer showing the GRO path faulted stops coalescing for
    /// the socket. The copying and the in-place receive both read the kernel through it.
    func fillStaging(_ area: ReceiveStaging, fd: Int32, wanted: Int, peer: IPSocketAddress?,
                     discards: inout Int) -> SyscallResult {
        var interruptions = 0
        while true {
            area.prepare(wanted)
            let result = Syscalls.recvmmsg(fd, area.messages, count: wanted)
            guard let filled = result.count else {
                if result.error == .intr && interruptions < BatchSender.maxInterruptions {
                    interruptions += 1
                    continue
                }
                return result
            }
            let parsed = area.parse(min(filled, wanted), peer: peer)
            if parsed.faulted && staged { Self.stopCoalescing(fd) }
            discards += parsed.discarded
            if filled > 0 { datagramsPerBufferSeen = parsed.mostPerBuffer }
            return result
        }
    }

    /// How many kernel buffers one `recvmmsg` through a staging area takes for a caller with room
    /// for `room` more datagrams, by the policy `receiveStaged` explains; 0: read no more now.
    /// The in-place receive follows the same policy.
    func buffersToRead(room: Int, handedSoFar: Int, readAhead: Bool) -> Int {
        if readAhead {
            let perBuffer = datagramsPerBufferSeen
            return min(ReceiveStaging.slots, (room + perBuffer - 1) / perBuffer)
        }
        if room >= Self.datagramsPerBuffer { return min(ReceiveStaging.slots, room / Self.datagramsPerBuffer) }
        return handedSoFar == 0 ? 1 : 0
    }

    /// Copies pending datagrams into `buffer(first) ..< buffer(count)`; returns the index after
    /// the last one stored. A message's datagrams go in one tight loop: one sender, one size.
    @inline(__always)
    private func handOut(from area: ReceiveStaging, startingAt first: Int, count: Int,
                         buffer: (Int) -> ReceiveBuffer, store: (Int, ReceivedDatagram) -> Void) -> Int {
        var index = first
        while index < count && area.pending > 0 {
            let run = area.currentRun()
            let taken = min(run.segments, count - index)
            var offset = 0
            for segment in 0..<taken {
                let length = min(run.segmentSize, run.byteCount - offset)
                let target = buffer(index)
                let room = target.base == nil ? 0 : max(target.capacity, 0)
                let copied = min(length, room)
                let cutShort = run.cutShort && segment == run.segments - 1
                if copied > 0 { target.base.unsafelyUnwrapped.copyMemory(from: run.bytes + offset, byteCount: copied) }
                store(index, ReceivedDatagram(length: copied, truncated: copied < length || cutShort, remote: run.remote))
                offset += length
                index += 1
            }
            area.consume(taken, byteCount: offset)
        }
        return index
    }

    /// After a fault on the GRO path: the kernel splits what arrives from now on. Buffers it
    /// coalesced before may still be queued, so reading stays staged.
    static func stopCoalescing(_ fd: Int32) {
        _ = Syscalls.setOption(fd, level: Int32(CWasixNetSystem_SOL_UDP), name: Int32(CWasixNetSystem_UDP_GRO), value: 0)
    }

    // MARK: Plain recvmmsg (no UDP_GRO)

    /// Straight into the caller's buffers, one datagram per message.
    private func receivePlain(fd: Int32, count: Int, peer: IPSocketAddress?, strangersQueued: inout Bool,
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
