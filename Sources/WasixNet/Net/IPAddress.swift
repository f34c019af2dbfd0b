/// An IPv4 or IPv6 address as a number: `bits` holds the address with its first octet most
/// significant (IPv4 in the low 32 bits). An IPv4-mapped IPv6 address is an IPv6 address here.
public struct IPAddress: Hashable, Sendable {
    public enum Family: UInt8, Sendable {
        case v4
        case v6

        /// The number of bits in an address of this family.
        public var width: Int { self == .v4 ? 32 : 128 }
    }

    public let family: Family
    public let bits: UInt128

    public init(v4 bits: UInt32) {
        family = .v4
        self.bits = UInt128(bits)
    }

    public init(v6 bits: UInt128) {
        family = .v6
        self.bits = bits
    }

    public init(family: Family, bits: UInt128) {
        self.family = family
        self.bits = family == .v4 ? bits & 0xffff_ffff : bits
    }

    /// 0.0.0.0 or ::
    public var isUnspecified: Bool { bits == 0 }

    /// The prefix lengths at which this address is its network's own address (no bit set past the
    /// prefix): from its last set bit to the family's width (10.1.0.0: 16...32). A route removal by
    /// address looks at these lengths only.
    var lengthsAsNetwork: ClosedRange<Int> {
        let width = family.width
        return (width - min(width, bits.trailingZeroBitCount))...width
    }

    /// 224.0.0.0/4 or ff00::/8
    public var isMulticast: Bool { family == .v4 ? bits >> 28 == 0xe : bits >> 120 == 0xff }

    /// The limited broadcast address, 255.255.255.255 (IPv6 has none).
    public var isBroadcast: Bool { family == .v4 && bits == 0xffff_ffff }

    /// The mask of a prefix of `length` bits in this family's width.
    public func mask(prefixLength length: Int) -> UInt128 {
        let width = family.width
        let all: UInt128 = width == 128 ? ~0 : (UInt128(1) << width) - 1
        return length <= 0 ? 0 : (all << (width - length)) & all
    }

    /// The address with every bit past the first `length` cleared.
    public func masked(toPrefixLength length: Int) -> IPAddress {
        IPAddress(family: family, bits: bits & mask(prefixLength: length))
    }
}

extension IPAddress: CustomStringConvertible {
    /// Dotted quad for IPv4; for IPv6 the eight groups in hex with the longest run of two or more
    /// zero groups shortened to "::" (RFC 5952).
    public var description: String {
        if family == .v4 {
            return (0..<4).map { String((bits >> (24 - 8 * $0)) & 0xff) }.joined(separator: ".")
        }
        let groups = (0..<8).map { Int((bits >> (112 - 16 * $0)) & 0xffff) }
        var bestStart = -1, bestLength = 1, runStart = -1
        for index in 0...8 {
            if index < 8 && groups[index] == 0 {
                if runStart < 0 { runStart = index }
            } else if runStart >= 0 {
                if index - runStart > bestLength { bestStart = runStart; bestLength = index - runStart }
                runStart = -1
            }
        }
        let hex = groups.map { String($0, radix: 16) }
        guard bestStart >= 0 else { return hex.joined(separator: ":") }
        let head = hex[..<bestStart].joined(separator: ":")
        let tail = hex[(bestStart + bestLength)...].joined(separator: ":")
        return head + "::" + tail
    }
}

/// An address with the IPv6 flow info and scope id the guest wrote beside it. They take no part
/// in routing; they are kept so that what a guest added is echoed back exactly.
public struct ScopedAddress: Hashable, Sendable {
    public var ip: IPAddress
    public var flowInfo: UInt32
    public var scopeID: UInt32

    public init(_ ip: IPAddress, flowInfo: UInt32 = 0, scopeID: UInt32 = 0) {
        self.ip = ip
        self.flowInfo = flowInfo
        self.scopeID = scopeID
    }
}

/// An address with a prefix length, as written: host bits may be set (10.0.0.5/24 names an
/// interface address and its subnet). `prefixLength` never exceeds the family's width.
public struct CIDR: Hashable, Sendable {
    public var address: ScopedAddress
    public var prefixLength: UInt8

    public init(_ address: ScopedAddress, prefixLength: UInt8) {
        self.address = address
        self.prefixLength = prefixLength
    }

    /// The network this CIDR lies in: the address with its host bits cleared.
    public var network: Network { Network(address.ip.masked(toPrefixLength: Int(prefixLength)), prefixLength: prefixLength) }

    /// True when bits past the prefix are set (10.1.2.3/24).
    public var hasHostBits: Bool { address.ip != address.ip.masked(toPrefixLength: Int(prefixLength)) }
}

/// A canonical prefix: an address with no bits set past its length. The identity of a route.
public struct Network: Hashable, Sendable, CustomStringConvertible {
    public let address: IPAddress
    public let prefixLength: UInt8

    public init(_ address: IPAddress, prefixLength: UInt8) {
        self.address = address.masked(toPrefixLength: Int(prefixLength))
        self.prefixLength = prefixLength
    }

    public func contains(_ other: IPAddress) -> Bool {
        other.family == address.family && other.masked(toPrefixLength: Int(prefixLength)) == address
    }

    public var description: String { "\(address)/\(prefixLength)" }
}
