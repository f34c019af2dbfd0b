import CWasixNet
import WasixNet

/// `result<list<incoming-datagram>, error-code>` lowered into a guest's linear memory exactly as
/// the canonical ABI stores it (wasixnet.h [udp.guest-receive]), in its order: the result's
/// discriminant at the return pointer; the element array from one call of the guest's realloc
/// (align 4, 40 bytes an element, made also for no element); then, element by element, the
/// datagram's bytes from one call each (align 1, its length, also 0) and the element's fields;
/// last the list's pointer and length. Only the bytes the canonical ABI stores are written:
/// padding and the unused part of the address variant keep what the guest had there.
///
/// The guest's realloc may grow its memory, so every host address is worked out again from the
/// memory's base after each call: nothing computed before a call is used after it. Anything the
/// canonical ABI traps on (the return pointer or a block outside memory or misaligned, a realloc
/// that failed) stops the lowering and answers `false`: the runtime traps the guest.
struct GuestReceiveResult {
    static let elementSize = Int(WASIXNET_GUEST_INCOMING_DATAGRAM_SIZE)
    private static let resultSize: UInt64 = 12
    private static let resultAlignment: UInt64 = 4
    private static let elementAlignment: UInt64 = 4
    // Offsets in an element (the address variant's payload is 4-aligned: @12).
    private static let lengthOffset = 4
    private static let tagOffset = 8
    private static let portOffset = 12
    private static let ipv4AddressOffset = 14
    private static let flowInfoOffset = 16
    private static let ipv6AddressOffset = 20
    private static let scopeIDOffset = 36
    /// Offsets (32-bit guests): a block must end at or below 4 GiB.
    private static let addressSpace: UInt64 = 1 << 32

    private let guest: UnsafeMutablePointer<wasixnet_guest_t>
    private let realloc: wasixnet_guest_realloc_t
    private let reallocContext: UnsafeMutableRawPointer?
    private let resultPointer: UInt64

    /// Nil when the return pointer is outside the guest's memory or misaligned: the canonical ABI
    /// traps before it stores anything, so a caller checks this before it receives.
    init?(guest: UnsafeMutablePointer<wasixnet_guest_t>, resultPointer: UInt64, realloc: wasixnet_guest_realloc_t,
          reallocContext: UnsafeMutableRawPointer?) {
        self.guest = guest
        self.realloc = realloc
        self.reallocContext = reallocContext
        self.resultPointer = resultPointer
        guard resultPointer % Self.resultAlignment == 0, hostAddress(resultPointer, Self.resultSize) != nil else { return nil }
    }

    /// The host address of `[offset, offset + length)` in the memory as it is now, or nil.
    @inline(__always)
    private func hostAddress(_ offset: UInt64, _ length: UInt64) -> UnsafeMutableRawPointer? {
        let memory = guest.pointee
        let (end, overflow) = offset.addingReportingOverflow(length)
        guard !overflow, end <= memory.memory_size, end <= Self.addressSpace else { return nil }
        guard let base = memory.memory else { return length == 0 ? UnsafeMutableRawPointer(bitPattern: 1) : nil }
        return UnsafeMutableRawPointer(base) + Int(offset)
    }

    /// A block of `size` bytes from the guest's realloc, checked as the canonical ABI checks it.
    @inline(__always)
    private func allocate(_ size: UInt64, alignment: UInt64) -> UInt64? {
        let block = realloc(reallocContext, guest, 0, 0, alignment, size)
        guard block != UInt64.max, block % alignment == 0, hostAddress(block, size) != nil else { return nil }
        return block
    }

    /// Stores `err(code)`: the discriminant 1 and the error-code's discriminant.
    func storeError(_ code: SocketErrorCode) -> Bool {
        guard let result = hostAddress(resultPointer, Self.resultSize) else { return false }
        result.storeBytes(of: 1, as: UInt8.self)
        result.storeBytes(of: code.rawValue, toByteOffset: 4, as: UInt8.self)
        return true
    }

    /// Stores `ok(list)` of the datagrams handed out; false where the canonical ABI traps.
    func storeList(_ datagrams: inout ReceivedDatagrams) -> Bool {
        guard let result = hostAddress(resultPointer, Self.resultSize) else { return false }
        result.storeBytes(of: 0, as: UInt8.self)
        let count = datagrams.count
        guard let array = allocate(UInt64(count) * UInt64(Self.elementSize), alignment: Self.elementAlignment) else { return false }
        var elementOffset = array
        while let datagram = datagrams.next() {
            let length = datagram.bytes.count
            guard let data = allocate(UInt64(length), alignment: 1) else { return false }
            // Both worked out after the call: it may have moved the memory. Checked again though
            // memory only grows: a runtime's callback might report less.
            guard let target = hostAddress(data, UInt64(length)),
                  let element = hostAddress(elementOffset, UInt64(Self.elementSize)) else { return false }
            if length > 0 { target.copyMemory(from: datagram.bytes.baseAddress.unsafelyUnwrapped, byteCount: length) }
            element.storeBytes(of: UInt32(truncatingIfNeeded: data), as: UInt32.self)
            element.storeBytes(of: UInt32(truncatingIfNeeded: length), toByteOffset: Self.lengthOffset, as: UInt32.self)
            Self.storeAddress(datagram.remote, in: element)
            elementOffset += UInt64(Self.elementSize)
        }
        guard let list = hostAddress(resultPointer, Self.resultSize) else { return false }
        list.storeBytes(of: UInt32(truncatingIfNeeded: array), toByteOffset: 4, as: UInt32.self)
        list.storeBytes(of: UInt32(truncatingIfNeeded: count), toByteOffset: 8, as: UInt32.self)
        return true
    }

    /// The `ip-socket-address` variant of an element: its tag, then its case's fields, no padding.
    @inline(__always)
    private static func storeAddress(_ address: IPSocketAddress, in element: UnsafeMutableRawPointer) {
        element.storeBytes(of: address.family == .v4 ? 0 : 1, toByteOffset: tagOffset, as: UInt8.self)
        element.storeBytes(of: address.port, toByteOffset: portOffset, as: UInt16.self)
        if address.family == .v4 {
            element.storeBytes(of: UInt32(truncatingIfNeeded: address.ip.bits).bigEndian, toByteOffset: ipv4AddressOffset,
                               as: UInt32.self)
        } else {
            element.storeBytes(of: address.flowInfo, toByteOffset: flowInfoOffset, as: UInt32.self)
            for group in 0..<8 {
                element.storeBytes(of: UInt16(truncatingIfNeeded: address.ip.bits >> (112 - 16 * group)),
                                   toByteOffset: ipv6AddressOffset + 2 * group, as: UInt16.self)
            }
            element.storeBytes(of: address.scopeID, toByteOffset: scopeIDOffset, as: UInt32.self)
        }
    }
}
