import CWasixNetSystem

/// One node of a route table's trie (`RouteTrie`): one byte of the key, with the prefixes that end
/// within that byte and the children below it, each set held compactly behind a bitmap (the
/// popcount of the bits before a bit is its element's place), as in ART and bart. A node is
/// written once, before it is published, and never changes afterwards except its child slots,
/// which the writer replaces with one atomic store each; every other change builds a new node.
///
/// Prefixes: index `(1 << r) | (byte >> (8 - r))` (r = 0...8 bits of the node's byte: 1...511)
/// in a 512-bit bitmap; a prefix of length L > 0 sits in the node at depth (L - 1) / 8 with
/// r = L - 8 * depth, so a /8, /16, /24 is a full byte of its parent (r = 8), and /0 is the
/// root's index 1. Its element is the prefix's `RouteElement` (a UInt32: its record's index and
/// what a lookup may answer without the record).
/// Children: a 256-bit bitmap of the bytes that have one; a child slot holds either a node's
/// address (even) or a leaf (odd, `RouteTrie.leafValue`: the element, the length and the last
/// bits of a lone prefix deeper than the node; path compression: an IPv6 /48 or an IPv4 /32 alone
/// below a byte costs one slot, not a chain of nodes).
///
/// Layout (bytes): prefix bitmap 0..<64, child bitmap 64..<96, child count (UInt16) at 96,
/// prefix count (UInt16) at 98, per child-bitmap word the count of children before it (4 x UInt8)
/// at 100, per prefix-bitmap word the count of prefixes before it (8 x UInt16) at 104; then the
/// child slots (8 bytes each) from 120 and the elements (4 bytes each) after them. The
/// counts spare a lookup all but one popcount per node (the build's baseline x86-64 has no
/// popcount instruction).
///
/// Dense nodes: a node with at least `denseChildren` children (the top levels of a big table)
/// has a slot for each of the 256 bytes, 0 where there is no child, so that a lookup loads the
/// slot at once, without the child bitmap or a popcount: one dependent load per level instead of
/// two. A node's value (what a slot or the root holds) says so in bit 1 (`denseTag`), so that a
/// reader knows where the slot is before it has read anything of the node. Whether a node is
/// dense follows from its child count alone, so the shape still depends only on what is held.
struct RouteTrieNode {
    let raw: UnsafeMutableRawPointer

    static let headerSize = 120
    static let childBitmapOffset = 64
    /// Past three quarters of the bytes, 256 slots cost little more than the compact ones.
    static let denseChildren = 192
    static let denseTag: UInt = 2

    @inline(__always) init(_ raw: UnsafeMutableRawPointer) { self.raw = raw }

    /// The node a non-zero, non-leaf value names (the reader's: no check).
    @inline(__always)
    init(nodeValue value: UInt) { raw = UnsafeMutableRawPointer(bitPattern: value & ~Self.denseTag).unsafelyUnwrapped }

    @inline(__always)
    init?(value: UInt) {
        guard value & 1 == 0, let raw = UnsafeMutableRawPointer(bitPattern: value & ~Self.denseTag) else { return nil }
        self.raw = raw
    }

    var value: UInt { UInt(bitPattern: raw) | (isDense ? Self.denseTag : 0) }

    var isDense: Bool { childCount >= Self.denseChildren }

    /// Slots held: 256 in a dense node, one per child otherwise.
    var slotCount: Int { isDense ? 256 : childCount }

    // MARK: Reading

    @inline(__always) func prefixWord(_ word: Int) -> UInt64 { raw.load(fromByteOffset: 8 &* word, as: UInt64.self) }
    @inline(__always) func childWord(_ word: Int) -> UInt64 {
        raw.load(fromByteOffset: Self.childBitmapOffset &+ 8 &* word, as: UInt64.self)
    }
    @inline(__always) var childCount: Int { Int(raw.load(fromByteOffset: 96, as: UInt16.self)) }
    @inline(__always) var prefixCount: Int { Int(raw.load(fromByteOffset: 98, as: UInt16.self)) }

    @inline(__always)
    func hasPrefix(_ index: Int) -> Bool { prefixWord(index &>> 6) & (1 &<< UInt64(index & 63)) != 0 }

    @inline(__always)
    func hasChild(_ byte: Int) -> Bool { childWord(byte &>> 6) & (1 &<< UInt64(byte & 63)) != 0 }

    @inline(__always)
    func prefixRank(_ index: Int) -> Int {
        let word = index &>> 6
        let below = prefixWord(word) & ((1 &<< UInt64(index & 63)) &- 1)
        return Int(raw.load(fromByteOffset: 104 &+ 2 &* word, as: UInt16.self)) &+ below.nonzeroBitCount
    }

    @inline(__always)
    func childRank(_ byte: Int) -> Int {
        let word = byte &>> 6
        let below = childWord(word) & ((1 &<< UInt64(byte & 63)) &- 1)
        return Int(raw.load(fromByteOffset: 100 &+ word, as: UInt8.self)) &+ below.nonzeroBitCount
    }

    /// The slot of child `rank` of a compact node, or of byte `rank` of a dense one (read with
    /// acquire: the writer replaces it in place).
    @inline(__always)
    func childSlot(_ rank: Int) -> UnsafeMutableRawPointer { raw + (Self.headerSize &+ 8 &* rank) }

    /// The slot of byte `byte`'s child, which exists (the writer's).
    func slot(forByte byte: Int) -> UnsafeMutableRawPointer { childSlot(isDense ? byte : childRank(byte)) }

    func childValue(forByte byte: Int) -> UInt { slot(forByte: byte).load(as: UInt.self) }

    /// The element of prefix `rank` (the writer's).
    func element(_ rank: Int) -> RouteElement { element(rank, dense: isDense) }

    /// The same for a reader, who knows from the node's value whether it is dense: a reader never
    /// reads a dense node's child bitmap or counts, which the writer changes in place
    /// (`setDenseChild`).
    @inline(__always)
    func element(_ rank: Int, dense: Bool) -> RouteElement {
        let slotBytes = dense ? 8 &* 256 : 8 &* Int(raw.load(fromByteOffset: 96, as: UInt16.self))
        return RouteElement(raw: raw.load(fromByteOffset: Self.headerSize &+ slotBytes &+ 4 &* rank, as: UInt32.self))
    }

    /// Asks for the lines past the node's first, ahead of the dependent loads a lookup makes there
    /// (child slot, element), so that in a table larger than the cache they come with the
    /// header's miss instead of after it.
    @inline(__always)
    func prefetchBody() {
        CWasixNetSystem_prefetch(raw + 64)
        CWasixNetSystem_prefetch(raw + 128)
        CWasixNetSystem_prefetch(raw + 192)
    }

    /// The prefix index of a prefix that ends `bits` bits into byte `byte` (0...8).
    @inline(__always)
    static func prefixIndex(byte: Int, bits: Int) -> Int { (1 &<< bits) | (byte &>> (8 &- bits)) }

    /// The longest of this node's prefixes that covers key byte `byte`, as a prefix index, or 0:
    /// the set bit of highest index among the byte's nine ancestors.
    @inline(__always)
    func longestPrefix(covering byte: Int) -> Int {
        if prefixWord(4 &+ byte &>> 6) & (1 &<< UInt64(byte & 63)) != 0 { return 256 &+ byte }
        let seven = byte &>> 1
        if prefixWord(2 &+ seven &>> 6) & (1 &<< UInt64(seven & 63)) != 0 { return 128 &+ seven }
        let six = byte &>> 2
        if prefixWord(1) & (1 &<< UInt64(six)) != 0 { return 64 &+ six }
        let hits = prefixWord(0) & CWasixNetSystem_route_trie_ancestor_bits(UInt32(truncatingIfNeeded: byte))
        return hits == 0 ? 0 : 63 &- hits.leadingZeroBitCount
    }

    // MARK: Building (the writer's, on nodes not yet published)

    /// A copy of `old` (nil: an empty node) with prefix `index` set to `element` (added, or
    /// replacing the one there), or taken out when `element` is nil.
    static func copy(of old: RouteTrieNode?, prefix index: Int, element: RouteElement?) -> RouteTrieNode {
        let id = element?.raw
        let had = old?.hasPrefix(index) ?? false
        let oldPrefixes = old?.prefixCount ?? 0, children = old?.childCount ?? 0
        let prefixes = oldPrefixes + (id != nil && !had ? 1 : 0) - (id == nil && had ? 1 : 0)
        let node = allocate(children: children, prefixes: prefixes, bitmapsFrom: old)
        node.setBit(word: index &>> 6, bit: index & 63, id != nil)
        node.finishHeader()
        if let old {
            node.childSlot(0).copyMemory(from: old.childSlot(0), byteCount: 8 * old.slotCount)
        }
        let rank = old?.prefixRank(index) ?? 0
        let target = node.elements
        var write = 0
        for read in 0..<oldPrefixes {
            if read == rank, let id { target[write] = id; write += 1 }
            if read == rank && had { continue }  // replaced or taken out
            target[write] = old!.element(read).raw
            write += 1
        }
        if !had, let id, rank == oldPrefixes { target[write] = id }
        return node
    }

    /// A copy of `old` (nil: an empty node) with a child slot for `byte` holding `value` (added,
    /// or replaced), or without one when `value` is nil.
    static func copy(of old: RouteTrieNode?, child byte: Int, value: UInt?) -> RouteTrieNode {
        let had = old?.hasChild(byte) ?? false
        let oldChildren = old?.childCount ?? 0, prefixes = old?.prefixCount ?? 0
        let children = oldChildren + (value != nil && !had ? 1 : 0) - (value == nil && had ? 1 : 0)
        let node = allocate(children: children, prefixes: prefixes, bitmapsFrom: old)
        node.setBit(word: 8 &+ byte &>> 6, bit: byte & 63, value != nil)
        node.finishHeader()
        if node.isDense { node.childSlot(0).initializeMemory(as: UInt.self, repeating: 0, count: 256) }
        var write = 0
        // Every child the new node has, in byte order (its bitmap is final): the old values, and
        // `value` at `byte`.
        for word in 0..<4 {
            var bits = node.childWord(word)
            while bits != 0 {
                let child = 64 * word + bits.trailingZeroBitCount
                bits &= bits - 1
                let childValue = child == byte ? value! : old!.childValue(forByte: child)
                node.childSlot(node.isDense ? child : write).storeBytes(of: childValue, as: UInt.self)
                write += 1
            }
        }
        if prefixes > 0, let old {
            UnsafeMutableRawPointer(node.elements.baseAddress!).copyMemory(from: old.raw + headerSize + 8 * old.slotCount,
                                                                               byteCount: 4 * prefixes)
        }
        return node
    }

    /// The children's values in byte order (the writer's view: it alone stores them).
    func forEachChildValue(_ body: (UInt) -> Void) {
        for word in 0..<4 {
            var bits = childWord(word)
            while bits != 0 {
                body(childValue(forByte: 64 * word + bits.trailingZeroBitCount))
                bits &= bits - 1
            }
        }
    }

    /// Gives a dense node a child at `byte` (which it has not) or takes its child there away, in
    /// place, when it stays dense: readers of a dense node read only its prefixes and its slots
    /// (the value says it is dense), so the one release store of the slot is the whole change for
    /// them, and the bitmap and counts are the writer's own bookkeeping. Adding a route below a
    /// big table's root then costs a store, not a copy of the root's 2 KB of slots.
    func setDenseChild(_ byte: Int, _ value: UInt?) {
        RawAtomic.storeWord(value ?? 0, childSlot(byte))
        setBit(word: 8 &+ byte &>> 6, bit: byte & 63, value != nil)
        raw.storeBytes(of: UInt16(childCount + (value != nil ? 1 : -1)), toByteOffset: 96, as: UInt16.self)
        countChildren()
    }

    /// Whether a dense node keeps `change` children more (or fewer) and stays dense.
    func staysDense(adding change: Int) -> Bool { isDense && childCount + change >= Self.denseChildren }

    /// The value of the only child of a node that has one.
    var onlyChildValue: UInt { childSlot(0).load(as: UInt.self) }

    var isEmpty: Bool { childCount == 0 && prefixCount == 0 }

    private static func allocate(children: Int, prefixes: Int, bitmapsFrom old: RouteTrieNode?) -> RouteTrieNode {
        let slots = children >= denseChildren ? 256 : children
        let node = RouteTrieNode(allocateBlock(headerSize + 8 * slots + 4 * prefixes))
        if let old {
            node.raw.copyMemory(from: old.raw, byteCount: 96)
        } else {
            node.raw.initializeMemory(as: UInt8.self, repeating: 0, count: 96)
        }
        node.raw.storeBytes(of: UInt16(children), toByteOffset: 96, as: UInt16.self)
        node.raw.storeBytes(of: UInt16(prefixes), toByteOffset: 98, as: UInt16.self)
        return node
    }

    /// Sets or clears a bit of the twelve bitmap words (prefix words 0..<8, child words 8..<12).
    private func setBit(word: Int, bit: Int, _ on: Bool) {
        let old = raw.load(fromByteOffset: 8 * word, as: UInt64.self)
        raw.storeBytes(of: on ? old | 1 << UInt64(bit) : old & ~(1 << UInt64(bit)), toByteOffset: 8 * word, as: UInt64.self)
    }

    /// Writes the per-word counts from the bitmaps.
    private func finishHeader() {
        countChildren()
        var total = 0
        for word in 0..<8 {
            raw.storeBytes(of: UInt16(total), toByteOffset: 104 + 2 * word, as: UInt16.self)
            total += prefixWord(word).nonzeroBitCount
        }
    }

    /// Writes the per-word child counts from the child bitmap (only: `setDenseChild` calls it on a
    /// published node, whose prefix counts readers read).
    private func countChildren() {
        var total = 0
        for word in 0..<4 {
            raw.storeBytes(of: UInt8(truncatingIfNeeded: total), toByteOffset: 100 + word, as: UInt8.self)
            total += childWord(word).nonzeroBitCount
        }
    }

    private var elements: UnsafeMutableBufferPointer<UInt32> {
        UnsafeMutableBufferPointer(start: (raw + Self.headerSize + 8 * slotCount).assumingMemoryBound(to: UInt32.self),
                                   count: prefixCount)
    }
}
