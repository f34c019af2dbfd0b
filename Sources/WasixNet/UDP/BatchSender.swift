import CWasixNetSystem

/// What a send needs to know about its socket, read once per call under the socket's state lock.
struct SendContext {
    var family: IPAddress.Family
    /// The peer given to `stream`, if any: datagrams to it go with `msg_name` NULL.
    var connected: IPSocketAddress?
    /// The port whose routing table decides REMOTE_UNREACHABLE (only when it enforces routes).
    var routes: Port?
}

/// The send half of a socket: validates a batch in order, lays it out as `mmsghdr`s (runs of
/// equal-sized datagrams to one destination coalesced into one UDP GSO message), and hands it
/// to the kernel with as few `sendmmsg` calls as it takes, falling back from GSO when the kernel
/// refuses it.
///
/// Its scratch arrays are allocated once per socket (grown to the largest batch seen, at most
/// 1024 entries) and reused: no allocation per datagram or per call. They belong to one socket
/// and are used only under that socket's own send lock (hence `@unchecked Sendable`), which is
/// held across the `sendmmsg` call:
/// the descriptor is non-blocking, so the hold is short, and the alternative (copying each
/// batch's headers out of a shared pool) would cost more than it saves. No other lock (the
/// port's included) is ever held across a syscall.
final class BatchSender: @unchecked Sendable {
    /// Linux's UDP_MAX_SEGMENTS on older kernels (newer ones take 128): the portable cap.
    static let maxSegments = 64
    /// Payload bytes in one GSO message, under the 65507 (IPv4) / 65527 (IPv6) kernel limit.
    static let maxCoalescedBytes = 65000
    /// Consecutive EINTRs tolerated before a send gives up as if the buffer were full.
    static let maxInterruptions = 64
    private static let nameStride = 32
    private static let controlStride = (CWasixNetSystem_udp_segment_space() + 7) & ~7

    private var capacity = 0
    private var messages: UnsafeMutablePointer<CWasixNetSystem_mmsghdr>?
    /// One per datagram, at the datagram's index: a message's iovecs are consecutive.
    private var iovecs: UnsafeMutablePointer<iovec>?
    /// One sockaddr slot per message.
    private var names: UnsafeMutableRawPointer?
    /// One UDP_SEGMENT cmsg slot per message.
    private var controls: UnsafeMutableRawPointer?
    /// The index of each message's first datagram; entry `messageCount` is one past the last.
    private var firstDatagram: UnsafeMutablePointer<Int32>?

    /// False once the kernel refused GSO on this socket (EIO / EINVAL on a coalesced message).
    private(set) var gsoEnabled = true
    /// Largest segment size still coalesced: lowered when a coalesced message got EMSGSIZE (its
    /// segments exceed the path MTU), so such runs go one by one, as lone datagrams may.
    private(set) var gsoSegmentLimit = 65535

    // The message being built.
    private var messageCount = 0
    private var openSegmentSize = 0
    private var openSegments = 0
    private var openBytes = 0
    private var openClosed = true
    private var openDestination: IPSocketAddress?

    init() {}

    deinit {
        messages?.deallocate()
        iovecs?.deallocate()
        names?.deallocate()
        controls?.deallocate()
        firstDatagram?.deallocate()
    }

    /// Sends `count` datagrams (the caller checked the grant: count <= 1024) and returns how many
    /// went, or the error of the first datagram when none did.
    func send(fd: Int32, context: SendContext, count: Int,
                       datagram: (Int) -> OutgoingDatagram) -> Result<Int, SocketFailure> {
        reserve(count)
        messageCount = 0
        openSegments = 0

        // Validate in order, laying out each valid datagram as it is checked; the first invalid
        // one ends the batch before any syscall.
        var valid = 0
        var invalid: SocketErrorCode?
        var lastRoute: (address: IPAddress, reachable: Bool)?
        while valid < count {
            let item = datagram(valid)
            if item.remoteIsPrevious && valid > 0 {
                // Same destination as the datagram before, which was valid and is in the open
                // message: only its own length and bytes are left to check.
                guard item.length >= 0 && item.length <= UDPSocket.maxDatagramSize else { invalid = .datagramTooLarge; break }
                guard item.length == 0 || item.data != nil else { invalid = .invalidArgument; break }
                appendToSameDestination(valid, item, coalescing: gsoEnabled)
                valid += 1
                continue
            }
            switch Self.validate(item, context, &lastRoute) {
            case .success(let destination):
                append(valid, item, destination, coalescing: gsoEnabled)
            case .failure(let error):
                invalid = error
            }
            if invalid != nil { break }
            valid += 1
        }
        finishMessage(end: valid)
        if valid == 0 { return invalid.map { .failure(.error($0)) } ?? .success(0) }
        return transmit(fd: fd, context: context, valid: valid, datagram: datagram)
    }

    // MARK: Validation

    /// The datagram's destination (nil: the connected peer, sent with no msg_name), or the error
    /// that makes it invalid, in the contract's order.
    private static func validate(_ item: OutgoingDatagram, _ context: SendContext,
                                 _ lastRoute: inout (address: IPAddress, reachable: Bool)?) -> Result<IPSocketAddress?, SocketErrorCode> {
        // A negative length is a size_t beyond Int.max: too large as well.
        guard item.length >= 0 && item.length <= UDPSocket.maxDatagramSize else { return .failure(.datagramTooLarge) }
        guard item.length == 0 || item.data != nil else { return .failure(.invalidArgument) }
        let destination: IPSocketAddress?
        let target: IPAddress
        switch item.remote {
        case .malformed:
            return .failure(.invalidArgument)
        case .none:
            guard let connected = context.connected else { return .failure(.invalidArgument) }
            destination = nil
            target = connected.ip
        case .some(let address):
            if let connected = context.connected {
                guard address == connected else { return .failure(.invalidArgument) }
                destination = nil
                target = connected.ip
            } else {
                guard address.isValidRemote(for: context.family) else { return .failure(.invalidArgument) }
                destination = address
                target = address.ip
            }
        }
        if let port = context.routes {
            // One lookup per run of datagrams to the same address.
            if lastRoute?.address != target { lastRoute = (target, port.hasRoute(to: target)) }
            guard lastRoute!.reachable else { return .failure(.remoteUnreachable) }
        }
        return .success(destination)
    }

    /// The destination of datagram `index`, already found valid (one to the previous datagram's
    /// remote-address goes where that one went).
    private static func destination(of index: Int, _ context: SendContext, datagram: (Int) -> OutgoingDatagram) -> IPSocketAddress? {
        guard context.connected == nil else { return nil }
        var source = index
        var item = datagram(source)
        while item.remoteIsPrevious && source > 0 {
            source -= 1
            item = datagram(source)
        }
        if case .some(let address) = item.remote { return address }
        return nil
    }

    // MARK: Layout

    private func reserve(_ count: Int) {
        guard count > capacity else { return }
        var newCapacity = max(64, capacity)
        while newCapacity < count { newCapacity *= 2 }
        messages?.deallocate()
        iovecs?.deallocate()
        names?.deallocate()
        controls?.deallocate()
        firstDatagram?.deallocate()
        messages = .allocate(capacity: newCapacity)
        iovecs = .allocate(capacity: newCapacity)
        names = .allocate(byteCount: newCapacity * Self.nameStride, alignment: 8)
        controls = .allocate(byteCount: newCapacity * Self.controlStride, alignment: 8)
        firstDatagram = .allocate(capacity: newCapacity + 1)
        capacity = newCapacity
    }

    /// Adds datagram `index` to the open message when it continues its run, else opens a new one.
    private func append(_ index: Int, _ item: OutgoingDatagram, _ destination: IPSocketAddress?, coalescing: Bool) {
        iovecs![index] = iovec(iov_base: UnsafeMutableRawPointer(mutating: item.data), iov_len: item.length)
        if coalescing && continuesRun(item.length) && destination == openDestination {
            extendRun(item.length)
            return
        }
        openMessage(index, item.length, destination)
    }

    /// `append` for a datagram known to go where the open message goes: no address compared.
    @inline(__always)
    private func appendToSameDestination(_ index: Int, _ item: OutgoingDatagram, coalescing: Bool) {
        iovecs![index] = iovec(iov_base: UnsafeMutableRawPointer(mutating: item.data), iov_len: item.length)
        if coalescing && continuesRun(item.length) {
            extendRun(item.length)
            return
        }
        let destination = openDestination
        openMessage(index, item.length, destination)
    }

    /// Whether a datagram of `length` bytes to the open message's destination may join it.
    @inline(__always)
    private func continuesRun(_ length: Int) -> Bool {
        messageCount > 0 && !openClosed && length > 0 && length <= openSegmentSize && openSegments < Self.maxSegments
            && openBytes + length <= Self.maxCoalescedBytes && openSegmentSize <= gsoSegmentLimit
    }

    @inline(__always)
    private func extendRun(_ length: Int) {
        messages![messageCount - 1].msg_hdr.msg_iovlen += 1
        openSegments += 1
        openBytes += length
        openClosed = length < openSegmentSize  // a shorter datagram can only end a run
    }

    /// Closes the open message and opens one with datagram `index`.
    private func openMessage(_ index: Int, _ length: Int, _ destination: IPSocketAddress?) {
        finishMessage(end: index)
        let message = messages! + messageCount
        var header = msghdr()
        header.msg_iov = iovecs! + index
        header.msg_iovlen = 1
        if let destination {
            let slot = names! + messageCount * Self.nameStride
            header.msg_namelen = destination.writeSockaddr(to: slot)
            header.msg_name = slot
        }
        message.pointee = CWasixNetSystem_mmsghdr(msg_hdr: header, msg_len: 0)
        firstDatagram![messageCount] = Int32(index)
        messageCount += 1
        openSegmentSize = length
        openSegments = 1
        openBytes = length
        openClosed = length == 0  // a zero-length datagram is never part of a run
        openDestination = destination
    }

    /// Closes the open message: a run of two or more datagrams gets its UDP_SEGMENT cmsg.
    private func finishMessage(end: Int) {
        if messageCount > 0 && openSegments >= 2 {
            CWasixNetSystem_set_udp_segment(&messages![messageCount - 1].msg_hdr,
                                            controls! + (messageCount - 1) * Self.controlStride, UInt16(openSegmentSize))
        }
        openSegments = 0
        firstDatagram![messageCount] = Int32(end)
    }

    /// Lays out datagrams `start ..< end` again from message 0 with the current GSO settings.
    private func relayout(from start: Int, to end: Int, context: SendContext, datagram: (Int) -> OutgoingDatagram) {
        messageCount = 0
        openSegments = 0
        for index in start..<end {
            let item = datagram(index)
            if item.remoteIsPrevious && index > start {
                appendToSameDestination(index, item, coalescing: gsoEnabled)
            } else {
                append(index, item, Self.destination(of: index, context, datagram: datagram), coalescing: gsoEnabled)
            }
        }
        finishMessage(end: end)
    }

    // MARK: Transmission

    /// Sends the laid-out messages. Each `sendmmsg` sends a prefix of what it is given; the rest
    /// is offered again until a call fails. A failing coalesced message is laid out again without
    /// (or with smaller) GSO and retried: no datagram of it was sent, so none is lost or doubled.
    private func transmit(fd: Int32, context: SendContext, valid: Int,
                                   datagram: (Int) -> OutgoingDatagram) -> Result<Int, SocketFailure> {
        var sent = 0
        var next = 0
        var interruptions = 0
        var failure: SystemErrno?
        while next < messageCount {
            let result = Syscalls.sendmmsg(fd, messages! + next, count: messageCount - next)
            if let done = result.count, done > 0 {
                let through = min(next + done, messageCount)
                sent += Int(firstDatagram![through] - firstDatagram![next])
                next = through
                continue
            }
            let error = result.error ?? .again
            if error == .intr && interruptions < Self.maxInterruptions {
                interruptions += 1
                continue
            }
            let segmentSize = Int(CWasixNetSystem_udp_segment(&messages![next].msg_hdr))
            if segmentSize > 0 && (error == .io || error == .inval || error == .msgsize) {
                if error == .msgsize {
                    gsoSegmentLimit = min(gsoSegmentLimit, segmentSize - 1)
                } else {
                    gsoEnabled = false
                }
                relayout(from: Int(firstDatagram![next]), to: valid, context: context, datagram: datagram)
                next = 0
                continue
            }
            failure = error
            break
        }
        if sent > 0 { return .success(sent) }  // "never an error once one was sent"
        guard let failure, failure != .again, failure != .intr else { return .success(0) }
        return .failure(.error(SocketErrorCode(failure)))
    }
}
