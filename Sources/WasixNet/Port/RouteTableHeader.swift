import CWasixNetSystem

/// The one block of a `RouteTable` that its readers start from, allocated with the table and
/// freed only with it (so a `RouteTable.Reader`, which holds its address, stays valid for the
/// table's whole life). Every word in it that the writer changes is read and written atomically
/// (`RawAtomic`).
///
/// Layout (bytes): the IPv4 trie's root node (0: none) at 0 and the IPv6 one at 8; the first
/// route in insertion order (a `RouteID`, 0: none) at 16; the route count at 24; the route limit
/// at 32 (never changes); then per family a directory of 32 record-chunk pointers (`RouteRecords`)
/// at 64 and 320; then the directory of the IPv4 next-hop chunks (`NextHops`, 13 slots) at 576.
enum RouteTableHeader {
    static let size = 680
    static let nextHopDirectoryOffset = 576
    static let firstRouteOffset = 16
    static let routeCountOffset = 24
    static let maxRoutesOffset = 32
    static let directorySlots = 32

    @inline(__always)
    static func rootOffset(_ familyIndex: Int) -> Int { 8 &* familyIndex }

    @inline(__always)
    static func directoryOffset(_ familyIndex: Int) -> Int { 64 &+ 256 &* familyIndex }

    static func allocate(maxRoutes: Int) -> UnsafeMutableRawPointer {
        let header = allocateBlock(size)
        header.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        header.storeBytes(of: maxRoutes, toByteOffset: maxRoutesOffset, as: Int.self)
        return header
    }
}

/// A block that `free()` releases (wasixnet.h [port.memory]: retired blocks are handed to a
/// reclaimer that frees them with free()). Running out of memory is fatal, as for every Swift
/// allocation in the library.
func allocateBlock(_ size: Int) -> UnsafeMutableRawPointer {
    guard let block = malloc(size) else { fatalError("out of memory") }
    return block
}
