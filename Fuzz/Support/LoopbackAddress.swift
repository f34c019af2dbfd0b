import CWasixNet

/// 127.0.0.1 (family 0) or ::1 (family 1) with `port`, in the canonical ABI's ip-socket-address
/// layout: where the socket fuzz targets bind, and where their sinks listen.
public func loopbackAddress(_ family: UInt8, port: UInt16) -> wasixnet_ip_socket_address_t {
    var address = wasixnet_ip_socket_address_t()
    address.tag = family
    if family == 0 {
        address.u.ipv4.port = port
        address.u.ipv4.address = (127, 0, 0, 1)
    } else {
        address.u.ipv6.port = port
        address.u.ipv6.address = (0, 0, 0, 0, 0, 0, 0, 1)
    }
    return address
}
