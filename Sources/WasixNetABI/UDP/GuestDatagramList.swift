import CWasixNet
import WasixNet

/// A canonical-ABI `list<outgoing-datagram>` in a guest's memory, lifted as a component runtime
/// lifts it: every element, data range and tag is checked before the first datagram is used.
/// Element layout (44 bytes): data pointer u32 @0, data length u32 @4, option tag u8 @8,
/// ip-socket-address @12.
struct GuestDatagramList {
    static let stride = Int(WASIXNET_GUEST_OUTGOING_DATAGRAM_SIZE)
    private static let lengthOffset = 4
    private static let optionTagOffset = 8
    private static let addressOffset = 12

    private let memory: GuestMemory
    private let elements: UnsafeMutableRawPointer
    let count: Int

    /// The list, or nil when lifting it would trap: the list or a datagram's bytes outside the
    /// memory, or an option or variant tag other than 0 or 1.
    init?(memory: GuestMemory, offset: UInt64, count: UInt64) {
        guard count <= UInt64(Int.max / Self.stride),
              let elements = memory.bytes(at: offset, count: count, stride: Self.stride) else { return nil }
        self.memory = memory
        self.elements = elements
        self.count = Int(count)
        for index in 0..<self.count {
            let element = elements + index * Self.stride
            let data = UInt64(element.loadUnaligned(as: UInt32.self))
            let length = UInt64(element.loadUnaligned(fromByteOffset: Self.lengthOffset, as: UInt32.self))
            guard memory.bytes(at: data, count: length) != nil else { return nil }
            switch element.load(fromByteOffset: Self.optionTagOffset, as: UInt8.self) {
            case 0: break
            case 1: guard SocketAddressCodec.hasValidTag(element + Self.addressOffset) else { return nil }
            default: return nil
            }
        }
    }

    /// Element `index`, already checked by init.
    @inline(__always)
    func datagram(_ index: Int) -> OutgoingDatagram {
        let element = elements + index * Self.stride
        let data = UInt64(element.loadUnaligned(as: UInt32.self))
        let length = element.loadUnaligned(fromByteOffset: Self.lengthOffset, as: UInt32.self)
        let remote: RemoteAddress = element.load(fromByteOffset: Self.optionTagOffset, as: UInt8.self) == 0
            ? .none : SocketAddressCodec.read(element + Self.addressOffset)
        return OutgoingDatagram(data: UnsafeRawPointer(memory.bytes(at: data, count: UInt64(length))), length: Int(length),
                                remote: remote)
    }
}
