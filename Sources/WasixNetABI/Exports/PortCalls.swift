import WasixNet

/// What the host-typed and the guest-memory forms of a call share once their pointers are
/// checked: the list protocol, written through a codec into memory that is known to be large
/// enough for `capacity` entries.
enum PortCalls {
    /// The host-typed structs of wasixnet.h are the WASIX_V1 layout in host memory.
    static var host: WireCodec { WireCodec(layout: .wasixV1) }

    /// The list protocol of addr_list and route_list: `fill` writes the first `capacity` entries
    /// and answers how many there are; the count is stored whether or not they all fit.
    private static func list(capacity: Int, storeCount: (Int) -> Void, fill: (Int) -> Int) -> WasixErrno {
        let count = fill(capacity)
        storeCount(count)
        return count > capacity ? .overflow : .success
    }

    static func listRoutes(_ port: Port, codec: WireCodec, into buffer: UnsafeMutableRawPointer, capacity: Int,
                           storeCount: (Int) -> Void) -> WasixErrno {
        list(capacity: capacity, storeCount: storeCount) { capacity in
            port.listRoutes(capacity: capacity) { index, route in
                codec.writeRoute(route, to: buffer + index * codec.layout.routeSize)
            }
        }
    }

    static func listAddresses(_ port: Port, codec: WireCodec, into buffer: UnsafeMutableRawPointer, capacity: Int,
                              storeCount: (Int) -> Void) -> WasixErrno {
        list(capacity: capacity, storeCount: storeCount) { capacity in
            port.listAddresses(capacity: capacity) { index, cidr in
                codec.writeCIDR(cidr, to: buffer + index * codec.layout.cidrSize)
            }
        }
    }

    static func bridge(_ port: Port, network: UnsafeRawPointer, networkLength: Int, token: UnsafeRawPointer,
                       tokenLength: Int, security: UInt64) -> WasixErrno {
        port.bridge(network: UnsafeRawBufferPointer(start: network, count: networkLength),
                    token: UnsafeRawBufferPointer(start: token, count: tokenLength), security: security)
    }
}
