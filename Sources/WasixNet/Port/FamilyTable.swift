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
        if isRoute {
            routes.add(index, key: entry.destination, length: entry.prefixLength)
        } else {
            onLink.add(index, key: entry.destination, length: entry.prefixLength)
        }
        entriesByLength[length] += 1
        trie.insert(entry.destination, length: length, id: index, ranks: ranks)
        return index
    }

    mutating func remove(_ index: UInt32) {
        let entry = entries[Int(index)], length = Int(entry.prefixLength)
        if entry.flags.contains(.route) {
            routes.remove(index, key: entry.destination, length: entry.prefixLength)
        } else {
            onLink.remove(index, key: entry.destination, length: entry.prefixLength)
        }
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

    /// An open-addressing hash set of entry indices keyed by the entries' prefixes, with linear
    /// probing and backward-shift deletion (no tombstones), at most 3/4 full. Each 8-byte slot
    /// holds the index and the top 32 bits of the key's hash, so a probe compares an entry only
    /// when those match, and growing or deleting never reads an entry (the slot's hash says where
    /// it belongs): in a large table each of those reads would be a cache miss.
    struct PrefixIndex {
        private var slots: [UInt64] = []
        private var count = 0
        private var shift = 0  // 32 - log2(capacity)

        private static func hash(_ key: Key, length: UInt8) -> UInt32 {
            var folded = UInt64(truncatingIfNeeded: key)
            if Key.bitWidth > 64 { folded ^= UInt64(truncatingIfNeeded: key >> 64) &* 0xff51_afd7_ed55_8ccd }
            return UInt32(truncatingIfNeeded: ((folded ^ UInt64(length) << 56) &* 0x9e37_79b9_7f4a_7c15) >> 32)
        }

        private func home(_ hash: UInt32) -> Int { Int(hash >> UInt32(shift)) }

        func find(_ key: Key, length: UInt8, in entries: [Entry]) -> UInt32? {
            guard count > 0 else { return nil }
            let hash = Self.hash(key, length: length), mask = slots.count - 1
            var slot = home(hash)
            while true {
                let stored = slots[slot]
                if stored == 0 { return nil }
                let candidate = UInt32(truncatingIfNeeded: stored)
                if UInt32(stored >> 32) == hash {
                    let entry = entries[Int(candidate)]
                    if entry.destination == key && entry.prefixLength == length { return candidate }
                }
                slot = (slot + 1) & mask
            }
        }

        mutating func add(_ entry: UInt32, key: Key, length: UInt8) {
            if (count + 1) * 4 > slots.count * 3 {
                let old = slots
                let capacity = max(16, slots.count * 2)
                slots = [UInt64](repeating: 0, count: capacity)
                shift = 32 - capacity.trailingZeroBitCount
                for stored in old where stored != 0 { place(stored) }
            }
            place(UInt64(Self.hash(key, length: length)) << 32 | UInt64(entry))
            count += 1
        }

        private mutating func place(_ stored: UInt64) {
            let mask = slots.count - 1
            var slot = home(UInt32(stored >> 32))
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = stored
        }

        mutating func remove(_ entry: UInt32, key: Key, length: UInt8) {
            let stored = UInt64(Self.hash(key, length: length)) << 32 | UInt64(entry), mask = slots.count - 1
            var hole = home(UInt32(stored >> 32))
            while slots[hole] != stored { hole = (hole + 1) & mask }
            // Shift later members of the probe run back so that no search stops early at the hole.
            var slot = hole
            while true {
                slot = (slot + 1) & mask
                let candidate = slots[slot]
                if candidate == 0 { break }
                // Movable when its home is not cyclically within (hole, slot].
                if (slot - home(UInt32(candidate >> 32))) & mask >= (slot - hole) & mask {
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
