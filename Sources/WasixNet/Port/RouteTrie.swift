import CWasixNetSystem

/// Longest-prefix match for one address family over `RouteTrieNode`s, safe for readers that run
/// without the port's lock while one writer changes it (wasixnet.h [port.concurrency]).
///
/// No leaf pushing: a prefix is stored once, in the node of its last byte (or as a leaf in a
/// child slot, when it is alone below it), so a change touches one node. Nodes never change once
/// published, except their child slots: a write builds a new copy of the node it changes and
/// publishes it with ONE release store, into the parent's existing child slot (in place) or, when
/// the parent's bitmaps must change too, into the slot above a new copy of the parent (and so on
/// up to a slot that exists, or the family's root pointer). A dense node that gains or loses a
/// child and stays dense is not copied: its slot is stored in place, and its child bitmap and
/// counts, which no reader of a dense node reads, change in place (`RouteTrieNode.setDenseChild`).
/// Every write therefore takes effect for readers at a single store; the nodes it replaced are
/// retired (handed to the owner, freed once no reader can hold them), never freed by the write.
///
/// A lookup walks down while the key's byte has a child, remembering the deepest node with a
/// prefix covering the key, and stops at a leaf that covers the key (a leaf is deeper than any
/// node above it). Exact matches come from the same walk (`find`), so no separate index is kept.
enum RouteTrie<Key: RouteKey> {
    /// What a change below a slot asks of it.
    enum Change {
        /// Nothing (the change was stored in place below).
        case none
        /// Store this value (a node, a leaf, or 0: nothing left) in the slot.
        case replace(UInt)
    }

    @inline(__always)
    static func depth(ofLength length: Int) -> Int { length == 0 ? 0 : (length &- 1) / 8 }

    @inline(__always)
    static func prefixIndex(_ key: Key, length: Int) -> Int {
        let depth = depth(ofLength: length)
        return RouteTrieNode.prefixIndex(byte: key.byte(at: depth), bits: length &- 8 &* depth)
    }

    /// A leaf's slot value (64 bits): 1 in bit 0, the prefix's element in bits 1...32, its length
    /// minus one in bits 33...39, and its last 24 bits (all of them when it is shorter) in bits
    /// 40...63. A lookup that reaches a leaf has matched the key's bytes down to the leaf's slot,
    /// so when those 24 bits reach back that far, comparing them settles whether the prefix covers
    /// the key without reading its record (an IPv4 leaf always, an IPv6 one up to 24 bits past its
    /// slot: a /48 below a depth-2 node); a longer leaf is checked against its record. The value
    /// says nothing of the depth it sits at, so a leaf keeps it as the writer moves it up or down.
    @inline(__always)
    static func leafValue(_ element: RouteElement, _ prefix: Key, length: Int) -> UInt {
        UInt(element.raw) &<< 1 | 1 | UInt(length &- 1) &<< leafLengthShift | tail(prefix, length: length) &<< leafTailShift
    }

    @inline(__always) static var leafLengthShift: UInt { 33 }
    @inline(__always) static var leafTailShift: UInt { 40 }
    @inline(__always) static var leafTailBits: Int { 24 }

    /// The last `leafTailBits` of the first `length` bits of `key` (1...128), right-aligned.
    @inline(__always)
    static func tail(_ key: Key, length: Int) -> UInt {
        UInt(truncatingIfNeeded: key &>> (Key.bitWidth &- length)) & (1 &<< UInt(leafTailBits) &- 1)
    }

    /// Whether a leaf of `length` in a slot of a node at `depth` is settled by its tail: the path
    /// down to the slot matched the key's first 8 * (depth + 1) bits, the tail covers the rest.
    @inline(__always)
    static func tailSettles(length: Int, depth: Int) -> Bool { length <= 8 &* (depth &+ 1) &+ leafTailBits }

    /// The tail a leaf's slot value holds.
    @inline(__always)
    static func leafTail(_ value: UInt) -> UInt { value &>> leafTailShift }

    /// The slot value of the leaf for record `element` (read from its record: the writer's).
    static func leafValue(_ element: RouteElement, header: UnsafeMutableRawPointer) -> UInt {
        let record = RouteRecords.record(header, Key.self, element.recordIndex)
        return leafValue(element, RouteRecords.destination(record, Key.self), length: RouteRecords.prefixLength(record, Key.self))
    }

    @inline(__always)
    static func leafElement(_ value: UInt) -> RouteElement { RouteElement(raw: UInt32(truncatingIfNeeded: value &>> 1)) }

    @inline(__always)
    static func leafLength(_ value: UInt) -> Int { Int(truncatingIfNeeded: value &>> leafLengthShift & 0x7f) &+ 1 }

    /// What a lookup found: the longest prefix's element (raw 0: none) and the prefix's length.
    struct Match {
        let element: RouteElement
        let length: Int
        static var none: Match { Match(element: RouteElement(raw: 0), length: 0) }
        @inline(__always) var recordIndex: UInt32 { element.recordIndex }
    }

    @inline(__always)
    static func rootSlot(_ header: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
        header + RouteTableHeader.rootOffset(Key.familyIndex)
    }

    // MARK: Reading (any thread)

    /// The longest prefix covering `key` (`Match.none` when there is none).
    @inline(__always)
    static func lookup(_ key: Key, header: UnsafeMutableRawPointer) -> Match {
        lookup(key, header: header, root: RawAtomic.loadWord(rootSlot(header)))
    }

    /// The same walk from a root value read earlier (what a lookup holds if it is stopped after
    /// its first load: the tests show what it can then see, LookupConsistencyTests).
    @inline(__always)
    static func lookup(_ key: Key, header: UnsafeMutableRawPointer, root: UInt) -> Match {
        var value = root
        guard value != 0 else { return .none }
        var node = RouteTrieNode(nodeValue: value)
        var best = node, bestIndex = 0, bestIsDense = false, bestDepth = 0, depth = 0
        while true {
            let byte = key.byte(at: depth)
            let index = node.longestPrefix(covering: byte)
            let isDense = value & RouteTrieNode.denseTag != 0
            if index != 0 { (best, bestIndex, bestIsDense, bestDepth) = (node, index, isDense, depth) }
            if isDense {
                value = RawAtomic.loadWord(node.childSlot(byte))
                guard value != 0 else { break }
            } else {
                guard node.hasChild(byte) else { break }
                value = RawAtomic.loadWord(node.childSlot(node.childRank(byte)))
            }
            if value & 1 != 0 {
                let length = leafLength(value)
                if tailSettles(length: length, depth: depth) {
                    if tail(key, length: length) == leafTail(value) { return Match(element: leafElement(value), length: length) }
                    break
                }
                let record = RouteRecords.record(header, Key.self, leafElement(value).recordIndex)
                if key.lies(in: RouteRecords.destination(record, Key.self), length: length) {
                    return Match(element: leafElement(value), length: length)
                }
                break
            }
            node = RouteTrieNode(nodeValue: value)
            if value & RouteTrieNode.denseTag == 0 { node.prefetchBody() }
            depth &+= 1
        }
        guard bestIndex != 0 else { return .none }
        // A prefix index's highest bit says how many bits of its node's byte the prefix takes.
        return Match(element: best.element(best.prefixRank(bestIndex), dense: bestIsDense),
                     length: bestDepth &* 8 &+ (Int.bitWidth &- 1 &- bestIndex.leadingZeroBitCount))
    }

    // MARK: Writing (the writer only)

    /// The record index stored for exactly `key/length`, or 0.
    static func find(_ key: Key, length: Int, header: UnsafeMutableRawPointer) -> UInt32 {
        var value = RawAtomic.loadWord(rootSlot(header))
        let target = depth(ofLength: length)
        var depth = 0
        while let node = RouteTrieNode(value: value) {
            if depth == target {
                let index = prefixIndex(key, length: length)
                return node.hasPrefix(index) ? node.element(node.prefixRank(index)).recordIndex : 0
            }
            let byte = key.byte(at: depth)
            guard node.hasChild(byte) else { return 0 }
            value = node.childValue(forByte: byte)
            depth += 1
        }
        guard value & 1 != 0 else { return 0 }
        let leaf = leafElement(value).recordIndex
        return matches(leaf, key, length, header) ? leaf : 0
    }

    /// Calls `body` with the record index of every prefix stored at `key` with a length in
    /// `lengths`, shortest first: one walk down the key's path for what `find` would answer at
    /// each length. The caller passes only lengths at which `key` has no bit set past the prefix
    /// (`IPAddress.lengthsAsNetwork`), so that each is a network whose address is `key`.
    static func forEachPrefix(at key: Key, lengths: ClosedRange<Int>, header: UnsafeMutableRawPointer,
                              _ body: (UInt32) -> Void) {
        var value = RawAtomic.loadWord(rootSlot(header))
        var depth = 0
        while let node = RouteTrieNode(value: value) {
            // A node at depth d holds the lengths 8d + 1 ... 8d + 8 (the root 0 ... 8 too).
            let first = max(depth == 0 ? 0 : 8 * depth + 1, lengths.lowerBound), last = min(8 * depth + 8, lengths.upperBound)
            if first <= last {
                for length in first...last {
                    let index = prefixIndex(key, length: length)
                    if node.hasPrefix(index) { body(node.element(node.prefixRank(index)).recordIndex) }
                }
            }
            guard 8 * depth + 8 < lengths.upperBound else { return }
            let byte = key.byte(at: depth)
            guard node.hasChild(byte) else { return }
            value = node.childValue(forByte: byte)
            depth += 1
        }
        // A leaf: one prefix, deeper than the node above it.
        guard value & 1 != 0 else { return }
        let leaf = leafElement(value).recordIndex
        let record = RouteRecords.record(header, Key.self, leaf)
        if RouteRecords.destination(record, Key.self) == key && lengths.contains(RouteRecords.prefixLength(record, Key.self)) {
            body(leaf)
        }
    }

    /// Makes `key/length` (no bits set past `length`) lead to record `index` (written already),
    /// in place of what it led to, if anything.
    static func set(_ key: Key, length: Int, to index: UInt32, header: UnsafeMutableRawPointer,
                    retired: inout [UnsafeMutableRawPointer]) {
        let element = RouteElement.of(record: index, header: header, Key.self)
        let slot = rootSlot(header)
        // An empty family starts from an empty node (never published: the insert copies it).
        let root = RouteTrieNode(value: RawAtomic.loadWord(slot)) ?? RouteTrieNode.copy(of: nil, child: 0, value: nil)
        if case .replace(let value) = insert(into: root, depth: 0, key, length: length, element: element, header: header,
                                             retired: &retired) {
            RawAtomic.storeWord(value, slot)
        }
    }

    /// Makes `key/length` lead nowhere.
    static func remove(_ key: Key, length: Int, header: UnsafeMutableRawPointer, retired: inout [UnsafeMutableRawPointer]) {
        let slot = rootSlot(header)
        guard let root = RouteTrieNode(value: RawAtomic.loadWord(slot)) else { return }
        if case .replace(let value) = remove(from: root, depth: 0, key, length: length, isRoot: true, header: header,
                                             retired: &retired) {
            RawAtomic.storeWord(value, slot)
        }
    }

    private static func matches(_ leaf: UInt32, _ key: Key, _ length: Int, _ header: UnsafeMutableRawPointer) -> Bool {
        let record = RouteRecords.record(header, Key.self, leaf)
        return RouteRecords.destination(record, Key.self) == key && RouteRecords.prefixLength(record, Key.self) == length
    }

    private static func insert(into node: RouteTrieNode, depth: Int, _ key: Key, length: Int, element: RouteElement,
                               header: UnsafeMutableRawPointer, retired: inout [UnsafeMutableRawPointer]) -> Change {
        if depth == Self.depth(ofLength: length) {
            retired.append(node.raw)
            return .replace(RouteTrieNode.copy(of: node, prefix: prefixIndex(key, length: length), element: element).value)
        }
        let byte = key.byte(at: depth)
        guard node.hasChild(byte) else {
            if node.staysDense(adding: 1) {
                node.setDenseChild(byte, leafValue(element, key, length: length))
                return .none
            }
            retired.append(node.raw)
            return .replace(RouteTrieNode.copy(of: node, child: byte, value: leafValue(element, key, length: length)).value)
        }
        let slot = node.slot(forByte: byte)
        let value = slot.load(as: UInt.self)
        let child: RouteTrieNode
        if let existing = RouteTrieNode(value: value) {
            child = existing
        } else {
            let other = leafElement(value)
            if matches(other.recordIndex, key, length, header) {
                RawAtomic.storeWord(leafValue(element, key, length: length), slot)
                return .none
            }
            child = pushedDown(value, depth: depth + 1, header: header)
        }
        switch insert(into: child, depth: depth + 1, key, length: length, element: element, header: header,
                      retired: &retired) {
        case .none: RawAtomic.storeWord(child.value, slot)
        case .replace(let replacement): RawAtomic.storeWord(replacement, slot)
        }
        return .none
    }

    /// A new node at `depth` holding only the leaf `leaf` (a slot value, which was alone above it).
    private static func pushedDown(_ leaf: UInt, depth: Int, header: UnsafeMutableRawPointer) -> RouteTrieNode {
        let element = leafElement(leaf)
        let record = RouteRecords.record(header, Key.self, element.recordIndex)
        let key = RouteRecords.destination(record, Key.self), length = RouteRecords.prefixLength(record, Key.self)
        if Self.depth(ofLength: length) == depth {
            return RouteTrieNode.copy(of: nil, prefix: prefixIndex(key, length: length), element: element)
        }
        return RouteTrieNode.copy(of: nil, child: key.byte(at: depth), value: leaf)
    }

    private static func remove(from node: RouteTrieNode, depth: Int, _ key: Key, length: Int, isRoot: Bool,
                               header: UnsafeMutableRawPointer, retired: inout [UnsafeMutableRawPointer]) -> Change {
        if depth == Self.depth(ofLength: length) {
            let index = prefixIndex(key, length: length)
            guard node.hasPrefix(index) else { return .none }
            retired.append(node.raw)
            return normalized(RouteTrieNode.copy(of: node, prefix: index, element: nil), isRoot: isRoot, header: header)
        }
        let byte = key.byte(at: depth)
        guard node.hasChild(byte) else { return .none }
        let slot = node.slot(forByte: byte)
        let value = slot.load(as: UInt.self)
        if let child = RouteTrieNode(value: value) {
            switch remove(from: child, depth: depth + 1, key, length: length, isRoot: false, header: header, retired: &retired) {
            case .none:
                return .none
            case .replace(let replacement) where replacement != 0:
                // A leaf that is now this node's only content moves up past it (the same shape an
                // insertion of what is left would have built).
                if replacement & 1 != 0 && !isRoot && node.prefixCount == 0 && node.childCount == 1 {
                    retired.append(node.raw)
                    return .replace(replacement)
                }
                RawAtomic.storeWord(replacement, slot)
                return .none
            case .replace:
                break  // the child is gone: this node loses its slot
            }
        } else if !matches(leafElement(value).recordIndex, key, length, header) {
            return .none
        }
        if node.staysDense(adding: -1) {
            node.setDenseChild(byte, nil)
            return .none
        }
        retired.append(node.raw)
        return normalized(RouteTrieNode.copy(of: node, child: byte, value: nil), isRoot: isRoot, header: header)
    }

    /// What a slot should hold instead of `node` (new, unpublished): nothing for an empty node;
    /// below the root, a node holding one prefix alone, or one leaf alone, gives way to a leaf
    /// (it is deeper than the slot). So the shape depends only on the prefixes held, never on the
    /// order they came and went in: a prefix alone below a slot is always a leaf.
    private static func normalized(_ node: RouteTrieNode, isRoot: Bool, header: UnsafeMutableRawPointer) -> Change {
        if node.isEmpty {
            free(node.raw)
            return .replace(0)
        }
        if !isRoot && node.prefixCount == 1 && node.childCount == 0 {
            let leaf = leafValue(node.element(0), header: header)
            free(node.raw)
            return .replace(leaf)
        }
        if !isRoot && node.prefixCount == 0 && node.childCount == 1 && node.onlyChildValue & 1 != 0 {
            let leaf = node.onlyChildValue
            free(node.raw)
            return .replace(leaf)
        }
        return .replace(node.value)
    }

    // MARK: Walks

    /// Calls `body` with every node reachable from the family's root, children before their
    /// parent (so that `body` may free each node it is given), and with every leaf's record index.
    static func forEachNode(header: UnsafeMutableRawPointer, leaf: (UInt32) -> Void = { _ in },
                            _ body: (RouteTrieNode) -> Void) {
        forEachNode(below: RawAtomic.loadWord(rootSlot(header)), leaf: leaf, body)
    }

    private static func forEachNode(below value: UInt, leaf: (UInt32) -> Void, _ body: (RouteTrieNode) -> Void) {
        if value & 1 != 0 { leaf(leafElement(value).recordIndex); return }
        guard let node = RouteTrieNode(value: value) else { return }
        node.forEachChildValue { forEachNode(below: $0, leaf: leaf, body) }
        body(node)
    }
}
