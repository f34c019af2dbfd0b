import CWasixNetSystem

/// Where a receive with UDP_GRO lands before its datagrams are copied out: `slots` kernel
/// messages, each with a 64 KiB buffer (UDP caps a buffer, coalesced or not, below that, so the
/// kernel never has to cut one short), a sender slot and a UDP_GRO control slot; then, once a
/// `recvmmsg` filled them, the cursor over the datagrams not handed out yet, in order.
///
/// 2 MiB of buffers is too much for every socket of a host with thousands of guests
/// (wasixnet.h [udp.receive]: ≤ 32 KiB retained per socket), so areas live in a process-wide
/// pool: a socket takes one for a call and gives it back at the end, keeping it only while it
/// holds datagrams it has not handed out. Used by one socket at a time, under its receive lock
/// (hence `@unchecked Sendable`).
final class ReceiveStaging: @unchecked Sendable {
    /// Messages per `recvmmsg`: each yields one datagram, or up to 64 when coalesced. 64 (as a
    /// plain recvmmsg x64 takes) measured no faster for lone datagrams here, at twice the memory.
    static let slots = 32
    static let slotBytes = 65536
    private static let nameStride = 32
    private static let controlStride = (CWasixNetSystem_udp_gro_space() + 7) & ~7

    let messages: UnsafeMutablePointer<CWasixNetSystem_mmsghdr>
    private let iovecs: UnsafeMutablePointer<iovec>
    private let bytes: UnsafeMutableRawPointer
    private let names: UnsafeMutableRawPointer
    private let controls: UnsafeMutableRawPointer

    // What the last recvmmsg brought, per message: its sender, its datagrams' size (the
    // segment size, or the whole length), how many of them are left (0: dropped or done), and
    // whether the kernel cut the buffer short.
    private let remotes: UnsafeMutablePointer<IPSocketAddress>
    private let segmentSizes: UnsafeMutablePointer<Int>
    private let segmentsLeft: UnsafeMutablePointer<Int>
    private let cutShort: UnsafeMutablePointer<Bool>
    private var filled = 0
    /// The message the next datagram comes from, and the byte it starts at.
    private var message = 0
    private var offset = 0
    /// Datagrams taken from the kernel and not handed out yet.
    private(set) var pending = 0

    init() {
        messages = .allocate(capacity: Self.slots)
        iovecs = .allocate(capacity: Self.slots)
        bytes = .allocate(byteCount: Self.slots * Self.slotBytes, alignment: 64)
        names = .allocate(byteCount: Self.slots * Self.nameStride, alignment: 8)
        controls = .allocate(byteCount: Self.slots * Self.controlStride, alignment: 8)
        remotes = .allocate(capacity: Self.slots)
        remotes.initialize(repeating: IPSocketAddress(IPAddress(v4: 0), port: 0), count: Self.slots)
        segmentSizes = .allocate(capacity: Self.slots)
        segmentsLeft = .allocate(capacity: Self.slots)
        segmentsLeft.initialize(repeating: 0, count: Self.slots)
        cutShort = .allocate(capacity: Self.slots)
        for index in 0..<Self.slots {
            var header = msghdr()
            header.msg_name = names + index * Self.nameStride
            header.msg_iov = iovecs + index
            header.msg_iovlen = 1
            header.msg_control = controls + index * Self.controlStride
            messages[index] = CWasixNetSystem_mmsghdr(msg_hdr: header, msg_len: 0)
        }
    }

    deinit {
        messages.deallocate()
        iovecs.deallocate()
        bytes.deallocate()
        names.deallocate()
        controls.deallocate()
        remotes.deinitialize(count: Self.slots)
        remotes.deallocate()
        segmentSizes.deallocate()
        segmentsLeft.deallocate()
        cutShort.deallocate()
    }

    /// Resets the first `count` messages for a `recvmmsg` (the kernel rewrote their lengths).
    /// Only called with nothing pending.
    func prepare(_ count: Int) {
        for index in 0..<count {
            iovecs[index] = iovec(iov_base: bytes + index * Self.slotBytes, iov_len: Self.slotBytes)
            messages[index].msg_hdr.msg_namelen = socklen_t(Self.nameStride)
            messages[index].msg_hdr.msg_controllen = Self.controlStride
            messages[index].msg_hdr.msg_flags = 0
        }
    }

    /// What parsing a filled batch found.
    struct Parsed {
        /// Messages from another peer than the connected one, dropped.
        var discarded = 0
        /// The GRO path misbehaved (a control buffer or a coalesced buffer cut short): the
        /// socket should stop asking the kernel to coalesce.
        var faulted = false
        /// The most datagrams one kept buffer carried (1: all lone).
        var mostPerBuffer = 1
    }

    /// Takes in the `count` messages a `recvmmsg` filled: each splits at its UDP_GRO segment
    /// size (a shorter last segment is its own datagram; no cmsg: one datagram). With `peer`,
    /// another sender's messages are dropped whole: a coalesced buffer has one sender.
    func parse(_ count: Int, peer: IPSocketAddress?) -> Parsed {
        var parsed = Parsed()
        filled = count
        message = 0
        offset = 0
        pending = 0
        for index in 0..<count {
            let header = messages[index].msg_hdr
            let remote = IPSocketAddress(sockaddr: header.msg_name!, length: header.msg_namelen)
                ?? IPSocketAddress(IPAddress(v4: 0), port: 0)
            if let peer, remote.ip != peer.ip || remote.port != peer.port {
                segmentsLeft[index] = 0
                parsed.discarded += 1
                continue
            }
            remotes[index] = remote
            let length = Int(messages[index].msg_len)
            let segmentSize = Int(CWasixNetSystem_udp_gro_size(&messages[index].msg_hdr))
            let truncated = header.msg_flags & Int32(MSG_TRUNC) != 0
            if header.msg_flags & Int32(MSG_CTRUNC) != 0 || (truncated && segmentSize > 0) { parsed.faulted = true }
            if segmentSize > 0 && segmentSize < length {
                segmentSizes[index] = segmentSize
                segmentsLeft[index] = (length + segmentSize - 1) / segmentSize
            } else {
                segmentSizes[index] = length
                segmentsLeft[index] = 1
            }
            cutShort[index] = truncated
            pending += segmentsLeft[index]
            parsed.mostPerBuffer = max(parsed.mostPerBuffer, segmentsLeft[index])
        }
        return parsed
    }

    /// The datagrams left of the message the next one comes from (call only while
    /// `pending > 0`): they start at `bytes`, `byteCount` bytes in all, each `segmentSize` long
    /// but the last, which may be shorter; `cutShort`: the kernel cut the last one short.
    struct Run {
        var bytes: UnsafeRawPointer
        var byteCount: Int
        var segmentSize: Int
        var segments: Int
        var cutShort: Bool
        var remote: IPSocketAddress
    }

    @inline(__always)
    func currentRun() -> Run {
        while segmentsLeft[message] == 0 {
            message += 1
            offset = 0
        }
        let index = message
        return Run(bytes: UnsafeRawPointer(bytes + index * Self.slotBytes + offset),
                   byteCount: Int(messages[index].msg_len) - offset, segmentSize: segmentSizes[index],
                   segments: segmentsLeft[index], cutShort: cutShort[index], remote: remotes[index])
    }

    /// Marks the first `count` datagrams of the current run (`byteCount` bytes) handed out.
    @inline(__always)
    func consume(_ count: Int, byteCount: Int) {
        segmentsLeft[message] -= count
        pending -= count
        if segmentsLeft[message] == 0 {
            message += 1
            offset = 0
        } else {
            offset += byteCount
        }
    }

    /// Forgets what is pending (a new pair of streams).
    func dropPending() {
        for index in 0..<filled { segmentsLeft[index] = 0 }
        filled = 0
        pending = 0
    }
}

/// The process-wide pool of staging areas: a few idle ones kept for the next call of any
/// socket, the rest freed. Its lock is held only to take or give an area, never across a syscall.
enum ReceiveStagingPool {
    /// Idle areas kept: enough for as many sockets receiving at once as a host has cores here.
    static let maxIdle = 4
    private static let idle = Locked<[ReceiveStaging]>([])

    static func take() -> ReceiveStaging {
        idle.withLock { $0.popLast() } ?? ReceiveStaging()
    }

    static func give(_ staging: ReceiveStaging) {
        staging.dropPending()
        // An area beyond the idle limit is released here, after the lock.
        let surplus: ReceiveStaging? = idle.withLock { areas in
            if areas.count < maxIdle {
                areas.append(staging)
                return nil
            }
            return staging
        }
        _ = surplus
    }
}
