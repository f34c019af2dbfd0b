import Synchronization

/// Atomic loads and stores on words in raw memory (trie slots, list links, directory entries),
/// for the parts of a `RouteTable` that readers follow without the port's lock while one writer
/// changes them (wasixnet.h [port.concurrency]). The writer publishes with a release store; a
/// reader loads with acquire, so everything written before the store is visible after the load.
/// Memory that is never written once reachable is read with plain loads.
enum RawAtomic {
    @inline(__always)
    static func loadWord(_ address: UnsafeMutableRawPointer) -> UInt {
        address.assumingMemoryBound(to: Atomic<UInt>.self).pointee.load(ordering: .acquiring)
    }

    @inline(__always)
    static func storeWord(_ value: UInt, _ address: UnsafeMutableRawPointer) {
        address.assumingMemoryBound(to: Atomic<UInt>.self).pointee.store(value, ordering: .releasing)
    }

    @inline(__always)
    static func load32(_ address: UnsafeMutableRawPointer) -> UInt32 {
        address.assumingMemoryBound(to: Atomic<UInt32>.self).pointee.load(ordering: .acquiring)
    }

    @inline(__always)
    static func store32(_ value: UInt32, _ address: UnsafeMutableRawPointer) {
        address.assumingMemoryBound(to: Atomic<UInt32>.self).pointee.store(value, ordering: .releasing)
    }

    /// A counter only ever read as a hint (the caller validates what it read otherwise).
    @inline(__always)
    static func loadRelaxed(_ address: UnsafeMutableRawPointer) -> Int {
        address.assumingMemoryBound(to: Atomic<Int>.self).pointee.load(ordering: .relaxed)
    }

    @inline(__always)
    static func storeRelaxed(_ value: Int, _ address: UnsafeMutableRawPointer) {
        address.assumingMemoryBound(to: Atomic<Int>.self).pointee.store(value, ordering: .relaxed)
    }
}
