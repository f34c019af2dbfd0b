import CWasixNetSystem

/// One datagram where it lies in the socket's staging area: valid only inside the call that
/// handed it out.
public struct DatagramView {
    public let bytes: UnsafeRawBufferPointer
    public let remote: IPSocketAddress
}

/// The datagrams one in-place receive hands out, in order, read straight from the staging
/// area the kernel filled: no copy before the caller's own. Each is whole: a 64 KiB staging slot
/// holds every UDP datagram, and a coalesced buffer too (the kernel caps it below that). A
/// caller that needs to know how many there are before it takes the first (a canonical-ABI list
/// is allocated whole, then filled) reads `count`; `next()` then gives each in turn. Valid only inside the closure it is
/// passed to; what the closure does not take is dropped with the call.
public struct ReceivedDatagrams {
    public let count: Int
    private let area: ReceiveStaging?
    private var handed = 0
    // The message being handed out: its datagrams left when it was started, how many of them
    // were handed out since, and the bytes they took.
    private var run: ReceiveStaging.Run?
    private var takenOfRun = 0
    private var bytesOfRun = 0

    init(area: ReceiveStaging?, count: Int) {
        self.area = area
        self.count = count
    }

    /// The next datagram, or nil after `count`.
    @inline(__always)
    public mutating func next() -> DatagramView? {
        guard handed < count, let area else { return nil }
        if run == nil || takenOfRun == run.unsafelyUnwrapped.segments {
            finishRun(area)
            run = area.currentRun()
        }
        let current = run.unsafelyUnwrapped
        let length = min(current.segmentSize, current.byteCount - bytesOfRun)
        let view = DatagramView(bytes: UnsafeRawBufferPointer(start: current.bytes + bytesOfRun, count: length),
                                remote: current.remote)
        takenOfRun += 1
        bytesOfRun += length
        handed += 1
        return view
    }

    /// Marks what was handed out of the current message consumed.
    private mutating func finishRun(_ area: ReceiveStaging) {
        if takenOfRun > 0 { area.consume(takenOfRun, byteCount: bytesOfRun) }
        run = nil
        takenOfRun = 0
        bytesOfRun = 0
    }

    /// Consumes all `count`, taken or not.
    mutating func finish() {
        while next() != nil {}
        if let area { finishRun(area) }
    }
}

extension Receiver {
    /// Hands out up to `count` (1...1024) datagrams in place through `handOut`: those pending
    /// first, else what one `recvmmsg` into a staging area brings, whether or not the kernel
    /// coalesces (without UDP_GRO each message is one datagram). Never more than one fill: the
    /// WIT lets receive return fewer than asked. With `peer`, other senders' messages are dropped
    /// (a coalesced buffer has one sender), so queued strangers need no separate pass. `handOut`
    /// runs also for 0 datagrams, but not when the kernel reported an error with none.
    func receiveInPlace(fd: Int32, count: Int, peer: IPSocketAddress?, readAhead: Bool,
                        handOut: (inout ReceivedDatagrams) -> Void) -> Result<Int, SocketFailure> {
        let area = stagingAreaForCall()
        var failure: SystemErrno?
        if area.pending == 0 { failure = fill(area, fd: fd, count: count, peer: peer, readAhead: readAhead) }
        let available = min(count, area.pending)
        if available > 0 || failure == nil {
            var datagrams = ReceivedDatagrams(area: area, count: available)
            handOut(&datagrams)
            datagrams.finish()
        }
        endCall(with: area)
        if available == 0, let failure { return .failure(.error(SocketErrorCode(failure))) }
        return .success(available)
    }

    /// One `recvmmsg` into `area` (again while every message came from a stranger, bounded);
    /// the kernel's error, or nil (EAGAIN and EINTR are no errors: nothing arrived).
    private func fill(_ area: ReceiveStaging, fd: Int32, count: Int, peer: IPSocketAddress?, readAhead: Bool) -> SystemErrno? {
        // Coalesced, as many messages as `receive` would read (Receiver.buffersToRead): what stays
        // pending is bounded the same way, and a caller that watches `pendingCount` is read ahead
        // for. Without UDP_GRO each message is one datagram.
        let wanted = coalesces ? buffersToRead(room: count, handedSoFar: 0, readAhead: readAhead)
                               : min(ReceiveStaging.slots, count)
        var discards = 0
        while discards < Self.maxDiscards {
            let result = fillStaging(area, fd: fd, wanted: wanted, peer: peer, discards: &discards)
            guard let filled = result.count else {
                let error = result.error!
                return error == .again || error == .intr ? nil : error
            }
            if area.pending > 0 || filled < wanted { return nil }
        }
        return nil
    }
}
