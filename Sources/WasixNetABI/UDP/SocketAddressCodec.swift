import WasixNet

/// Reads and writes `ip-socket-address` in the canonical ABI's layout, which is also the layout
/// of wasixnet_ip_socket_address_t (wasixnet.h pins every offset used here): host structs and
/// guest memory go through the same code. Little-endian, unaligned loads.
enum SocketAddressCodec {
    static let size = 32
    private static let portOffset = 4
    private static let ipv4AddressOffset = 6
    private static let flowInfoOffset = 8
    private static let ipv6AddressOffset = 12
    private static let scopeIDOffset = 28

    /// The address as written: tag 0 (ipv4), 1 (ipv6), or any other tag: `.malformed`.
    @inline(__always)
    static func read(_ base: UnsafeRawPointer) -> RemoteAddress {
        switch base.load(as: UInt8.self) {
        case 0:
            let octets = base.loadUnaligned(fromByteOffset: ipv4AddressOffset, as: UInt32.self)
            return .some(IPSocketAddress(IPAddress(v4: UInt32(bigEndian: octets)),
                                         port: base.loadUnaligned(fromByteOffset: portOffset, as: UInt16.self)))
        case 1:
            var bits: UInt128 = 0
            for group in 0..<8 {
                bits = bits << 16 | UInt128(base.loadUnaligned(fromByteOffset: ipv6AddressOffset + 2 * group, as: UInt16.self))
            }
            return .some(IPSocketAddress(IPAddress(v6: bits), port: base.loadUnaligned(fromByteOffset: portOffset, as: UInt16.self),
                                         flowInfo: base.loadUnaligned(fromByteOffset: flowInfoOffset, as: UInt32.self),
                                         scopeID: base.loadUnaligned(fromByteOffset: scopeIDOffset, as: UInt32.self)))
        default:
            return .malformed
        }
    }

    /// Whether the tag names a family (the canonical ABI traps on any other).
    @inline(__always)
    static func hasValidTag(_ base: UnsafeRawPointer) -> Bool { base.load(as: UInt8.self) <= 1 }

    /// Writes every byte of the struct: unused ones are zero. Inlined: receive calls it once per
    /// datagram, and a call copies the address to the stack first, a wide load of bytes stored
    /// just before that waits behind the datagram's copy (perf: most of the store's time).
    @inline(__always)
    static func write(_ address: IPSocketAddress, to base: UnsafeMutableRawPointer) {
        base.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        base.storeBytes(of: address.family == .v4 ? 0 : 1, as: UInt8.self)
        base.storeBytes(of: address.port, toByteOffset: portOffset, as: UInt16.self)
        if address.family == .v4 {
            base.storeBytes(of: UInt32(truncatingIfNeeded: address.ip.bits).bigEndian, toByteOffset: ipv4AddressOffset, as: UInt32.self)
        } else {
            base.storeBytes(of: address.flowInfo, toByteOffset: flowInfoOffset, as: UInt32.self)
            for group in 0..<8 {
                base.storeBytes(of: UInt16(truncatingIfNeeded: address.ip.bits >> (112 - 16 * group)),
                                toByteOffset: ipv6AddressOffset + 2 * group, as: UInt16.self)
            }
            base.storeBytes(of: address.scopeID, toByteOffset: scopeIDOffset, as: UInt32.self)
        }
    }
}
