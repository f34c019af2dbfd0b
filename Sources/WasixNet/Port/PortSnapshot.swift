/// One state of a port's table: its routes and own addresses, as a writer left them. Published
/// by `Port` with one atomic store and never changed while published, so readers use it without
/// a lock (wasixnet.h [port.concurrency]); the writer changes only an unpublished copy.
final class PortSnapshot {
    var routes: SizedRouteTable
    var addresses: [CIDR] = []
    /// How many writes the port had taken when this state was made (a test hook: readers check
    /// that every answer belongs to a state that existed).
    var version: UInt64 = 0

    init(maxRoutes: Int) { routes = SizedRouteTable(maxRoutes: maxRoutes) }

    /// A copy to change; the arrays are shared until the change writes them (copy on write).
    init(copying other: PortSnapshot) {
        routes = other.routes
        addresses = other.addresses
        version = other.version
    }

    /// Nothing to publish: the port holds no snapshot at all then (an empty port costs no table).
    var isEmpty: Bool { routes.isEmpty && addresses.isEmpty }
}
