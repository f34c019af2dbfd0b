/// What a port's readers see: its table and own addresses as one write left them, published by
/// `Port` with one atomic store and read without a lock (wasixnet.h [port.concurrency]).
///
/// Immutable: every stored property is a `let`, so a reader reads it where it lies (the compiler
/// copies a `var` out of a class first, retaining every array in it, and those reference counts
/// are lines every reader would write), and a writer never changes a published snapshot: it makes
/// the next one from its own state, whose arrays it shares until it changes them (copy on write).
/// A snapshot replaced by a newer one is retired (`ReadSection`), not released, so that a reader
/// still inside it keeps it alive without touching a reference count.
///
/// A small table is in the snapshot itself (a short array of at most 16 entries: copying it per
/// write is cheaper than anything cleverer). A large table is not: it publishes its own changes,
/// slot by slot, and the snapshot only says that the port's table is large.
final class PortSnapshot {
    /// The table, while small; empty when `large` is set.
    let compact: CompactRouteTable
    /// The large table's read side, while the table is large.
    let large: RouteTable.Reader?
    let addresses: [CIDR]

    init(compact: CompactRouteTable?, large: RouteTable.Reader?, addresses: [CIDR]) {
        self.compact = compact ?? CompactRouteTable()
        self.large = large
        self.addresses = addresses
    }

    /// Whether this snapshot already says what a write that leaves the table large, as `large`,
    /// with `addresses` would publish: then it publishes nothing (the table published its own
    /// change), and a large table's writes cost no snapshot.
    func isCurrent(large newLarge: RouteTable.Reader?, addresses newAddresses: [CIDR]) -> Bool {
        guard let large, let newLarge, large.header == newLarge.header else { return false }
        return addresses == newAddresses
    }

    /// Hands the one reference the port held to the retire queue.
    static func retire(_ snapshot: Unmanaged<PortSnapshot>) {
        ReadSection.retire(snapshot.toOpaque(), release: { $0.map { Unmanaged<PortSnapshot>.fromOpaque($0).release() } })
    }
}
