import CWasixNet
import WasixNet

/// A guest's linear memory for the length of one call, with every access bounds-checked: a
/// struct must lie whole inside `[0, size)`, and an offset + length that overflows is outside.
struct GuestMemory {
    let codec: WireCodec
    /// Width of a list's count cell: 4 (wasix_32v1) or 8 (wasix_64v1).
    let pointerSize: Int
    private let base: UnsafeMutableRawPointer?
    private let size: UInt64

    /// The memory `guest` describes, or the error for a descriptor that cannot be used.
    static func from(_ guest: UnsafePointer<wasixnet_guest_t>?) -> Result<GuestMemory, WasixErrno> {
        guard let guest = guest?.pointee else { return .failure(.fault) }
        guard guest.memory != nil || guest.memory_size == 0 else { return .failure(.fault) }
        guard guest.pointer_size == 4 || guest.pointer_size == 8,
              let layout = WireLayout(code: guest.layout),
              guest.memory_size <= UInt64(Int.max) else { return .failure(.inval) }
        return .success(GuestMemory(codec: WireCodec(layout: layout), pointerSize: Int(guest.pointer_size),
                                    base: UnsafeMutableRawPointer(guest.memory), size: guest.memory_size))
    }

    var layout: WireLayout { codec.layout }

    /// The host address of `[offset, offset + length)`, or nil when any of it lies outside.
    func bytes(at offset: UInt64, count length: UInt64) -> UnsafeMutableRawPointer? {
        let (end, overflow) = offset.addingReportingOverflow(length)
        guard !overflow, end <= size else { return nil }
        return base.map { $0 + Int(offset) } ?? (length == 0 ? UnsafeMutableRawPointer(bitPattern: 1) : nil)
    }

    /// The bytes of a list of `count` entries of `stride` bytes, or nil when any lies outside.
    func bytes(at offset: UInt64, count: UInt64, stride: Int) -> UnsafeMutableRawPointer? {
        let (total, overflow) = count.multipliedReportingOverflow(by: UInt64(stride))
        return overflow ? nil : bytes(at: offset, count: total)
    }

    func readCount(_ cell: UnsafeMutableRawPointer) -> UInt64 {
        pointerSize == 4 ? UInt64(cell.loadUnaligned(as: UInt32.self)) : cell.loadUnaligned(as: UInt64.self)
    }

    func writeCount(_ count: Int, to cell: UnsafeMutableRawPointer) {
        if pointerSize == 4 {
            cell.storeBytes(of: UInt32(truncatingIfNeeded: count), as: UInt32.self)
        } else {
            cell.storeBytes(of: UInt64(count), as: UInt64.self)
        }
    }
}
