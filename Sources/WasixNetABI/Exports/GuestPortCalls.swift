import CWasixNet
import WasixNet

// The 13 WASIX port calls on a guest's linear memory, parameters as guest offsets in the import's
// order. Every struct and list a call touches is bounds-checked before anything else is decided:
// out of bounds is EFAULT with nothing written.

/// Runs `body` with the port and the guest's memory; EFAULT / EINVAL for unusable descriptors.
@inline(__always)
private func withGuest(_ port: OpaquePointer?, _ guest: UnsafePointer<wasixnet_guest_t>?,
                       _ body: (Port, GuestMemory) -> WasixErrno) -> wasixnet_errno_t {
    PortHandle.with(port) { port in
        switch GuestMemory.from(guest) {
        case .failure(let error): error
        case .success(let memory): body(port, memory)
        }
    }
}

/// A list call's memory: the count cell (capacity in, count out), then the whole declared
/// buffer, `capacity` entries of `stride` bytes, both bounds-checked before anything is written.
@inline(__always)
private func withGuestList(_ memory: GuestMemory, entries: UInt64, count: UInt64, stride: Int,
                           _ body: (_ buffer: UnsafeMutableRawPointer, _ capacity: Int, _ storeCount: (Int) -> Void) -> WasixErrno)
    -> WasixErrno {
    guard let cell = memory.bytes(at: count, count: UInt64(memory.pointerSize)) else { return .fault }
    let capacity = memory.readCount(cell)
    guard let buffer = memory.bytes(at: entries, count: capacity, stride: stride) else { return .fault }
    return body(buffer, Int(capacity)) { memory.writeCount($0, to: cell) }
}

@c(wasixnet_guest_port_bridge)
public func wasixnetGuestPortBridge(_ port: OpaquePointer?, _ guest: UnsafePointer<wasixnet_guest_t>?, _ network: UInt64,
                                    _ networkLength: UInt64, _ token: UInt64, _ tokenLength: UInt64,
                                    _ security: UInt64) -> wasixnet_errno_t {
    withGuest(port, guest) { port, memory in
        guard let networkBytes = memory.bytes(at: network, count: networkLength),
              let tokenBytes = memory.bytes(at: token, count: tokenLength) else { return .fault }
        return PortCalls.bridge(port, network: networkBytes, networkLength: Int(networkLength), token: tokenBytes,
                                tokenLength: Int(tokenLength), security: security)
    }
}

@c(wasixnet_guest_port_unbridge)
public func wasixnetGuestPortUnbridge(_ port: OpaquePointer?, _ guest: UnsafePointer<wasixnet_guest_t>?) -> wasixnet_errno_t {
    withGuest(port, guest) { port, _ in port.unbridge() }
}

@c(wasixnet_guest_port_dhcp_acquire)
public func wasixnetGuestPortDhcpAcquire(_ port: OpaquePointer?, _ guest: UnsafePointer<wasixnet_guest_t>?) -> wasixnet_errno_t {
    withGuest(port, guest) { port, _ in port.dhcpAcquire() }
}

@c(wasixnet_guest_port_addr_add)
public func wasixnetGuestPortAddrAdd(_ port: OpaquePointer?, _ guest: UnsafePointer<wasixnet_guest_t>?,
                                     _ addr: UInt64) -> wasixnet_errno_t {
    withGuest(port, guest) { port, memory in
        guard let cidr = memory.bytes(at: addr, count: UInt64(memory.layout.cidrSize)) else { return .fault }
        return port.addAddress(memory.codec.readCIDR(cidr))
    }
}

@c(wasixnet_guest_port_addr_remove)
public func wasixnetGuestPortAddrRemove(_ port: OpaquePointer?, _ guest: UnsafePointer<wasixnet_guest_t>?,
                                        _ addr: UInt64) -> wasixnet_errno_t {
    withGuest(port, guest) { port, memory in
        guard let address = memory.bytes(at: addr, count: UInt64(memory.layout.addressSize)) else { return .fault }
        return port.removeAddress(memory.codec.readAddress(address))
    }
}

@c(wasixnet_guest_port_addr_clear)
public func wasixnetGuestPortAddrClear(_ port: OpaquePointer?, _ guest: UnsafePointer<wasixnet_guest_t>?) -> wasixnet_errno_t {
    withGuest(port, guest) { port, _ in port.clearAddresses() }
}

@c(wasixnet_guest_port_addr_list)
public func wasixnetGuestPortAddrList(_ port: OpaquePointer?, _ guest: UnsafePointer<wasixnet_guest_t>?,
                                      _ addrs: UInt64, _ naddrs: UInt64) -> wasixnet_errno_t {
    withGuest(port, guest) { port, memory in
        withGuestList(memory, entries: addrs, count: naddrs, stride: memory.layout.cidrSize) { buffer, capacity, storeCount in
            PortCalls.listAddresses(port, codec: memory.codec, into: buffer, capacity: capacity, storeCount: storeCount)
        }
    }
}

@c(wasixnet_guest_port_mac)
public func wasixnetGuestPortMac(_ port: OpaquePointer?, _ guest: UnsafePointer<wasixnet_guest_t>?,
                                 _ ret: UInt64) -> wasixnet_errno_t {
    withGuest(port, guest) { port, memory in
        guard let out = memory.bytes(at: ret, count: UInt64(WireCodec.macSize)) else { return .fault }
        WireCodec.writeMAC(port.mac, to: out)
        return .success
    }
}

@c(wasixnet_guest_port_gateway_set)
public func wasixnetGuestPortGatewaySet(_ port: OpaquePointer?, _ guest: UnsafePointer<wasixnet_guest_t>?,
                                        _ addr: UInt64) -> wasixnet_errno_t {
    withGuest(port, guest) { port, memory in
        guard let address = memory.bytes(at: addr, count: UInt64(memory.layout.addressSize)) else { return .fault }
        return port.setGateway(memory.codec.readAddress(address))
    }
}

@c(wasixnet_guest_port_route_add)
public func wasixnetGuestPortRouteAdd(_ port: OpaquePointer?, _ guest: UnsafePointer<wasixnet_guest_t>?, _ cidr: UInt64,
                                      _ viaRouter: UInt64, _ preferredUntil: UInt64, _ expiresAt: UInt64) -> wasixnet_errno_t {
    withGuest(port, guest) { port, memory in
        let layout = memory.layout, timestampSize = UInt64(WireCodec.timestampSize)
        guard let cidrBytes = memory.bytes(at: cidr, count: UInt64(layout.cidrSize)),
              let routerBytes = memory.bytes(at: viaRouter, count: UInt64(layout.addressSize)),
              let preferredBytes = memory.bytes(at: preferredUntil, count: timestampSize),
              let expiresBytes = memory.bytes(at: expiresAt, count: timestampSize) else { return .fault }
        let codec = memory.codec
        return port.addRoute(codec.readCIDR(cidrBytes), via: codec.readAddress(routerBytes),
                             preferredUntil: codec.readTimestamp(preferredBytes), expiresAt: codec.readTimestamp(expiresBytes))
    }
}

@c(wasixnet_guest_port_route_remove)
public func wasixnetGuestPortRouteRemove(_ port: OpaquePointer?, _ guest: UnsafePointer<wasixnet_guest_t>?,
                                         _ cidr: UInt64) -> wasixnet_errno_t {
    withGuest(port, guest) { port, memory in
        guard let address = memory.bytes(at: cidr, count: UInt64(memory.layout.addressSize)) else { return .fault }
        return port.removeRoutes(to: memory.codec.readAddress(address))
    }
}

@c(wasixnet_guest_port_route_clear)
public func wasixnetGuestPortRouteClear(_ port: OpaquePointer?, _ guest: UnsafePointer<wasixnet_guest_t>?) -> wasixnet_errno_t {
    withGuest(port, guest) { port, _ in port.clearRoutes() }
}

@c(wasixnet_guest_port_route_list)
public func wasixnetGuestPortRouteList(_ port: OpaquePointer?, _ guest: UnsafePointer<wasixnet_guest_t>?,
                                       _ routes: UInt64, _ nroutes: UInt64) -> wasixnet_errno_t {
    withGuest(port, guest) { port, memory in
        withGuestList(memory, entries: routes, count: nroutes, stride: memory.layout.routeSize) { buffer, capacity, storeCount in
            PortCalls.listRoutes(port, codec: memory.codec, into: buffer, capacity: capacity, storeCount: storeCount)
        }
    }
}
