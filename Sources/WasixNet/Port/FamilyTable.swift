/// The entries of one address family: explicit routes and the port's own (on-link) prefixes,
/// indexed two ways. A trie answers longest-prefix lookups; maps keyed by prefix length answer
/// exact questions (is this prefix taken? what covers it once an entry goes?).
struct FamilyTable<Key: FixedWidthInteger & UnsignedInteger & Hashable> {
    private(set) var trie = PrefixTrie<Key>()
    private var routes: [[Key: UInt32]]
    private var onLink: [[Key: UInt32]]
    /// How many entries of either kind have each prefix length, so searches skip empty lengths.
    private var entriesByLength: [Int]

    init() {
        routes = Array(repeating: [:], count: Key.bitWidth + 1)
        onLink = routes
        entriesByLength = Array(repeating: 0, count: Key.bitWidth + 1)
    }

    static func key(_ address: IPAddress) -> Key { Key(truncatingIfNeeded: address.bits) }

    func route(_ network: Network) -> UInt32? { routes[Int(network.prefixLength)][Self.key(network.address)] }

    func onLinkEntry(_ network: Network) -> UInt32? { onLink[Int(network.prefixLength)][Self.key(network.address)] }

    func lookup(_ address: IPAddress) -> UInt32 { trie.lookup(Self.key(address)) }

    mutating func insert(_ network: Network, id: UInt32, isRoute: Bool, ranks: [UInt16]) {
        let length = Int(network.prefixLength), key = Self.key(network.address)
        if isRoute { routes[length][key] = id } else { onLink[length][key] = id }
        entriesByLength[length] += 1
        trie.insert(key, length: length, id: id, ranks: ranks)
    }

    mutating func remove(_ network: Network, id: UInt32, isRoute: Bool) {
        let length = Int(network.prefixLength), key = Self.key(network.address)
        if isRoute { routes[length][key] = nil } else { onLink[length][key] = nil }
        entriesByLength[length] -= 1
        trie.remove(key, length: length, id: id, replacement: bestCovering(key, length: length))
    }

    mutating func removeAll() { self = FamilyTable() }

    /// The best entry that covers all of `key/length` (a route before an own prefix of the same
    /// length, longer before shorter), or 0.
    private func bestCovering(_ key: Key, length: Int) -> UInt32 {
        for candidate in stride(from: length, through: 0, by: -1) where entriesByLength[candidate] > 0 {
            let masked = candidate == 0 ? 0 : key & ~(Key.max >> candidate)
            if let id = routes[candidate][masked] ?? onLink[candidate][masked] { return id }
        }
        return 0
    }
}
