/// Longest-prefix match for one address family: a multibit trie with leaf pushing and path
/// compression.
///
/// The first 12 bits of a key index a root array of 4096 slots; every later level is a node of
/// 16 slots (4 bits, one 64-byte cache line). A slot holds one of three things:
/// - the id of the best entry covering that slot's whole range (0: none) — a leaf;
/// - a child node;
/// - a skip edge: a run of bits that every longer prefix below the slot shares. Keys that follow
///   the run continue at the edge's target; keys that leave it get the edge's fallback (what the
///   other slots of each skipped node would all have held). A prefix that is alone below a slot
///   hangs from one edge straight to its id, whatever its length; sparse tables — IPv6 above
///   all, where a /48 would otherwise hang from a chain of nine single-child nodes — cost one
///   edge a prefix instead of the chain. Nodes appear only where prefixes branch.
/// Every slot therefore answers for its range by itself, and a lookup is one load per level with
/// no backtracking, whatever the number of prefixes.
///
/// "Best" is decided by a rank per entry id, supplied by the owner: a longer prefix ranks higher,
/// and the owner breaks ties between entries of equal length. Root and nodes live in one flat
/// array and edges in another, so the structure is a handful of allocations however large it
/// grows; freed nodes and edges are reused. Keys are left-aligned in `Key` (an IPv4 address is a
/// UInt32, IPv6 a UInt128).
///
/// Invariants: an edge's fallback covers the edge's whole slot range (always); and, after a
/// removal, no node on its path holds 16 equal leaves, or 15 beside one other value (that is an
/// edge), and no edge's target is its own fallback or an edge with the same fallback.
struct PrefixTrie<Key: FixedWidthInteger & UnsignedInteger> {
    private struct Edge {
        /// The skipped bits, right-aligned.
        var bits: Key
        var fallback: UInt32
        /// A slot value: leaf, node or (never an edge with the same fallback) edge. An edge whose
        /// length is not a whole number of nibbles always leads to a leaf: walks never pass
        /// through it (they take it apart first), so nodes stay on nibble boundaries.
        var target: UInt32
        var bitCount: UInt8
    }

    private static var rootBits: Int { 12 }
    private static var rootSlots: Int { 1 << rootBits }
    private static var strideBits: Int { 4 }
    private static var nodeSlots: Int { 1 << strideBits }
    private static var internalFlag: UInt32 { 0x8000_0000 }
    private static var edgeFlag: UInt32 { 0x4000_0000 }
    private static var indexMask: UInt32 { 0x3fff_ffff }

    /// The largest entry id a leaf can hold.
    static var maxID: UInt32 { indexMask }

    /// The root's 4096 slots, then every node's 16. Empty until the first insertion.
    private var slots: [UInt32] = []
    private var freeNodes: [UInt32] = []
    private var edges: [Edge] = []
    private var freeEdges: [UInt32] = []

    /// Nodes and edges in use below the root.
    private(set) var nodeCount = 0
    private(set) var edgeCount = 0

    /// Slots allocated, the root's included.
    var slotCount: Int { slots.count }

    // MARK: Slot values

    @inline(__always) private static func isInternal(_ value: UInt32) -> Bool { value & internalFlag != 0 }
    @inline(__always) private static func isEdge(_ value: UInt32) -> Bool { value & edgeFlag != 0 }
    @inline(__always) private static func index(_ value: UInt32) -> Int { Int(value & indexMask) }
    @inline(__always) private static func nodeValue(_ node: Int) -> UInt32 { internalFlag | UInt32(node) }
    @inline(__always) private static func edgeValue(_ edge: Int) -> UInt32 { internalFlag | edgeFlag | UInt32(edge) }
    @inline(__always) private static func firstSlot(ofNode node: Int) -> Int { rootSlots + node * nodeSlots }

    /// The `bits` bits of `key` that start `depth` bits from its most significant end.
    @inline(__always)
    private static func bits(of key: Key, at depth: Int, count: Int) -> Key {
        (key &<< depth) &>> (Key.bitWidth - count)
    }

    @inline(__always)
    private static func nibble(of key: Key, at depth: Int) -> Int {
        Int(truncatingIfNeeded: bits(of: key, at: depth, count: strideBits))
    }

    // MARK: Lookup

    /// The id of the best entry whose prefix covers `key`, or 0.
    @inline(__always)
    func lookup(_ key: Key) -> UInt32 {
        slots.withUnsafeBufferPointer { slots in
            guard !slots.isEmpty else { return 0 }
            var value = slots[Int(truncatingIfNeeded: Self.bits(of: key, at: 0, count: Self.rootBits))]
            var depth = Self.rootBits
            while Self.isInternal(value) {
                if !Self.isEdge(value) {
                    value = slots[Self.firstSlot(ofNode: Self.index(value)) + Self.nibble(of: key, at: depth)]
                    depth += Self.strideBits
                    continue
                }
                let edge = edges.withUnsafeBufferPointer { $0[Self.index(value)] }
                let span = Int(edge.bitCount)
                guard Self.bits(of: key, at: depth, count: span) == edge.bits else { return edge.fallback }
                value = edge.target
                depth += span
            }
            return value
        }
    }

    // MARK: Locations

    /// Where a slot value lives: an arena slot (root or node), or the target of an edge.
    private enum Location {
        case slot(Int)
        case edgeTarget(Int)
    }

    private func value(at location: Location) -> UInt32 {
        switch location {
        case .slot(let slot): slots[slot]
        case .edgeTarget(let edge): edges[edge].target
        }
    }

    private mutating func set(_ value: UInt32, at location: Location) {
        switch location {
        case .slot(let slot): slots[slot] = value
        case .edgeTarget(let edge): edges[edge].target = value
        }
    }

    /// Where a walk toward `key/length` goes from the internal value at `location`, whose range
    /// ends `below` bits deep: the next location and its depth, or nil when the value is an edge
    /// the prefix does not pass all the way through.
    private func step(from value: UInt32, below: Int, toward key: Key, length: Int) -> (Location, depth: Int, width: Int)? {
        if !Self.isEdge(value) {
            return (.slot(Self.firstSlot(ofNode: Self.index(value)) + Self.nibble(of: key, at: below)), below, Self.strideBits)
        }
        let edge = edges[Self.index(value)]
        let span = Int(edge.bitCount)
        guard span % Self.strideBits == 0, length > below + span,
              Self.bits(of: key, at: below, count: span) == edge.bits else { return nil }
        return (.edgeTarget(Self.index(value)), below + span, 0)
    }

    // MARK: Insertion

    /// Makes entry `id` answer for every part of `network/length` where no higher-ranked entry
    /// does. `network` has no bits set past `length`.
    mutating func insert(_ network: Key, length: Int, id: UInt32, ranks: [UInt16]) {
        if slots.isEmpty { slots = [UInt32](repeating: 0, count: Self.rootSlots) }
        let rank = ranks[Int(id)]
        var location = Location.slot(Int(truncatingIfNeeded: Self.bits(of: network, at: 0, count: Self.rootBits)))
        var depth = 0, width = Self.rootBits
        while true {
            if length <= depth + width, case .slot(let slot) = location {
                for covered in slot..<(slot + 1 << (depth + width - length)) {
                    slots[covered] = painted(slots[covered], with: id, rank: rank, ranks: ranks)
                }
                return
            }
            let below = depth + width
            let value = self.value(at: location)
            if !Self.isInternal(value) {
                // Below a leaf the prefix is alone: one edge leads straight to it (the leaf, which
                // covers the whole slot, answers everywhere else, and ranks lower).
                let edge = Edge(bits: Self.bits(of: network, at: below, count: length - below), fallback: value,
                                target: id, bitCount: UInt8(length - below))
                set(Self.edgeValue(allocateEdge(edge)), at: location)
                return
            }
            guard let next = step(from: value, below: below, toward: network, length: length) else {
                expandEdge(at: location)
                continue
            }
            (location, depth, width) = next
        }
    }

    /// Turns the edge at `location` back into a node for its first nibble: the rest stays an edge,
    /// or, for an edge shorter than a nibble (which leads to a leaf), the slots it matches take
    /// the leaf.
    private mutating func expandEdge(at location: Location) {
        let edgeIndex = Self.index(value(at: location))
        let edge = edges[edgeIndex]
        let node = allocateNode(filledWith: edge.fallback), base = Self.firstSlot(ofNode: node)
        let bitCount = Int(edge.bitCount)
        if bitCount < Self.strideBits {
            let matched = Self.strideBits - bitCount
            let first = Int(truncatingIfNeeded: edge.bits) << matched
            for slot in first..<(first + 1 << matched) { slots[base + slot] = edge.target }
            freeEdge(edgeIndex)
        } else {
            let rest = bitCount - Self.strideBits
            let first = Int(truncatingIfNeeded: edge.bits &>> rest)
            if rest == 0 {
                slots[base + first] = edge.target
                freeEdge(edgeIndex)
            } else {
                edges[edgeIndex].bitCount = UInt8(rest)
                edges[edgeIndex].bits = edge.bits & ((Key(1) &<< rest) &- 1)
                slots[base + first] = Self.edgeValue(edgeIndex)
            }
        }
        set(Self.nodeValue(node), at: location)
    }

    /// `value` with entry `id` answering wherever a lower-ranked entry did.
    private mutating func painted(_ value: UInt32, with id: UInt32, rank: UInt16, ranks: [UInt16]) -> UInt32 {
        guard Self.isInternal(value) else { return ranks[Int(value)] < rank ? id : value }
        if Self.isEdge(value) {
            let edge = Self.index(value)
            if ranks[Int(edges[edge].fallback)] < rank { edges[edge].fallback = id }
            edges[edge].target = painted(edges[edge].target, with: id, rank: rank, ranks: ranks)
            return value
        }
        let base = Self.firstSlot(ofNode: Self.index(value))
        for slot in base..<(base + Self.nodeSlots) { slots[slot] = painted(slots[slot], with: id, rank: rank, ranks: ranks) }
        return value
    }

    // MARK: Removal

    /// Takes entry `id` (which covered `network/length`) out: wherever it answered, `replacement`
    /// (the best remaining entry covering the whole prefix, or 0) answers instead. Structure that
    /// no longer distinguishes anything folds back.
    mutating func remove(_ network: Key, length: Int, id: UInt32, replacement: UInt32) {
        guard !slots.isEmpty else { return }
        remove(network, length: length, id: id, replacement: replacement,
               at: .slot(Int(truncatingIfNeeded: Self.bits(of: network, at: 0, count: Self.rootBits))),
               depth: 0, width: Self.rootBits)
    }

    private mutating func remove(_ network: Key, length: Int, id: UInt32, replacement: UInt32,
                                 at location: Location, depth: Int, width: Int) {
        if length <= depth + width, case .slot(let slot) = location {
            for covered in slot..<(slot + 1 << (depth + width - length)) {
                slots[covered] = repainted(slots[covered], from: id, to: replacement)
            }
            return
        }
        let below = depth + width
        var value = self.value(at: location)
        guard Self.isInternal(value) else { return }
        var next = step(from: value, below: below, toward: network, length: length)
        if next == nil {
            // The prefix ends inside the edge (or leaves it): walk it as the nodes it stands
            // for; the fold below compresses them again.
            expandEdge(at: location)
            value = self.value(at: location)
            next = step(from: value, below: below, toward: network, length: length)
        }
        guard let (child, childDepth, childWidth) = next else { return }
        remove(network, length: length, id: id, replacement: replacement, at: child, depth: childDepth, width: childWidth)
        set(normalized(self.value(at: location)), at: location)
    }

    private mutating func repainted(_ value: UInt32, from id: UInt32, to replacement: UInt32) -> UInt32 {
        guard Self.isInternal(value) else { return value == id ? replacement : value }
        if Self.isEdge(value) {
            let edge = Self.index(value)
            if edges[edge].fallback == id { edges[edge].fallback = replacement }
            edges[edge].target = repainted(edges[edge].target, from: id, to: replacement)
        } else {
            let base = Self.firstSlot(ofNode: Self.index(value))
            for slot in base..<(base + Self.nodeSlots) { slots[slot] = repainted(slots[slot], from: id, to: replacement) }
        }
        return normalized(value)
    }

    // MARK: Folding

    /// `value` in its simplest form: a node of 16 equal leaves becomes the leaf; a node of 15
    /// equal leaves beside one child becomes an edge; an edge to its own fallback becomes the
    /// leaf; an edge to an edge with the same fallback becomes one edge.
    private mutating func normalized(_ value: UInt32) -> UInt32 {
        guard Self.isInternal(value) else { return value }
        if Self.isEdge(value) { return normalizedEdge(Self.index(value)) }
        let node = Self.index(value), base = Self.firstSlot(ofNode: node)
        // The answer that fills 15 or 16 slots, if one does, and the slot that differs.
        let first = slots[base]
        var odd = -1, matches = 0
        for slot in 0..<Self.nodeSlots {
            if slots[base + slot] == first { matches += 1 } else { odd = slot }
        }
        var common = first
        if matches == 1 {
            // The odd one may be the first slot: then all the others must agree.
            common = slots[base + 1]
            odd = 0
            for slot in 1..<Self.nodeSlots where slots[base + slot] != common { return value }
        } else if matches < Self.nodeSlots - 1 {
            return value
        }
        guard !Self.isInternal(common) else { return value }
        let oddValue = odd >= 0 ? slots[base + odd] : common
        freeNode(node)
        guard odd >= 0 else { return common }
        return normalizedEdge(allocateEdge(Edge(bits: Key(odd), fallback: common, target: oddValue,
                                                bitCount: UInt8(Self.strideBits))))
    }

    private mutating func normalizedEdge(_ edge: Int) -> UInt32 {
        let target = edges[edge].target, fallback = edges[edge].fallback
        if !Self.isInternal(target) && target == fallback {
            freeEdge(edge)
            return fallback
        }
        if Self.isEdge(target) && edges[Self.index(target)].fallback == fallback {
            let inner = edges[Self.index(target)]
            edges[edge].bits = edges[edge].bits &<< Int(inner.bitCount) | inner.bits
            edges[edge].bitCount += inner.bitCount
            edges[edge].target = inner.target
            freeEdge(Self.index(target))
        }
        return Self.edgeValue(edge)
    }

    // MARK: Storage

    private mutating func allocateNode(filledWith value: UInt32) -> Int {
        nodeCount += 1
        if let node = freeNodes.popLast() {
            let base = Self.firstSlot(ofNode: Int(node))
            for slot in base..<(base + Self.nodeSlots) { slots[slot] = value }
            return Int(node)
        }
        let node = (slots.count - Self.rootSlots) / Self.nodeSlots
        slots.append(contentsOf: repeatElement(value, count: Self.nodeSlots))
        return node
    }

    private mutating func freeNode(_ node: Int) {
        freeNodes.append(UInt32(node))
        nodeCount -= 1
    }

    private mutating func allocateEdge(_ edge: Edge) -> Int {
        edgeCount += 1
        if let index = freeEdges.popLast() {
            edges[Int(index)] = edge
            return Int(index)
        }
        edges.append(edge)
        return edges.count - 1
    }

    private mutating func freeEdge(_ edge: Int) {
        freeEdges.append(UInt32(edge))
        edgeCount -= 1
    }
}
