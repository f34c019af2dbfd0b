/// What an entry of a `FamilyTable` is and has.
struct EntryFlags: OptionSet {
    let rawValue: UInt8
    static let live = EntryFlags(rawValue: 1)
    static let route = EntryFlags(rawValue: 2)
    static let router = EntryFlags(rawValue: 4)
    /// The owner holds lifetimes for this entry.
    static let lifetimes = EntryFlags(rawValue: 8)
    /// The owner holds a flow info or scope id for this entry.
    static let scopes = EntryFlags(rawValue: 16)
}

/// The entries of one address family — explicit routes and the port's own (on-link) prefixes —
/// stored compactly and indexed two ways: a trie answers longest-prefix lookups, and a hash
/// index per kind answers exact questions (is this prefix taken? what covers it once an entry
/// goes?). Entries are named by a local index (0: none); the owner keeps anything rare (lifetimes,
/// IPv6 flow info and scope ids) beside them.
struct FamilyTable<Key: FixedWidthInteger & UnsignedInteger> {
    typealias Flags = EntryFlags

    /// One route or own prefix: 24 bytes for IPv4, 48 for IPv6.
    struct Entry {
        var destination: Key = 0
        var router: Key = 0
        /// Insertion-order links between routes (the owner's ids; 0 ends the list).
        var previous: UInt32 = 0
        var next: UInt32 = 0
        /// For an own prefix: how many own addresses lie in it.
        var references: UInt32 = 0
        var prefixLength: UInt8 = 0
        var flags: Flags = []
    }

    private(set) var trie = PrefixTrie<Key>()
    private var entries = [Entry()]
    /// Per index: 0 for none, then 2 per prefix length, an explicit route one above an own prefix.
    private var ranks: [UInt16] = [0]
    private var freeIndices: [UInt32] = []
    private var routes = PrefixIndex()
    private var onLink = PrefixIndex()
    /// How many entries of either kind have each prefix length, so searches skip empty lengths.
    private var entriesByLength = [Int](repeating: 0, count: Key.bitWidth + 1)

    static func key(_ address: IPAddress) -> Key { Key(truncatingIfNeeded: address.bits) }

    subscript(index: UInt32) -> Entry {
        get { entries[Int(index)] }
        _modify { yield &entries[Int(index)] }
    }

    /// Bytes held by this family's arrays (not counting the owner's side tables).
    var allocatedBytes: Int {
        entries.capacity * MemoryLayout<Entry>.stride + ranks.capacity * 2 + freeIndices.capacity * 4
            + routes.allocatedBytes + onLink.allocatedBytes + trie.allocatedBytes
    }

    @inline(__always)
    func lookup(_ address: IPAddress) -> UInt32 { trie.lookup(Self.key(address)) }

    func route(_ network: Network) -> UInt32? {
        routes.find(Self.key(network.address), length: network.prefixLength, in: entries)
    }

    func onLinkEntry(_ network: Network) -> UInt32? {
        onLink.find(Self.key(network.address), length: network.prefixLength, in: entries)
    }

    /// Stores `entry` (live, with its kind in `flags`) and makes it answer lookups.
    mutating func insert(_ entry: Entry) -> UInt32 {
        let isRoute = entry.flags.contains(.route), length = Int(entry.prefixLength)
        let rank = UInt16(length) * 2 + (isRoute ? 2 : 1)
        let index: UInt32
        if let reused = freeIndices.popLast() {
            index = reused
            entries[Int(index)] = entry
            ranks[Int(index)] = rank
        } else {
            index = UInt32(entries.count)
            precondition(index <= PrefixTrie<Key>.maxID, "more routes than a trie leaf can name")
            entries.append(entry)
            ranks.append(rank)
        }
        if isRoute { routes.add(index, in: entries) } else { onLink.add(index, in: entries) }
        entriesByLength[length] += 1
        trie.insert(entry.destination, length: length, id: index, ranks: ranks)
        return index
    }

    mutating func remove(_ index: UInt32) {
        let entry = entries[Int(index)], length = Int(entry.prefixLength)
        if entry.flags.contains(.route) { routes.remove(index, in: entries) } else { onLink.remove(index, in: entries) }
        entriesByLength[length] -= 1
        let replacement = bestCovering(entry.destination, length: length)
        trie.remove(entry.destination, length: length, id: index, replacement: replacement)
        entries[Int(index)] = Entry()
        ranks[Int(index)] = 0
        freeIndices.append(index)
    }

    /// Every live entry's index, in storage order.
    func liveIndices() -> [UInt32] {
        entries.indices.dropFirst().filter { entries[$0].flags.contains(.live) }.map { UInt32($0) }
    }

    /// The best entry that covers all of `key/length` (a route before an own prefix of the same
    /// length, longer before shorter), or 0.
    private func bestCovering(_ key: Key, length: Int) -> UInt32 {
        for candidate in stride(from: length, through: 0, by: -1) where entriesByLength[candidate] > 0 {
            let masked = candidate == 0 ? 0 : key & ~(Key.max >> candidate)
            if let index = routes.find(masked, length: UInt8(candidate), in: entries)
                ?? onLink.find(masked, length: UInt8(candidate), in: entries) {
                return index
            }
        }
        return 0
    }

    // MARK: Hash index

    /// An open-addressing hash set of entry indices keyed by the entries' prefixes: 4 bytes a
    /// slot, linear probing, backward-shift deletion (no tombstones), at most 3/4 full.
    struct PrefixIndex {
        private var slots: [UInt32] = []
        private var count = 0

        var allocatedBytes: Int { slots.capacity * 4 }

        private static func home(_ key: Key, length: UInt8, capacity: Int) -> Int {
            var folded = UInt64(truncatingIfNeeded: key)
            if Key.bitWidth > 64 { folded ^= UInt64(truncatingIfNeeded: key >> 64) &* 0xff51_afd7_ed55_8ccd }
            let hash = (folded ^ UInt64(length) << 56) &* 0x9e37_79b9_7f4a_7c15
            return Int(truncatingIfNeeded: hash >> UInt64(64 - capacity.trailingZeroBitCount))
        }

        private func home(of entry: UInt32, in entries: [Entry]) -> Int {
            Self.home(entries[Int(entry)].destination, length: entries[Int(entry)].prefixLength, capacity: slots.count)
        }

        func find(_ key: Key, length: UInt8, in entries: [Entry]) -> UInt32? {
            guard count > 0 else { return nil }
            let mask = slots.count - 1
            var slot = Self.home(key, length: length, capacity: slots.count)
            while true {
                let candidate = slots[slot]
                if candidate == 0 { return nil }
                let entry = entries[Int(candidate)]
                if entry.destination == key && entry.prefixLength == length { return candidate }
                slot = (slot + 1) & mask
            }
        }

        mutating func add(_ entry: UInt32, in entries: [Entry]) {
            if (count + 1) * 4 > slots.count * 3 {
                let old = slots
                slots = [UInt32](repeating: 0, count: max(16, slots.count * 2))
                for member in old where member != 0 { place(member, in: entries) }
            }
            place(entry, in: entries)
            count += 1
        }

        private mutating func place(_ entry: UInt32, in entries: [Entry]) {
            let mask = slots.count - 1
            var slot = home(of: entry, in: entries)
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = entry
        }

        mutating func remove(_ entry: UInt32, in entries: [Entry]) {
            let mask = slots.count - 1
            var hole = home(of: entry, in: entries)
            while slots[hole] != entry { hole = (hole + 1) & mask }
            // Shift later members of the probe run back so that no search stops early at the hole.
            var slot = hole
            while true {
                slot = (slot + 1) & mask
                let candidate = slots[slot]
                if candidate == 0 { break }
                // Movable when its home is not cyclically within (hole, slot].
                let home = home(of: candidate, in: entries)
                if (slot - home) & mask >= (slot - hole) & mask {
                    slots[hole] = candidate
                    hole = slot
                }
            }
            slots[hole] = 0
            count -= 1
            if count == 0 { slots = [] }
        }
    }
}
