/// An address family's key as a route table's trie and records see it: the address left-aligned
/// in an unsigned integer (IPv4 a UInt32, IPv6 a UInt128), walked one byte per trie level, and
/// how a record of the family lays out in memory (`RouteRecords`).
protocol RouteKey: FixedWidthInteger & UnsignedInteger {
    static var family: IPAddress.Family { get }
    /// 0 for IPv4, 1 for IPv6: the family's slots in the table's shared header.
    static var familyIndex: Int { get }
    /// Bytes per record: destination, router (IPv6) or next-hop index (IPv4), the list link, the
    /// writer's back link, length and flags.
    static var recordStride: Int { get }
    /// Whether the router sits in the record (IPv6) or in the table's next hops (IPv4, `NextHops`).
    static var routerInRecord: Bool { get }
    /// Where in a record the list link (`next`, an atomic UInt32) and the length-and-flags word sit.
    static var nextOffset: Int { get }
    static var previousOffset: Int { get }
    static var lengthOffset: Int { get }
    static func loadAddress(_ address: UnsafeMutableRawPointer) -> Self
    static func storeAddress(_ value: Self, _ address: UnsafeMutableRawPointer)
}

extension RouteKey {
    /// Byte `depth` of the key, counted from its most significant end.
    @inline(__always)
    func byte(at depth: Int) -> Int {
        Int(truncatingIfNeeded: self &>> (Self.bitWidth &- 8 &- 8 &* depth)) & 0xff
    }

    /// Whether `self` lies in the prefix `network/length`.
    @inline(__always)
    func lies(in network: Self, length: Int) -> Bool {
        length == 0 || (self ^ network) &>> (Self.bitWidth &- length) == 0
    }

    static func key(_ address: IPAddress) -> Self { Self(truncatingIfNeeded: address.bits) }
}

extension UInt32: RouteKey {
    static var family: IPAddress.Family { .v4 }
    static var familyIndex: Int { 0 }
    // destination 0, next 4, previous 8, then one word at 12: length (byte 0), flags (byte 1) and
    // the next-hop index (bytes 2-3; `NextHops`): 16 bytes, the router kept once per table.
    static var recordStride: Int { 16 }
    static var routerInRecord: Bool { false }
    static var nextOffset: Int { 4 }
    static var previousOffset: Int { 8 }
    static var lengthOffset: Int { 12 }
    @inline(__always)
    static func loadAddress(_ address: UnsafeMutableRawPointer) -> UInt32 { address.load(as: UInt32.self) }
    static func storeAddress(_ value: UInt32, _ address: UnsafeMutableRawPointer) { address.storeBytes(of: value, as: UInt32.self) }
}

extension UInt128: RouteKey {
    static var family: IPAddress.Family { .v6 }
    static var familyIndex: Int { 1 }
    // destination 0 and router 16 (each as two UInt64 halves, high first, read unaligned), next
    // 32, previous 36, length and flags 40: 44 bytes, no padding (4-byte alignment is all the
    // atomic link needs, and 4 bytes a route is what keeps a 100k table under 64 B a route).
    static var recordStride: Int { 44 }
    static var routerInRecord: Bool { true }
    static var nextOffset: Int { 32 }
    static var previousOffset: Int { 36 }
    static var lengthOffset: Int { 40 }
    @inline(__always)
    static func loadAddress(_ address: UnsafeMutableRawPointer) -> UInt128 {
        UInt128(address.loadUnaligned(as: UInt64.self)) << 64 | UInt128(address.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
    }
    static func storeAddress(_ value: UInt128, _ address: UnsafeMutableRawPointer) {
        address.storeBytes(of: UInt64(truncatingIfNeeded: value >> 64), as: UInt64.self)
        address.storeBytes(of: UInt64(truncatingIfNeeded: value), toByteOffset: 8, as: UInt64.self)
    }
}
