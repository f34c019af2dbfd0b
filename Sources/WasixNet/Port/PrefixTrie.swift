/// Longest-prefix match for one address family: a multibit trie with leaf pushing.
///
/// The first 12 bits of a key index a root array of 4096 slots; every later level is a node of
/// 16 slots (4 bits, one 64-byte cache line). A slot holds either a child node (high bit set) or
/// the id of the best entry covering that slot's whole range (0: none). Every slot therefore
/// answers for its range by itself, and a lookup is one load per level with no backtracking:
/// at most 6 loads for IPv4, 30 for IPv6, whatever the number of prefixes.
///
/// "Best" is decided by a rank per entry id, supplied by the owner: a longer prefix ranks higher,
/// and the owner breaks ties between entries of equal length. Root and nodes live in one flat
/// array, so the structure is a handful of allocations however large it grows; freed nodes are
/// reused. Keys are left-aligned in `Key` (an IPv4 address is a UInt32, IPv6 a UInt128).
struct PrefixTrie<Key: FixedWidthInteger & UnsignedInteger> {
    private static var rootBits: Int { 12 }
    private static var rootSlots: Int { 1 << rootBits }
    private static var strideBits: Int { 4 }
    private static var nodeSlots: Int { 1 << strideBits }
    private static var childFlag: UInt32 { 0x8000_0000 }

    /// The root's 4096 slots, then every node's 16. Empty until the first insertion.
    private var slots: [UInt32] = []
    private var freeNodes: [UInt32] = []

    /// Nodes in use below the root.
    private(set) var nodeCount = 0

    /// Slots allocated, the root's included.
    var slotCount: Int { slots.count }

    /// Bytes held by the slot arrays (for size reports).
    var allocatedBytes: Int { slots.capacity * 4 + freeNodes.capacity * 4 }

    /// The `bits` bits of `key` that start `depth` bits from its most significant end.
    @inline(__always)
    private static func chunk(_ key: Key, depth: Int, bits: Int) -> Int {
        Int(truncatingIfNeeded: (key &>> (Key.bitWidth - depth - bits))) & ((1 << bits) - 1)
    }

    @inline(__always)
    private static func firstSlot(ofNode node: UInt32) -> Int { rootSlots + Int(node) * nodeSlots }

    /// The id of the best entry whose prefix covers `key`, or 0.
    func lookup(_ key: Key) -> UInt32 {
        slots.withUnsafeBufferPointer { slots in
            guard !slots.isEmpty else { return 0 }
            var value = slots[Self.chunk(key, depth: 0, bits: Self.rootBits)]
            var depth = Self.rootBits
            while value & Self.childFlag != 0 {
                value = slots[Self.firstSlot(ofNode: value & ~Self.childFlag) + Self.chunk(key, depth: depth, bits: Self.strideBits)]
                depth += Self.strideBits
            }
            return value
        }
    }

    /// Makes entry `id` answer for every part of `network/length` where no higher-ranked entry
    /// does. `network` has no bits set past `length`.
    mutating func insert(_ network: Key, length: Int, id: UInt32, ranks: [UInt16]) {
        if slots.isEmpty { slots = [UInt32](repeating: 0, count: Self.rootSlots) }
        let rank = ranks[Int(id)]
        var base = 0, depth = 0, bits = Self.rootBits
        while true {
            let index = base + Self.chunk(network, depth: depth, bits: bits)
            if length <= depth + bits {
                for slot in index..<(index + 1 << (depth + bits - length)) {
                    paint(slot, with: id, rank: rank, ranks: ranks)
                }
                return
            }
            let value = slots[index]
            let node: UInt32
            if value & Self.childFlag != 0 {
                node = value & ~Self.childFlag
            } else {
                node = allocateNode(filledWith: value)
                slots[index] = Self.childFlag | node
            }
            base = Self.firstSlot(ofNode: node)
            depth += bits
            bits = Self.strideBits
        }
    }

    /// Takes entry `id` (which covered `network/length`) out: wherever it answered, `replacement`
    /// (the best remaining entry covering the whole prefix, or 0) answers instead. Nodes left
    /// with 16 equal answers fold back into their parent slot.
    mutating func remove(_ network: Key, length: Int, id: UInt32, replacement: UInt32) {
        guard !slots.isEmpty else { return }
        remove(network, length: length, id: id, replacement: replacement,
               slot: Self.chunk(network, depth: 0, bits: Self.rootBits), depth: 0, bits: Self.rootBits)
    }

    mutating func removeAll() {
        slots = []
        freeNodes = []
        nodeCount = 0
    }

    private mutating func remove(_ network: Key, length: Int, id: UInt32, replacement: UInt32,
                                 slot index: Int, depth: Int, bits: Int) {
        if length <= depth + bits {
            for slot in index..<(index + 1 << (depth + bits - length)) {
                repaint(slot, from: id, to: replacement)
            }
            return
        }
        let value = slots[index]
        guard value & Self.childFlag != 0 else { return }
        let base = Self.firstSlot(ofNode: value & ~Self.childFlag)
        let next = depth + bits
        remove(network, length: length, id: id, replacement: replacement,
               slot: base + Self.chunk(network, depth: next, bits: Self.strideBits), depth: next, bits: Self.strideBits)
        foldIfUniform(index)
    }

    private mutating func paint(_ index: Int, with id: UInt32, rank: UInt16, ranks: [UInt16]) {
        let value = slots[index]
        if value & Self.childFlag != 0 {
            let base = Self.firstSlot(ofNode: value & ~Self.childFlag)
            for slot in base..<(base + Self.nodeSlots) { paint(slot, with: id, rank: rank, ranks: ranks) }
        } else if ranks[Int(value)] < rank {
            slots[index] = id
        }
    }

    private mutating func repaint(_ index: Int, from id: UInt32, to replacement: UInt32) {
        let value = slots[index]
        if value & Self.childFlag != 0 {
            let base = Self.firstSlot(ofNode: value & ~Self.childFlag)
            for slot in base..<(base + Self.nodeSlots) { repaint(slot, from: id, to: replacement) }
            foldIfUniform(index)
        } else if value == id {
            slots[index] = replacement
        }
    }

    /// If the node below slot `index` holds one answer in all its slots, the slot takes it.
    private mutating func foldIfUniform(_ index: Int) {
        let value = slots[index]
        guard value & Self.childFlag != 0 else { return }
        let node = value & ~Self.childFlag
        let base = Self.firstSlot(ofNode: node)
        let first = slots[base]
        guard first & Self.childFlag == 0 else { return }
        for slot in (base + 1)..<(base + Self.nodeSlots) where slots[slot] != first { return }
        slots[index] = first
        freeNodes.append(node)
        nodeCount -= 1
    }

    private mutating func allocateNode(filledWith value: UInt32) -> UInt32 {
        nodeCount += 1
        if let node = freeNodes.popLast() {
            let base = Self.firstSlot(ofNode: node)
            for slot in base..<(base + Self.nodeSlots) { slots[slot] = value }
            return node
        }
        let node = UInt32((slots.count - Self.rootSlots) / Self.nodeSlots)
        slots.append(contentsOf: repeatElement(value, count: Self.nodeSlots))
        return node
    }
}
