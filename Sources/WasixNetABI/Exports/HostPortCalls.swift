import CWasixNet
import WasixNet

// The 13 WASIX port calls and route_lookup on host structs (the WASIX_V1 layout in host memory).
// Every required pointer that is NULL answers EFAULT before anything else is looked at.

@c(wasixnet_port_bridge)
public func wasixnetPortBridge(_ port: OpaquePointer?, _ network: UnsafePointer<CChar>?, _ networkLength: UInt,
                               _ token: UnsafePointer<CChar>?, _ tokenLength: UInt, _ security: UInt8) -> wasixnet_errno_t {
    PortHandle.with(port) { port in
        guard let network, let token, networkLength <= UInt(Int.max), tokenLength <= UInt(Int.max) else { return .fault }
        return PortCalls.bridge(port, network: network, networkLength: Int(networkLength), token: token,
                                tokenLength: Int(tokenLength), security: UInt64(security))
    }
}

@c(wasixnet_port_unbridge)
public func wasixnetPortUnbridge(_ port: OpaquePointer?) -> wasixnet_errno_t {
    PortHandle.with(port) { $0.unbridge() }
}

@c(wasixnet_port_dhcp_acquire)
public func wasixnetPortDhcpAcquire(_ port: OpaquePointer?) -> wasixnet_errno_t {
    PortHandle.with(port) { $0.dhcpAcquire() }
}

@c(wasixnet_port_addr_add)
public func wasixnetPortAddrAdd(_ port: OpaquePointer?, _ addr: UnsafePointer<wasixnet_addr_cidr_t>?) -> wasixnet_errno_t {
    PortHandle.with(port) { port in
        guard let addr else { return .fault }
        return port.addAddress(PortCalls.host.readCIDR(addr))
    }
}

@c(wasixnet_port_addr_remove)
public func wasixnetPortAddrRemove(_ port: OpaquePointer?, _ addr: UnsafePointer<wasixnet_addr_t>?) -> wasixnet_errno_t {
    PortHandle.with(port) { port in
        guard let addr else { return .fault }
        return port.removeAddress(PortCalls.host.readAddress(addr))
    }
}

@c(wasixnet_port_addr_clear)
public func wasixnetPortAddrClear(_ port: OpaquePointer?) -> wasixnet_errno_t {
    PortHandle.with(port) { $0.clearAddresses() }
}

@c(wasixnet_port_addr_list)
public func wasixnetPortAddrList(_ port: OpaquePointer?, _ addrs: UnsafeMutablePointer<wasixnet_addr_cidr_t>?,
                                 _ naddrs: UnsafeMutablePointer<UInt32>?) -> wasixnet_errno_t {
    PortHandle.with(port) { port in
        guard let addrs, let naddrs else { return .fault }
        return PortCalls.listAddresses(port, codec: PortCalls.host, into: UnsafeMutableRawPointer(addrs),
                                       capacity: Int(naddrs.pointee)) { naddrs.pointee = UInt32(truncatingIfNeeded: $0) }
    }
}

@c(wasixnet_port_mac)
public func wasixnetPortMac(_ port: OpaquePointer?, _ out: UnsafeMutablePointer<wasixnet_hardware_address_t>?) -> wasixnet_errno_t {
    PortHandle.with(port) { port in
        guard let out else { return .fault }
        WireCodec.writeMAC(port.mac, to: UnsafeMutableRawPointer(out))
        return .success
    }
}

@c(wasixnet_port_gateway_set)
public func wasixnetPortGatewaySet(_ port: OpaquePointer?, _ addr: UnsafePointer<wasixnet_addr_t>?) -> wasixnet_errno_t {
    PortHandle.with(port) { port in
        guard let addr else { return .fault }
        return port.setGateway(PortCalls.host.readAddress(addr))
    }
}

@c(wasixnet_port_route_add)
public func wasixnetPortRouteAdd(_ port: OpaquePointer?, _ cidr: UnsafePointer<wasixnet_addr_cidr_t>?,
                                 _ viaRouter: UnsafePointer<wasixnet_addr_t>?,
                                 _ preferredUntil: UnsafePointer<wasixnet_option_timestamp_t>?,
                                 _ expiresAt: UnsafePointer<wasixnet_option_timestamp_t>?) -> wasixnet_errno_t {
    PortHandle.with(port) { port in
        guard let cidr, let viaRouter, let preferredUntil, let expiresAt else { return .fault }
        let codec = PortCalls.host
        return port.addRoute(codec.readCIDR(cidr), via: codec.readAddress(viaRouter),
                             preferredUntil: codec.readTimestamp(preferredUntil), expiresAt: codec.readTimestamp(expiresAt))
    }
}

@c(wasixnet_port_route_remove)
public func wasixnetPortRouteRemove(_ port: OpaquePointer?, _ cidr: UnsafePointer<wasixnet_addr_t>?) -> wasixnet_errno_t {
    PortHandle.with(port) { port in
        guard let cidr else { return .fault }
        return port.removeRoutes(to: PortCalls.host.readAddress(cidr))
    }
}

@c(wasixnet_port_route_clear)
public func wasixnetPortRouteClear(_ port: OpaquePointer?) -> wasixnet_errno_t {
    PortHandle.with(port) { $0.clearRoutes() }
}

@c(wasixnet_port_route_list)
public func wasixnetPortRouteList(_ port: OpaquePointer?, _ routes: UnsafeMutablePointer<wasixnet_route_t>?,
                                  _ nroutes: UnsafeMutablePointer<UInt32>?) -> wasixnet_errno_t {
    PortHandle.with(port) { port in
        guard let routes, let nroutes else { return .fault }
        return PortCalls.listRoutes(port, codec: PortCalls.host, into: UnsafeMutableRawPointer(routes),
                                    capacity: Int(nroutes.pointee)) { nroutes.pointee = UInt32(truncatingIfNeeded: $0) }
    }
}

@c(wasixnet_port_route_lookup)
public func wasixnetPortRouteLookup(_ port: OpaquePointer?, _ dst: UnsafePointer<wasixnet_addr_t>?,
                                    _ out: UnsafeMutablePointer<wasixnet_route_t>?,
                                    _ deprecated: UnsafeMutablePointer<UInt8>?) -> wasixnet_errno_t {
    PortHandle.with(port) { port in
        guard let dst, let out else { return .fault }
        let destination = PortCalls.host.readAddress(dst)
        // Nearly every route found has no lifetime, flow info or scope id: answered without a `Route`.
        if let address = destination.ipAddress?.ip {
            switch port.plainLookup(address) {
            case .unreachable:
                return .netunreach
            case .found(let route):
                PortCalls.host.writePlainRoute(route, to: UnsafeMutableRawPointer(out))
                deprecated?.pointee = 0
                return .success
            case .needsFullAnswer:
                break
            }
        }
        return lookUpFully(port, destination, out, deprecated)
    }
}

/// The rest of route_lookup: a route with lifetimes, flow infos or scope ids, or an address that
/// is not IP (EINVAL). Out of line, so that the common path above keeps a small frame.
@inline(never)
private func lookUpFully(_ port: Port, _ destination: TaggedAddress, _ out: UnsafeMutablePointer<wasixnet_route_t>,
                         _ deprecated: UnsafeMutablePointer<UInt8>?) -> WasixErrno {
    switch port.lookup(destination) {
    case .failure(let error):
        return error
    case .success(let found):
        PortCalls.host.writeRoute(found.route, to: UnsafeMutableRawPointer(out))
        deprecated?.pointee = found.deprecated ? 1 : 0
        return .success
    }
}
