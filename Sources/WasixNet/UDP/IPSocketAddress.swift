import CWasixNetSystem

/// A wasi:sockets `ip-socket-address`: an address with its port and, for IPv6, the flow info and
/// scope id. Equality compares every field (the WIT's "match … exactly").
public struct IPSocketAddress: Hashable, Sendable, CustomStringConvertible {
    public var ip: IPAddress
    public var port: UInt16
    /// IPv6 only: sin6_flowinfo as a number (0 for IPv4).
    public var flowInfo: UInt32
    /// IPv6 only: sin6_scope_id (0 for IPv4).
    public var scopeID: UInt32

    public init(_ ip: IPAddress, port: UInt16, flowInfo: UInt32 = 0, scopeID: UInt32 = 0) {
        self.ip = ip
        self.port = port
        self.flowInfo = ip.family == .v6 ? flowInfo : 0
        self.scopeID = ip.family == .v6 ? scopeID : 0
    }

    public var family: IPAddress.Family { ip.family }

    /// ::ffff:a.b.c.d
    public var isIPv4Mapped: Bool { ip.family == .v6 && ip.bits >> 32 == 0xffff }

    /// Whether a datagram may be sent to (or a socket connected to) this address from a socket of
    /// `family`: the same family, not IPv4-mapped, not unspecified, not port 0.
    func isValidRemote(for family: IPAddress.Family) -> Bool {
        ip.family == family && !isIPv4Mapped && !ip.isUnspecified && port != 0
    }

    public var description: String { ip.family == .v4 ? "\(ip):\(port)" : "[\(ip)]:\(port)" }

    // MARK: sockaddr

    /// Bytes a sockaddr slot must have for any address of either family.
    static let sockaddrCapacity = MemoryLayout<sockaddr_in6>.size

    /// Writes the sockaddr_in / sockaddr_in6 of this address at `slot` (sockaddrCapacity bytes)
    /// and returns its length.
    func writeSockaddr(to slot: UnsafeMutableRawPointer) -> socklen_t {
        if ip.family == .v4 {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = UInt32(truncatingIfNeeded: ip.bits).bigEndian
            slot.storeBytes(of: address, as: sockaddr_in.self)
            return socklen_t(MemoryLayout<sockaddr_in>.size)
        }
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_port = port.bigEndian
        address.sin6_flowinfo = flowInfo.bigEndian
        address.sin6_scope_id = scopeID
        withUnsafeMutableBytes(of: &address.sin6_addr) { octets in
            octets.storeBytes(of: UInt64(truncatingIfNeeded: ip.bits >> 64).bigEndian, toByteOffset: 0, as: UInt64.self)
            octets.storeBytes(of: UInt64(truncatingIfNeeded: ip.bits).bigEndian, toByteOffset: 8, as: UInt64.self)
        }
        slot.storeBytes(of: address, as: sockaddr_in6.self)
        return socklen_t(MemoryLayout<sockaddr_in6>.size)
    }

    /// The address of a sockaddr the kernel wrote, or nil for another family or a short length.
    init?(sockaddr slot: UnsafeRawPointer, length: socklen_t) {
        let family = Int32(slot.load(as: sa_family_t.self))
        if family == AF_INET, Int(length) >= MemoryLayout<sockaddr_in>.size {
            let address = slot.loadUnaligned(as: sockaddr_in.self)
            self.init(IPAddress(v4: UInt32(bigEndian: address.sin_addr.s_addr)), port: UInt16(bigEndian: address.sin_port))
        } else if family == AF_INET6, Int(length) >= MemoryLayout<sockaddr_in6>.size {
            let address = slot.loadUnaligned(as: sockaddr_in6.self)
            let bits = withUnsafeBytes(of: address.sin6_addr) { octets in
                UInt128(UInt64(bigEndian: octets.loadUnaligned(as: UInt64.self))) << 64
                    | UInt128(UInt64(bigEndian: octets.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
            }
            self.init(IPAddress(v6: bits), port: UInt16(bigEndian: address.sin6_port),
                      flowInfo: UInt32(bigEndian: address.sin6_flowinfo), scopeID: address.sin6_scope_id)
        } else {
            return nil
        }
    }
}

/// The `remote-address` of an outgoing datagram as the caller wrote it: none, an address, or a
/// tag that names neither family (which host-typed calls answer with invalid-argument).
public enum RemoteAddress: Sendable, Equatable {
    case none
    case some(IPSocketAddress)
    case malformed
}

/// One datagram to send: its bytes (a nil base only with count 0, unless the caller passed a
/// NULL pointer with a length, which is invalid) and where it goes.
public struct OutgoingDatagram {
    public var data: UnsafeRawPointer?
    public var length: Int
    public var remote: RemoteAddress
    /// The caller knows, without decoding it, that this datagram's remote-address is the one of
    /// the datagram before it in the batch (the same C struct): `remote` is then not read, and
    /// the send reuses what it found for that one (wasixnet.h [udp.send]: a run to one peer is
    /// checked once). Never set for the first datagram of a batch.
    public var remoteIsPrevious: Bool

    @inline(__always)
    public init(data: UnsafeRawPointer?, length: Int, remote: RemoteAddress) {
        self.data = data
        self.length = length
        self.remote = remote
        self.remoteIsPrevious = false
    }

    /// A datagram to the previous datagram's remote-address.
    @inline(__always)
    public init(data: UnsafeRawPointer?, length: Int, remoteOfPrevious: Void) {
        self.data = data
        self.length = length
        self.remote = .none
        self.remoteIsPrevious = true
    }
}

/// A caller's buffer to receive one datagram into.
public struct ReceiveBuffer {
    public var base: UnsafeMutableRawPointer?
    public var capacity: Int

    @inline(__always)
    public init(base: UnsafeMutableRawPointer?, capacity: Int) {
        self.base = base
        self.capacity = capacity
    }
}

/// What arrived in one buffer.
public struct ReceivedDatagram: Sendable, Equatable {
    /// Bytes stored (at most the buffer's capacity).
    public var length: Int
    /// The datagram was longer than the buffer: its tail is lost.
    public var truncated: Bool
    public var remote: IPSocketAddress
}
