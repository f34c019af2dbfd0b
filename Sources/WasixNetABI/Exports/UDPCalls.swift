import CWasixNet
import WasixNet

// wasi:sockets/udp (wasixnet.h §6 [udp]): decode the C arguments, call the core's UDPSocket, encode the
// answer. A NULL socket or required pointer is INVALID_ARGUMENT before anything else.

private let invalidArgument = SocketStatus.of(.invalidArgument)

@c(wasixnet_udp_create)
public func wasixnetUdpCreate(_ port: OpaquePointer?, _ family: UInt8,
                              _ out: UnsafeMutablePointer<OpaquePointer?>?) -> wasixnet_sock_status_t {
    guard let out, family <= 1 else { return invalidArgument }
    let owner = port.map { Unmanaged<Port>.fromOpaque(UnsafeRawPointer($0)).takeUnretainedValue() }
    return SocketStatus.of(UDPSocket.create(family: family == 0 ? .v4 : .v6, port: owner)) {
        out.pointee = UDPSocketHandle.make($0)
    }
}

@c(wasixnet_udp_free)
public func wasixnetUdpFree(_ socket: OpaquePointer?) {
    if let socket { UDPSocketHandle.release(socket) }
}

@c(wasixnet_udp_start_bind)
public func wasixnetUdpStartBind(_ socket: OpaquePointer?, _ local: UnsafePointer<wasixnet_ip_socket_address_t>?) -> wasixnet_sock_status_t {
    UDPSocketHandle.with(socket) { socket in
        guard let local else { return invalidArgument }
        return SocketStatus.of(socket.startBind(SocketAddressCodec.read(local)))
    }
}

@c(wasixnet_udp_finish_bind)
public func wasixnetUdpFinishBind(_ socket: OpaquePointer?) -> wasixnet_sock_status_t {
    UDPSocketHandle.with(socket) { SocketStatus.of($0.finishBind()) }
}

@c(wasixnet_udp_stream)
public func wasixnetUdpStream(_ socket: OpaquePointer?, _ remote: UnsafePointer<wasixnet_ip_socket_address_t>?) -> wasixnet_sock_status_t {
    UDPSocketHandle.with(socket) { socket in
        SocketStatus.of(socket.stream(remote.map { SocketAddressCodec.read($0) } ?? .none))
    }
}

@c(wasixnet_udp_local_address)
public func wasixnetUdpLocalAddress(_ socket: OpaquePointer?,
                                    _ out: UnsafeMutablePointer<wasixnet_ip_socket_address_t>?) -> wasixnet_sock_status_t {
    UDPSocketHandle.with(socket) { socket in
        guard let out else { return invalidArgument }
        return SocketStatus.of(socket.localAddress()) { SocketAddressCodec.write($0, to: out) }
    }
}

@c(wasixnet_udp_remote_address)
public func wasixnetUdpRemoteAddress(_ socket: OpaquePointer?,
                                     _ out: UnsafeMutablePointer<wasixnet_ip_socket_address_t>?) -> wasixnet_sock_status_t {
    UDPSocketHandle.with(socket) { socket in
        guard let out else { return invalidArgument }
        return SocketStatus.of(socket.remoteAddress()) { SocketAddressCodec.write($0, to: out) }
    }
}

@c(wasixnet_udp_address_family)
public func wasixnetUdpAddressFamily(_ socket: OpaquePointer?) -> UInt8 {
    guard let socket else { return 255 }
    return Unmanaged<UDPSocket>.fromOpaque(UnsafeRawPointer(socket))._withUnsafeGuaranteedRef { $0.family == .v4 ? 0 : 1 }
}

@c(wasixnet_udp_unicast_hop_limit)
public func wasixnetUdpUnicastHopLimit(_ socket: OpaquePointer?, _ out: UnsafeMutablePointer<UInt8>?) -> wasixnet_sock_status_t {
    UDPSocketHandle.with(socket) { socket in
        guard let out else { return invalidArgument }
        return SocketStatus.of(socket.unicastHopLimit()) { out.pointee = $0 }
    }
}

@c(wasixnet_udp_set_unicast_hop_limit)
public func wasixnetUdpSetUnicastHopLimit(_ socket: OpaquePointer?, _ value: UInt8) -> wasixnet_sock_status_t {
    UDPSocketHandle.with(socket) { SocketStatus.of($0.setUnicastHopLimit(value)) }
}

@c(wasixnet_udp_receive_buffer_size)
public func wasixnetUdpReceiveBufferSize(_ socket: OpaquePointer?, _ out: UnsafeMutablePointer<UInt64>?) -> wasixnet_sock_status_t {
    UDPSocketHandle.with(socket) { socket in
        guard let out else { return invalidArgument }
        return SocketStatus.of(socket.bufferSize(.receive)) { out.pointee = $0 }
    }
}

@c(wasixnet_udp_set_receive_buffer_size)
public func wasixnetUdpSetReceiveBufferSize(_ socket: OpaquePointer?, _ value: UInt64) -> wasixnet_sock_status_t {
    UDPSocketHandle.with(socket) { SocketStatus.of($0.setBufferSize(.receive, value)) }
}

@c(wasixnet_udp_send_buffer_size)
public func wasixnetUdpSendBufferSize(_ socket: OpaquePointer?, _ out: UnsafeMutablePointer<UInt64>?) -> wasixnet_sock_status_t {
    UDPSocketHandle.with(socket) { socket in
        guard let out else { return invalidArgument }
        return SocketStatus.of(socket.bufferSize(.send)) { out.pointee = $0 }
    }
}

@c(wasixnet_udp_set_send_buffer_size)
public func wasixnetUdpSetSendBufferSize(_ socket: OpaquePointer?, _ value: UInt64) -> wasixnet_sock_status_t {
    UDPSocketHandle.with(socket) { SocketStatus.of($0.setBufferSize(.send, value)) }
}

@c(wasixnet_udp_fd)
public func wasixnetUdpFd(_ socket: OpaquePointer?) -> Int32 {
    guard let socket else { return -1 }
    return Unmanaged<UDPSocket>.fromOpaque(UnsafeRawPointer(socket))._withUnsafeGuaranteedRef { $0.fd }
}

@c(wasixnet_udp_check_send)
public func wasixnetUdpCheckSend(_ socket: OpaquePointer?, _ permits: UnsafeMutablePointer<UInt64>?) -> wasixnet_sock_status_t {
    UDPSocketHandle.with(socket) { socket in
        guard let permits else { return invalidArgument }
        return SocketStatus.of(socket.checkSend()) { permits.pointee = UInt64($0) }
    }
}

@c(wasixnet_udp_send)
public func wasixnetUdpSend(_ socket: OpaquePointer?, _ datagrams: UnsafePointer<wasixnet_outgoing_datagram_t>?,
                            _ count: UInt, _ sent: UnsafeMutablePointer<UInt64>?) -> wasixnet_sock_status_t {
    UDPSocketHandle.with(socket) { socket in
        guard let sent, datagrams != nil || count == 0 else { return invalidArgument }
        // A count beyond any grant traps in the core; Int(clamping:) keeps it beyond.
        let result = socket.send(count: Int(clamping: count)) { index in
            let datagram = datagrams.unsafelyUnwrapped[index]
            let data = UnsafeRawPointer(datagram.data), length = Int(clamping: UInt(bitPattern: datagram.len))
            // The same struct as the datagram before: no need to decode and compare it again
            // (wasixnet.h [udp.send]).
            if index > 0, let remote = datagram.remote_address, remote == datagrams.unsafelyUnwrapped[index - 1].remote_address {
                return OutgoingDatagram(data: data, length: length, remoteOfPrevious: ())
            }
            return OutgoingDatagram(data: data, length: length, remote: datagram.remote_address.map { SocketAddressCodec.read($0) } ?? .none)
        }
        switch result {
        case .success(let count):
            sent.pointee = UInt64(count)
            return SocketStatus.ok
        case .failure(let failure):
            return SocketStatus.of(failure)
        }
    }
}

@c(wasixnet_udp_receive)
public func wasixnetUdpReceive(_ socket: OpaquePointer?, _ out: UnsafeMutablePointer<wasixnet_incoming_datagram_t>?,
                               _ maxResults: UInt, _ received: UnsafeMutablePointer<UInt>?) -> wasixnet_sock_status_t {
    UDPSocketHandle.with(socket) { socket in
        guard let received, out != nil || maxResults == 0 else { return invalidArgument }
        let result = socket.receive(maxResults: Int(clamping: maxResults)) { index in
            let slot = out.unsafelyUnwrapped[index]
            return ReceiveBuffer(base: UnsafeMutableRawPointer(slot.data), capacity: Int(clamping: UInt(bitPattern: slot.capacity)))
        } store: { index, datagram in
            let slot = out.unsafelyUnwrapped + index
            slot.pointee.len = datagram.length
            slot.pointee.truncated = datagram.truncated ? 1 : 0
            withUnsafeMutablePointer(to: &slot.pointee.remote_address) { SocketAddressCodec.write(datagram.remote, to: $0) }
        }
        switch result {
        case .success(let count):
            received.pointee = UInt(count)
            return SocketStatus.ok
        case .failure(let failure):
            return SocketStatus.of(failure)
        }
    }
}

@c(wasixnet_guest_udp_send)
public func wasixnetGuestUdpSend(_ socket: OpaquePointer?, _ guest: UnsafePointer<wasixnet_guest_t>?, _ listPointer: UInt64,
                                 _ listLength: UInt64, _ sent: UnsafeMutablePointer<UInt64>?) -> wasixnet_sock_status_t {
    UDPSocketHandle.with(socket) { socket in
        guard let guest, let sent else { return invalidArgument }
        guard guest.pointee.pointer_size != 8 else { return SocketStatus.of(.notSupported) }
        guard guest.pointee.pointer_size == 4 else { return invalidArgument }
        // The bounds checks of GuestMemory; the layout of port structs plays no part here.
        var descriptor = guest.pointee
        descriptor.layout = UInt8(WASIXNET_LAYOUT_WASIX_V1)
        guard case .success(let memory) = GuestMemory.from(&descriptor) else { return invalidArgument }
        guard let list = GuestDatagramList(memory: memory, offset: listPointer, count: listLength) else { return SocketStatus.trap }
        switch socket.send(count: list.count, datagram: list.datagram) {
        case .success(let count):
            sent.pointee = UInt64(count)
            return SocketStatus.ok
        case .failure(let failure):
            return SocketStatus.of(failure)
        }
    }
}

@c(wasixnet_udp_pending)
public func wasixnetUdpPending(_ socket: OpaquePointer?) -> UInt {
    guard let socket else { return 0 }
    return Unmanaged<UDPSocket>.fromOpaque(UnsafeRawPointer(socket))._withUnsafeGuaranteedRef { UInt($0.pendingCount) }
}

@c(wasixnet_guest_udp_receive)
public func wasixnetGuestUdpReceive(_ socket: OpaquePointer?, _ guest: UnsafeMutablePointer<wasixnet_guest_t>?,
                                    _ maxResults: UInt64, _ realloc: wasixnet_guest_realloc_t?,
                                    _ reallocContext: UnsafeMutableRawPointer?, _ resultPointer: UInt64) -> wasixnet_sock_status_t {
    UDPSocketHandle.with(socket) { socket in
        guard let guest, let realloc else { return invalidArgument }
        guard guest.pointee.pointer_size != 8 else { return SocketStatus.of(.notSupported) }
        guard guest.pointee.pointer_size == 4, guest.pointee.memory != nil || guest.pointee.memory_size == 0 else {
            return invalidArgument
        }
        // The return pointer is checked before anything is received (wasixnet.h [udp.guest-receive]).
        guard let result = GuestReceiveResult(guest: guest, resultPointer: resultPointer, realloc: realloc,
                                              reallocContext: reallocContext) else { return SocketStatus.trap }
        var lowered = true
        switch socket.receiveInPlace(maxResults: Int(clamping: maxResults), handOut: { lowered = result.storeList(&$0) }) {
        case .success:
            return lowered ? SocketStatus.ok : SocketStatus.trap
        case .failure(.error(let code)):
            return result.storeError(code) ? SocketStatus.ok : SocketStatus.trap
        case .failure(.trap):
            return SocketStatus.trap
        }
    }
}
