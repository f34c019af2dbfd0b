// What the fuzz targets share: reading the fuzz input as a stream of little-endian numbers.

/// Reads the fuzz input front to back; past its end every read is zero, so any input decodes.
public struct FuzzInput {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var position = 0

    public init(_ data: UnsafePointer<UInt8>?, _ size: Int) {
        bytes = UnsafeBufferPointer(start: data, count: data == nil ? 0 : size)
    }

    public var isEmpty: Bool { position >= bytes.count }

    public mutating func u8() -> UInt8 {
        guard position < bytes.count else { return 0 }
        defer { position += 1 }
        return bytes[position]
    }

    public mutating func u16() -> UInt16 { UInt16(u8()) | UInt16(u8()) << 8 }
    public mutating func u32() -> UInt32 { UInt32(u16()) | UInt32(u16()) << 16 }
    public mutating func u64() -> UInt64 { UInt64(u32()) | UInt64(u32()) << 32 }

    /// Copies `count` bytes into `destination` (zeros past the end of the input).
    public mutating func copy(into destination: UnsafeMutablePointer<UInt8>, count: Int) {
        for index in 0..<count { destination[index] = u8() }
    }
}
