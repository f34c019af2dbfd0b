import WasixNet

#if _endian(big)
#error("wasixnet reads guest memory as little-endian with native loads: big-endian hosts are not supported")
#endif

/// Turns WASIX structs in memory (a guest's, or the host-typed structs of wasixnet.h) into the
/// core's values and back, for one `WireLayout`. Reads take values as written, tags and all: the
/// core decides what is valid. Callers have checked that each struct lies in bounds.
struct WireCodec {
    static let timestampSize = 16
    static let macSize = 6
    private static let unionOffset = 2
    private static let cidrIPv4PrefixOffset = 6
    private static let timestampValueOffset = 8

    let layout: WireLayout

    // MARK: Reading

    @inline(__always)
    func readAddress(_ base: UnsafeRawPointer) -> TaggedAddress {
        switch base.load(as: UInt8.self) {
        case 0: .unspecifiedFamily
        case 1: .ip(ScopedAddress(IPAddress(v4: UInt32(bigEndian: base.loadUnaligned(fromByteOffset: Self.unionOffset, as: UInt32.self)))))
        case 2: .ip(readIPv6(base + Self.unionOffset))
        case let tag: .otherFamily(tag)
        }
    }

    func readCIDR(_ base: UnsafeRawPointer) -> TaggedCIDR {
        let address = readAddress(base)
        let prefixOffset = base.load(as: UInt8.self) == 2 ? layout.cidrIPv6PrefixOffset : Self.cidrIPv4PrefixOffset
        return TaggedCIDR(address: address, prefixLength: base.load(fromByteOffset: prefixOffset, as: UInt8.self))
    }

    func readTimestamp(_ base: UnsafeRawPointer) -> TaggedTimestamp {
        switch base.load(as: UInt8.self) {
        case 0: .none
        case 1: .some(base.loadUnaligned(fromByteOffset: Self.timestampValueOffset, as: UInt64.self))
        case let tag: .invalidTag(tag)
        }
    }

    @inline(__always)
    private func readIPv6(_ octets: UnsafeRawPointer) -> ScopedAddress {
        let bits: UInt128
        if layout.readsIPv6AsGroups {
            bits = (0..<8).reduce(0) { $0 << 16 | UInt128(octets.loadUnaligned(fromByteOffset: 2 * $1, as: UInt16.self)) }
        } else {
            bits = UInt128(UInt64(bigEndian: octets.loadUnaligned(as: UInt64.self))) << 64
                | UInt128(UInt64(bigEndian: octets.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
        }
        guard layout.hasIPv6Scope else { return ScopedAddress(IPAddress(v6: bits)) }
        return ScopedAddress(IPAddress(v6: bits), flowInfo: readHalves(octets + 16), scopeID: readHalves(octets + 20))
    }

    private func readHalves(_ base: UnsafeRawPointer) -> UInt32 {
        UInt32(base.loadUnaligned(as: UInt16.self)) << 16 | UInt32(base.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
    }

    // MARK: Writing (into zeroed memory: bytes with no meaning stay zero)

    func writeAddress(_ address: ScopedAddress, to base: UnsafeMutableRawPointer) {
        writeIP(address.ip.family, address.ip.bits, to: base)
        guard address.ip.family == .v6 && layout.hasIPv6Scope else { return }
        writeHalves(address.flowInfo, to: base + Self.unionOffset + 16)
        writeHalves(address.scopeID, to: base + Self.unionOffset + 20)
    }

    /// The tag and the octets of an address (its flow info and scope id stay as they are: zero).
    @inline(__always)
    private func writeIP(_ family: IPAddress.Family, _ bits: UInt128, to base: UnsafeMutableRawPointer) {
        base.storeBytes(of: family == .v4 ? 1 : 2, as: UInt8.self)
        let octets = base + Self.unionOffset
        guard family == .v6 else {
            octets.storeBytes(of: UInt32(truncatingIfNeeded: bits).bigEndian, as: UInt32.self)
            return
        }
        octets.storeBytes(of: UInt64(truncatingIfNeeded: bits >> 64).bigEndian, as: UInt64.self)
        octets.storeBytes(of: UInt64(truncatingIfNeeded: bits).bigEndian, toByteOffset: 8, as: UInt64.self)
    }

    /// A 32-bit value as WASIX splits it: the most significant 16-bit half first.
    private func writeHalves(_ value: UInt32, to base: UnsafeMutableRawPointer) {
        base.storeBytes(of: UInt16(truncatingIfNeeded: value >> 16), as: UInt16.self)
        base.storeBytes(of: UInt16(truncatingIfNeeded: value), toByteOffset: 2, as: UInt16.self)
    }

    /// Zeroes one CIDR-sized entry, then writes `cidr` into it.
    func writeCIDR(_ cidr: CIDR, to base: UnsafeMutableRawPointer) {
        base.initializeMemory(as: UInt8.self, repeating: 0, count: layout.cidrSize)
        writeCIDRFields(cidr, to: base)
    }

    /// Zeroes one route-sized entry, then writes `route` into it.
    func writeRoute(_ route: Route, to base: UnsafeMutableRawPointer) {
        base.initializeMemory(as: UInt8.self, repeating: 0, count: layout.routeSize)
        writeCIDRFields(route.destination, to: base)
        if let router = route.router { writeAddress(router, to: base + layout.routeRouterOffset) }
        writeTimestamp(route.preferredUntil, to: base + layout.routePreferredUntilOffset)
        writeTimestamp(route.expiresAt, to: base + layout.routeExpiresAtOffset)
    }

    /// Zeroes one route-sized entry, then writes `route` into it: `writeRoute` for a route with
    /// no lifetime, flow info or scope id (those stay zero).
    @inline(__always)
    func writePlainRoute(_ route: PlainRoute, to base: UnsafeMutableRawPointer) {
        base.initializeMemory(as: UInt8.self, repeating: 0, count: layout.routeSize)
        writeIP(route.family, route.destination, to: base)
        let prefixOffset = route.family == .v4 ? Self.cidrIPv4PrefixOffset : layout.cidrIPv6PrefixOffset
        base.storeBytes(of: route.prefixLength, toByteOffset: prefixOffset, as: UInt8.self)
        if route.hasRouter { writeIP(route.family, route.router, to: base + layout.routeRouterOffset) }
    }

    /// The same in every layout: six octets.
    static func writeMAC(_ mac: MACAddress, to base: UnsafeMutableRawPointer) {
        base.storeBytes(of: UInt32(truncatingIfNeeded: mac.littleEndianValue), as: UInt32.self)
        base.storeBytes(of: UInt16(truncatingIfNeeded: mac.littleEndianValue >> 32), toByteOffset: 4, as: UInt16.self)
    }

    private func writeCIDRFields(_ cidr: CIDR, to base: UnsafeMutableRawPointer) {
        writeAddress(cidr.address, to: base)
        let prefixOffset = cidr.address.ip.family == .v4 ? Self.cidrIPv4PrefixOffset : layout.cidrIPv6PrefixOffset
        base.storeBytes(of: cidr.prefixLength, toByteOffset: prefixOffset, as: UInt8.self)
    }

    private func writeTimestamp(_ value: UInt64?, to base: UnsafeMutableRawPointer) {
        guard let value else { return }
        base.storeBytes(of: 1, as: UInt8.self)
        base.storeBytes(of: value, toByteOffset: Self.timestampValueOffset, as: UInt64.self)
    }
}
