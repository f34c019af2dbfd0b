/// Values as a guest wrote them, before any rule is applied: the family tag may be anything, an
/// option tag may be anything. The port validates them in the contract's order, so that the first
/// failing rule decides the error whatever else is wrong.
public enum TaggedAddress: Sendable, Equatable {
    /// Tag 0: no address (an on-link route's router).
    case unspecifiedFamily
    case ip(ScopedAddress)
    /// Tag 3 (unix) or an unknown tag.
    case otherFamily(UInt8)

    public var ipAddress: ScopedAddress? {
        if case .ip(let address) = self { return address }
        return nil
    }
}

/// A CIDR as written: the address and the prefix byte of its family (for tags other than inet4
/// and inet6 the prefix means nothing).
public struct TaggedCIDR: Sendable, Equatable {
    public var address: TaggedAddress
    public var prefixLength: UInt8

    public init(address: TaggedAddress, prefixLength: UInt8) {
        self.address = address
        self.prefixLength = prefixLength
    }

    /// The CIDR when the tag is an IP family and the prefix fits it; else `.inval`.
    public func validated() -> Result<CIDR, WasixErrno> {
        guard let address = address.ipAddress else { return .failure(.inval) }
        guard Int(prefixLength) <= address.ip.family.width else { return .failure(.inval) }
        return .success(CIDR(address, prefixLength: prefixLength))
    }
}

/// An option<timestamp> as written.
public enum TaggedTimestamp: Sendable, Equatable {
    case none
    case some(UInt64)
    case invalidTag(UInt8)
}
