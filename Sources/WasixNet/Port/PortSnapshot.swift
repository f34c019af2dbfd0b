/// One state of a port's table: its routes and own addresses, as a writer left them. Published
/// by `Port` with one atomic store and never changed while published, so readers use it without
/// a lock (wasixnet.h [port.concurrency]); the writer changes only an unpublished copy.
final class PortSnapshot {
    /// The table lives in its own allocation and is reached through `unsafeAddress`, so that a
    /// lookup borrows it where it lies: read as a stored property of the class, the whole table
    /// value was copied on every lookup (every array retained and released, measured at 4x the
    /// lookup's own cost), and those reference counts are lines every reader would write.
    private let routeStorage: UnsafeMutablePointer<SizedRouteTable>
    var routes: SizedRouteTable {
        unsafeAddress { UnsafePointer(routeStorage) }
        unsafeMutableAddress { routeStorage }
    }
    var addresses: [CIDR] = []
    /// How many writes the port had taken when this state was made (a test hook: readers check
    /// that every answer belongs to a state that existed).
    var version: UInt64 = 0

    init(maxRoutes: Int) {
        routeStorage = .allocate(capacity: 1)
        routeStorage.initialize(to: SizedRouteTable(maxRoutes: maxRoutes))
    }

    /// A copy to change; the arrays are shared until the change writes them (copy on write).
    init(copying other: PortSnapshot) {
        routeStorage = .allocate(capacity: 1)
        routeStorage.initialize(to: other.routes)
        addresses = other.addresses
        version = other.version
    }

    deinit {
        routeStorage.deinitialize(count: 1)
        routeStorage.deallocate()
    }

    /// Nothing to publish: the port holds no snapshot at all then (an empty port costs no table).
    var isEmpty: Bool { routes.isEmpty && addresses.isEmpty }
}
