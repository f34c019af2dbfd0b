#if canImport(Glibc)
import Glibc
#endif
import CWasixNet
import Testing
@testable import WasixNet

/// Every rule of wasixnet.h §6 ([udp.states], [udp.send], [udp.errors], [udp.receive],
/// [udp.options]) broken on purpose, with its exact error, for both families.
/// Loopback only.
@Suite struct UDPRuleTests {
    static let families: [IPAddress.Family] = [.v4, .v6]

    @Test func statusNamesFollowTheErrorCodeList() {
        #expect(String(cString: wasixnet_sock_status_name(0)) == "ok")
        #expect(String(cString: wasixnet_sock_status_name(-1)) == "trap")
        for code in SocketErrorCode.allCases {
            #expect(String(cString: wasixnet_sock_status_name(Int32(code.rawValue) + 1)) == code.description)
        }
        for unknown: Int32 in [22, 23, -2, Int32.min, Int32.max] {
            #expect(String(cString: wasixnet_sock_status_name(unknown)) == "unknown-status")
        }
        #expect(SocketErrorCode.allCases.count == Int(WASIXNET_SOCK_ERROR_COUNT))
        #expect(Int(SocketErrorCode.datagramTooLarge.rawValue) + 1 == WASIXNET_SOCK_E_DATAGRAM_TOO_LARGE)
        #expect(Int(SocketErrorCode.permanentResolverFailure.rawValue) + 1 == WASIXNET_SOCK_E_PERMANENT_RESOLVER_FAILURE)
    }

    @Test(arguments: families) func statesAndTheirErrors(family: IPAddress.Family) throws {
        let socket = try #require(UDPSocket.create(family: family).value)
        // unbound
        #expect(socket.finishBind().failure == .notInProgress)
        #expect(socket.stream(.none).failure == .invalidState)
        #expect(socket.checkSend().failure == .invalidState)
        #expect(Batch().send(on: socket, check: false).failure == .error(.invalidState))
        #expect(socket.receive(maxResults: 1, buffer: { _ in ReceiveBuffer(base: nil, capacity: 0) }, store: { _, _ in }).failure
            == .error(.invalidState))
        #expect(socket.localAddress().failure == .invalidState)
        #expect(socket.remoteAddress().failure == .invalidState)
        // bind started
        #expect(socket.startBind(.some(loopback(family))).failure == nil)
        #expect(socket.startBind(.some(loopback(family))).failure == .invalidState)
        #expect(socket.localAddress().failure == .invalidState)
        #expect(socket.stream(.none).failure == .invalidState)
        #expect(socket.finishBind().failure == nil)
        // bound
        #expect(socket.finishBind().failure == .notInProgress)
        #expect(socket.startBind(.some(loopback(family))).failure == .invalidState)
        #expect(socket.checkSend().failure == .invalidState)
        let local = try #require(socket.localAddress().value)
        #expect(local.ip == loopback(family).ip && local.port != 0)
        #expect(socket.remoteAddress().failure == .invalidState)
        // streaming without a peer
        #expect(socket.stream(.none).failure == nil)
        #expect(socket.remoteAddress().failure == .invalidState)
        #expect(socket.checkSend().value == UDPSocket.maxPermits)
        #expect(socket.startBind(.some(loopback(family))).failure == .invalidState)
        #expect(socket.finishBind().failure == .notInProgress)
    }

    @Test(arguments: families) func bindErrors(family: IPAddress.Family) throws {
        let wrongFamily = try #require(UDPSocket.create(family: family).value)
        #expect(wrongFamily.startBind(.some(loopback(otherFamily(family)))).failure == .invalidArgument)
        #expect(wrongFamily.startBind(.malformed).failure == .invalidArgument)
        #expect(wrongFamily.startBind(.none).failure == .invalidArgument)
        if family == .v6 {
            #expect(wrongFamily.startBind(.some(mappedLoopback(port: 0))).failure == .invalidArgument)
        }
        // Nothing changed: the socket still binds.
        #expect(wrongFamily.startBind(.some(loopback(family))).failure == nil)

        let notLocal = try #require(UDPSocket.create(family: family).value)
        #expect(notLocal.startBind(.some(documentationAddress(family, port: 0))).failure == .addressNotBindable)

        let first = try boundSocket(family)
        let taken = try #require(UDPSocket.create(family: family).value)
        #expect(taken.startBind(.some(first.local)).failure == .addressInUse)
    }

    @Test(arguments: families) func streamErrors(family: IPAddress.Family) throws {
        let socket = try boundSocket(family)
        let peer = try boundSocket(family)
        var unspecified = peer.local
        unspecified.ip = IPAddress(family: family, bits: 0)
        var portZero = peer.local
        portZero.port = 0
        #expect(socket.stream(.some(unspecified)).failure == .invalidArgument)
        #expect(socket.stream(.some(portZero)).failure == .invalidArgument)
        #expect(socket.stream(.some(loopback(otherFamily(family), port: 9))).failure == .invalidArgument)
        #expect(socket.stream(.malformed).failure == .invalidArgument)
        if family == .v6 {
            #expect(socket.stream(.some(mappedLoopback(port: 9))).failure == .invalidArgument)
        }
        #expect(socket.phase == .bound)
        #expect(socket.stream(.some(peer.local)).failure == nil)
        #expect(socket.remoteAddress().value == peer.local)
        // Each stream starts fresh: the grant of the previous streams is gone.
        #expect(socket.checkSend().value == UDPSocket.maxPermits)
        #expect(socket.stream(.some(peer.local)).failure == nil)
        #expect(Batch([([1], .none)]).send(on: socket, check: false).failure == .trap)
    }

    @Test(arguments: families) func localAddressSurvivesStreamChanges(family: IPAddress.Family) throws {
        let socket = try boundSocket(family)
        let peer = try boundSocket(family)
        let bound = socket.local
        #expect(socket.stream(.some(peer.local)).failure == nil)
        #expect(socket.local == bound)
        #expect(socket.stream(.none).failure == nil)
        #expect(socket.local == bound)
        // …and datagrams still arrive at it.
        let sender = try streamingSocket(family)
        #expect(Batch([([7, 7], .some(bound))]).send(on: sender).value == 1)
        #expect(receive(socket, count: 1).map(\.bytes) == [[7, 7]])
    }

    @Test(arguments: families) func permits(family: IPAddress.Family) throws {
        let receiver = try streamingSocket(family)
        let socket = try streamingSocket(family)
        let one = Batch([([1, 2, 3], .some(receiver.local))])
        // No check-send since the last send: trap, and nothing changed.
        #expect(one.send(on: socket, check: false).failure == .trap)
        #expect(socket.phase == .streaming)
        // An empty send needs no grant, and uses the grant up.
        #expect(Batch().send(on: socket, check: false).value == 0)
        #expect(socket.checkSend().value == 1024)
        #expect(Batch().send(on: socket, check: false).value == 0)
        #expect(one.send(on: socket, check: false).failure == .trap)
        // More than granted: trap.
        var many = Batch()
        for index in 0..<1025 { many.append([UInt8(index & 0xff)], to: .some(receiver.local)) }
        #expect(socket.checkSend().value == 1024)
        #expect(many.send(on: socket, check: false).failure == .trap)
        // The trap did not use the grant: exactly the grant may still be sent.
        #expect(many.send(on: socket, 0..<1024, check: false).value == 1024)
        // One send per grant.
        #expect(socket.checkSend().value == 1024)
        #expect(one.send(on: socket, check: false).value == 1)
        #expect(one.send(on: socket, check: false).failure == .trap)
    }

    @Test(arguments: families) func firstInvalidDatagramEndsTheBatch(family: IPAddress.Family) throws {
        let receiver = try streamingSocket(family)
        let socket = try streamingSocket(family)
        let to = RemoteAddress.some(receiver.local)
        var unspecified = receiver.local
        unspecified.ip = IPAddress(family: family, bits: 0)
        var portZero = receiver.local
        portZero.port = 0
        let invalid: [(RemoteAddress, Int, SocketErrorCode)] = [
            (to, 65536, .datagramTooLarge),
            (.some(loopback(otherFamily(family), port: 9)), 1, .invalidArgument),
            (.some(unspecified), 1, .invalidArgument),
            (.some(portZero), 1, .invalidArgument),
            (.none, 1, .invalidArgument),  // unconnected with no address
            (.malformed, 1, .invalidArgument),
        ] + (family == .v6 ? [(.some(mappedLoopback(port: receiver.local.port)), 1, .invalidArgument)] : [])
        for (remote, length, error) in invalid {
            // At index 0: its error, nothing sent.
            let alone = Batch([(payload(0, length: length), remote), ([9], to)])
            #expect(alone.send(on: socket).failure == .error(error), "\(remote) \(length)")
            // At index 2: the first two are sent, OK with 2.
            let later = Batch([([1], to), ([2], to), (payload(0, length: length), remote), ([4], to)])
            #expect(later.send(on: socket).value == 2, "\(remote) \(length)")
        }
        let arrivals = receive(receiver)
        #expect(arrivals.map(\.bytes) == Array(repeating: [[1], [2]], count: invalid.count).flatMap { $0 })
        // 65535 bytes passes validation; the kernel's limit then decides (EMSGSIZE ↦ datagram-too-large).
        let largest = Batch([(payload(1, length: 65535), to)])
        #expect(largest.send(on: socket).failure == .error(.datagramTooLarge))
        // NULL data with a length is invalid; with length 0 it is an empty datagram.
        _ = socket.checkSend()
        #expect(socket.send(count: 1) { _ in OutgoingDatagram(data: nil, length: 3, remote: to) }.failure == .error(.invalidArgument))
        _ = socket.checkSend()
        #expect(socket.send(count: 1) { _ in OutgoingDatagram(data: nil, length: 0, remote: to) }.value == 1)
        #expect(receive(receiver, count: 1).map(\.bytes) == [[]])
    }

    @Test(arguments: families) func connectedMode(family: IPAddress.Family) throws {
        let receiver = try streamingSocket(family)
        let other = try streamingSocket(family)
        var peer = receiver.local
        if family == .v6 { peer.flowInfo = 0x12345 }
        let socket = try streamingSocket(family, to: peer)
        #expect(socket.remoteAddress().value == peer)  // every field as given
        #expect(Batch([([1], .none), ([2], .some(peer))]).send(on: socket).value == 2)
        var differentPort = peer
        differentPort.port = other.local.port
        var cases: [IPSocketAddress] = [differentPort]
        if family == .v6 {
            var flow = peer
            flow.flowInfo = 0
            var scope = peer
            scope.scopeID = 1
            cases += [flow, scope]
        } else {
            var address = peer
            address.ip = IPAddress(v4: 0x7f00_0002)
            cases.append(address)
        }
        for different in cases {
            #expect(Batch([([3], .some(different))]).send(on: socket).failure == .error(.invalidArgument), "\(different)")
            #expect(Batch([([3], .none), ([4], .some(different))]).send(on: socket).value == 1)
        }
        #expect(receive(receiver).map(\.bytes) == [[1], [2]] + Array(repeating: [3], count: cases.count))
        #expect(receive(other).isEmpty)
        // Disconnected again: an address is required.
        #expect(socket.stream(.none).failure == nil)
        #expect(Batch([([5], .none)]).send(on: socket).failure == .error(.invalidArgument))
    }

    @Test(arguments: families) func receiveFiltersOtherPeersOnceConnected(family: IPAddress.Family) throws {
        let socket = try streamingSocket(family)
        let peer = try streamingSocket(family)
        let stranger = try streamingSocket(family)
        let to = RemoteAddress.some(socket.local)
        // Queued before stream: two from the stranger, two from the peer, interleaved.
        #expect(Batch([([0xa1], to)]).send(on: stranger).value == 1)
        #expect(Batch([([0xb1], to)]).send(on: peer).value == 1)
        #expect(Batch([([0xa2], to)]).send(on: stranger).value == 1)
        #expect(Batch([([0xb2], to)]).send(on: peer).value == 1)
        #expect(socket.stream(.some(peer.local)).failure == nil)
        #expect(Batch([([0xa3], to)]).send(on: stranger).value == 1)
        #expect(Batch([([0xb3], to)]).send(on: peer).value == 1)
        let arrivals = receive(socket)
        #expect(arrivals.map(\.bytes) == [[0xb1], [0xb2], [0xb3]])
        #expect(arrivals.allSatisfy { $0.remote == peer.local })
        // Once the backlog is gone, the batch path is used again.
        #expect(Batch([([0xb4], to), ([0xb5], to)]).send(on: peer).value == 2)
        #expect(receive(socket, count: 2).map(\.bytes) == [[0xb4], [0xb5]])
    }

    @Test(arguments: families) func zeroLengthAndTruncatedDatagrams(family: IPAddress.Family) throws {
        let receiver = try streamingSocket(family)
        let socket = try streamingSocket(family)
        let to = RemoteAddress.some(receiver.local)
        #expect(Batch([([], to), ([], to), (payload(1, length: 5), to), ([], to)]).send(on: socket).value == 4)
        let arrivals = receive(receiver, count: 4)
        #expect(arrivals.map(\.bytes.count) == [0, 0, 5, 0])
        #expect(arrivals.allSatisfy { !$0.truncated && $0.remote == socket.local })
        #expect(Batch([(payload(2, length: 10), to)]).send(on: socket).value == 1)
        let truncated = receive(receiver, count: 1, capacity: 3)
        #expect(truncated == [Arrival(bytes: Array(payload(2, length: 10)[0..<3]), truncated: true, remote: socket.local)])
        // receive(0) and an empty queue: OK with nothing.
        #expect(receiver.receive(maxResults: 0, buffer: { _ in ReceiveBuffer(base: nil, capacity: 0) }, store: { _, _ in }).value == 0)
        #expect(receiver.receive(maxResults: 8, buffer: { _ in ReceiveBuffer(base: nil, capacity: 0) }, store: { _, _ in }).value == 0)
    }

    @Test(arguments: families) func routesAreEnforcedAtSend(family: IPAddress.Family) throws {
        let receiver = try streamingSocket(family)
        let routed = family == .v4 ? routedPort([(IPAddress(v4: 0x7f00_0001), 32)]) : routedPort([(IPAddress(v6: 1), 128)])
        let socket = try streamingSocket(family, port: routed)
        let to = RemoteAddress.some(receiver.local)
        let nowhere = RemoteAddress.some(documentationAddress(family))
        #expect(Batch([([1], nowhere)]).send(on: socket).failure == .error(.remoteUnreachable))
        #expect(Batch([([2], to), ([3], to), ([4], nowhere), ([5], to)]).send(on: socket).value == 2)
        if family == .v4 {
            // 127.0.0.2 is loopback to the kernel, but the port has no route to it.
            var sibling = receiver.local
            sibling.ip = IPAddress(v4: 0x7f00_0002)
            #expect(Batch([([6], .some(sibling))]).send(on: socket).failure == .error(.remoteUnreachable))
        }
        // Connected to where no route of the port leads: stream succeeds, send does not.
        var unrouted = documentationAddress(family)
        if family == .v4 { unrouted.ip = IPAddress(v4: 0x7f00_0002) }  // a loopback-bound socket connects only to loopback
        let connected = try streamingSocket(family, to: unrouted, port: routed)
        #expect(Batch([([7], .none)]).send(on: connected).failure == .error(.remoteUnreachable))
        // Without enforcement the same port's routes do not matter.
        let free = try streamingSocket(family, port: Port())
        #expect(Batch([([8], to)]).send(on: free).value == 1)
        #expect(receive(receiver).map(\.bytes) == [[2], [3], [8]])
    }

    @Test(arguments: families) func options(family: IPAddress.Family) throws {
        let socket = try #require(UDPSocket.create(family: family).value)
        #expect(socket.setUnicastHopLimit(0).failure == .invalidArgument)
        #expect(socket.setUnicastHopLimit(7).failure == nil)
        #expect(socket.unicastHopLimit().value == 7)
        for buffer in [UDPSocket.Buffer.receive, .send] {
            #expect(socket.setBufferSize(buffer, 0).failure == .invalidArgument)
            #expect(socket.setBufferSize(buffer, 65536).failure == nil)
            #expect(socket.bufferSize(buffer).value == 65536)
            #expect(socket.setBufferSize(buffer, UInt64.max).failure == nil)  // clamped, not an error
            #expect((socket.bufferSize(buffer).value ?? 0) > 65536)
        }
        #expect(socket.family == family)
    }

    /// The kernel's errno on the first datagram, mapped; a partial send drops the error.
    @Test(arguments: families) func kernelErrorsAreMapped(family: IPAddress.Family) throws {
        let receiver = try streamingSocket(family)
        let socket = try streamingSocket(family)
        let batch = Batch([([1], .some(receiver.local)), ([22, 22], .some(receiver.local))])
        let table: [(Int32, SocketErrorCode?)] = [
            (EAGAIN, nil), (EMSGSIZE, .datagramTooLarge), (ECONNREFUSED, .connectionRefused),
            (ECONNRESET, .remoteUnreachable), (EHOSTUNREACH, .remoteUnreachable), (EHOSTDOWN, .remoteUnreachable),
            (ENETUNREACH, .remoteUnreachable), (ENETDOWN, .remoteUnreachable), (ENONET, .remoteUnreachable),
            (ENOMEM, .outOfMemory), (ENOBUFS, .outOfMemory), (EACCES, .accessDenied), (EPERM, .accessDenied),
        ]
        for (errno, expected) in table {
            let result = withFaultHook(on: socket, { _, _, _ in .error(SystemErrno(rawValue: errno)) }) { batch.send(on: socket) }
            if let expected {
                #expect(result.failure == .error(expected), "errno \(errno)")
            } else {
                #expect(result.value == 0, "EAGAIN is OK with 0")
            }
            // receive maps the same way
            let received = withFaultHook(on: receiver, { _, _, _ in .error(SystemErrno(rawValue: errno)) }) {
                receiver.receive(maxResults: 4, buffer: { _ in ReceiveBuffer(base: nil, capacity: 0) }, store: { _, _ in })
            }
            if let expected {
                #expect(received.failure == .error(expected), "receive errno \(errno)")
            } else {
                #expect(received.value == 0)
            }
        }
        #expect(receive(receiver).isEmpty)
        // Once one was sent, a later error is dropped: a short count, then ECONNREFUSED.
        let calls = Counter()
        let partial = withFaultHook(on: socket, { _, _, _ in calls.next() == 1 ? .limit(1) : .error(.connrefused) }) {
            batch.send(on: socket)
        }
        #expect(partial.value == 1)
        // EINTR is retried.
        let interrupted = Counter()
        let retried = withFaultHook(on: socket, { _, _, _ in interrupted.next() <= 2 ? .error(.intr) : nil }) {
            batch.send(on: socket)
        }
        #expect(retried.value == 2)
        #expect(receive(receiver).map(\.bytes) == [[1], [1], [22, 22]])
    }

    /// The kernel's own ECONNREFUSED (an ICMP port unreachable on loopback) reaches a connected
    /// socket's send or receive once; which call sees it is the kernel's choice.
    @Test(arguments: families) func realConnectionRefused(family: IPAddress.Family) throws {
        let address = try { try boundSocket(family).local }()  // bound, then closed: nobody listens there
        let socket = try streamingSocket(family, to: address)
        var seen: [SocketErrorCode] = []
        for _ in 0..<10 where seen.isEmpty {
            if let failure = Batch([([1], .none)]).send(on: socket).failure, case .error(let code) = failure { seen.append(code) }
            if let failure = socket.receive(maxResults: 1, buffer: { _ in ReceiveBuffer(base: nil, capacity: 0) },
                                            store: { _, _ in }).failure, case .error(let code) = failure { seen.append(code) }
        }
        #expect(seen.first == .connectionRefused)
    }
}
