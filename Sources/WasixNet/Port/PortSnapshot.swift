/// One state of a port's table: its routes and own addresses, as a writer left them. Published
/// by `Port` with one atomic store; readers use it without a lock (wasixnet.h [port.concurrency]).
///
/// Every stored property is a `let`, and that is what makes lookups cheap as well as safe: the
/// compiler may read an immutable property where it lies, while a `var` table read from a class
/// is first copied (every array in it retained and released — measured at several times the
/// lookup — and those reference counts are cache lines every reader would write). A writer never
/// changes a snapshot: it unpacks one into a `PortState`, changes that, and packs a new one.
final class PortSnapshot {
    /// The large form's table, boxed so that a small port's snapshot does not carry its few
    /// hundred bytes of array headers and counters.
    final class LargeForm {
        let table: RouteTable
        init(_ table: RouteTable) { self.table = table }

        func longestMatch(for address: IPAddress, at now: UInt64?) -> Route? { table.longestMatch(for: address, liveAt: now) }
    }

    let maxRoutes: Int
    /// The table while small (`SizedRouteTable`); empty once `large` holds it.
    let compact: CompactRouteTable
    /// The large form, retained by hand: a lookup borrows it (`_withUnsafeGuaranteedRef`), where
    /// reading a class reference from a property retains and releases it, one reference count
    /// every reader of the port would write (measured: 2 readers of a 1k-route port at 1.16x one).
    private let largeBox: Unmanaged<LargeForm>?
    var large: LargeForm? { largeBox?.takeUnretainedValue() }
    let addresses: [CIDR]
    /// How many writes the port had taken when this state was made (a test hook: readers check
    /// that every answer belongs to a state that existed).
    let version: UInt64

    init(_ state: consuming PortState, version: UInt64) {
        maxRoutes = state.routes.maxRoutes
        if let table = state.routes.largeTable {
            compact = CompactRouteTable()
            largeBox = Unmanaged.passRetained(LargeForm(table))
        } else {
            compact = state.routes.parts ?? CompactRouteTable()
            largeBox = nil
        }
        addresses = state.addresses
        self.version = version
    }

    /// The state to change: shares this snapshot's arrays until the change writes them. Given
    /// the only reference to a snapshot (`consuming`), the arrays are the state's alone once it
    /// returns, so a change writes them in place rather than copying them.
    static func unpack(_ snapshot: consuming PortSnapshot) -> PortState {
        PortState(routes: SizedRouteTable(maxRoutes: snapshot.maxRoutes, compact: snapshot.compact, large: snapshot.large?.table),
                  addresses: snapshot.addresses)
    }

    var isEmpty: Bool { largeBox == nil && compact.entryCount == 0 && addresses.isEmpty }
    var isCompact: Bool { largeBox == nil }
    var routesWithLifetimes: Int {
        largeBox?._withUnsafeGuaranteedRef { $0.table.routesWithLifetimes } ?? compact.routesWithLifetimes
    }

    // MARK: Reads (exact at `now`: nil when no route has a lifetime)

    deinit { largeBox?.release() }

    @inline(__always)
    func longestMatch(for address: IPAddress, at now: UInt64?) -> Route? {
        if let largeBox { return largeBox._withUnsafeGuaranteedRef { $0.longestMatch(for: address, at: now) } }
        return compact.longestMatch(for: address, at: now)
    }

    @inline(__always)
    func reaches(_ address: IPAddress, at now: UInt64?) -> Bool {
        if let largeBox { return largeBox._withUnsafeGuaranteedRef { $0.longestMatch(for: address, at: now) } != nil }
        return compact.reaches(address, at: now)
    }

    /// Calls `body` with each live route in insertion order until it returns false; returns how
    /// many routes are live.
    func forEachRoute(liveAt now: UInt64?, _ body: (Route) -> Bool) -> Int {
        if let large { return large.table.forEachRoute(liveAt: now, body) }
        return compact.forEachRoute(liveAt: now, body)
    }
}

/// What a writer changes: a port's table and own addresses, as values.
struct PortState {
    var routes: SizedRouteTable
    var addresses: [CIDR] = []

    var isEmpty: Bool { routes.isEmpty && addresses.isEmpty }
}
