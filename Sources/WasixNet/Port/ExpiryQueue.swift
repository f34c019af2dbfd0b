/// Routes ordered by when they expire: a binary min-heap of (instant, entry id). Items are not
/// removed when a route goes early; the owner checks each popped item against the live entry.
struct ExpiryQueue {
    struct Item {
        var instant: UInt64
        var id: UInt32
    }

    private var items: [Item] = []

    var earliest: UInt64? { items.first?.instant }
    var count: Int { items.count }

    mutating func push(_ item: Item) {
        items.append(item)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child].instant < items[parent].instant else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the earliest item if it is due at `now`.
    mutating func popDue(at now: UInt64) -> Item? {
        guard let first = items.first, first.instant <= now else { return nil }
        let last = items.removeLast()
        guard !items.isEmpty else { return first }
        items[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < items.count && items[left].instant < items[smallest].instant { smallest = left }
            if right < items.count && items[right].instant < items[smallest].instant { smallest = right }
            guard smallest != parent else { break }
            items.swapAt(parent, smallest)
            parent = smallest
        }
        return first
    }

    /// Rebuilds the heap from the items still wanted (dropping stale ones).
    mutating func rebuild(keeping items: [Item]) {
        self.items = []
        self.items.reserveCapacity(items.count)
        for item in items { push(item) }
    }
}
