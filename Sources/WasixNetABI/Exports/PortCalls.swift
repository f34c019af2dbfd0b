import WasixNet

/// What the host-typed and the guest-memory forms of a call share once their pointers are
/// checked: the list protocol, written through a codec into memory that is known to be large
/// enough for `capacity` entries.
enum PortCalls {
    /// The host-typed structs of wasixnet.h are the WASIX_V1 layout in host memory.
    static let host = WireCodec(layout: .wasixV1)

    /// Writes the first `capacity` routes, stores the count, and says whether they all fit.
    static func listRoutes(_ port: Port, codec: WireCodec, into buffer: UnsafeMutableRawPointer, capacity: Int,
                           storeCount: (Int) -> Void) -> WasixErrno {
        let stride = codec.layout.routeSize
        let count = port.listRoutes(capacity: capacity) { index, route in codec.writeRoute(route, to: buffer + index * stride) }
        storeCount(count)
        return count > capacity ? .overflow : .success
    }

    static func listAddresses(_ port: Port, codec: WireCodec, into buffer: UnsafeMutableRawPointer, capacity: Int,
                              storeCount: (Int) -> Void) -> WasixErrno {
        let stride = codec.layout.cidrSize
        let count = port.listAddresses(capacity: capacity) { index, cidr in codec.writeCIDR(cidr, to: buffer + index * stride) }
        storeCount(count)
        return count > capacity ? .overflow : .success
    }

    static func bridge(_ port: Port, network: UnsafeRawPointer, networkLength: Int, token: UnsafeRawPointer,
                       tokenLength: Int, security: UInt64) -> WasixErrno {
        port.bridge(network: UnsafeRawBufferPointer(start: network, count: networkLength),
                    token: UnsafeRawBufferPointer(start: token, count: tokenLength), security: security)
    }
}
