extension RouteTable {
    /// A route table's read side, for readers that do not hold the port's lock (wasixnet.h
    /// [port.concurrency]): a copyable handle holding only the address of the table's header, valid
    /// for the table's whole life, whose methods may run on any thread while one writer changes the
    /// table. Lookups take no lock, allocate nothing and retain nothing.
    ///
    /// Each `longestMatch` and `reaches` is atomic: every write takes effect for readers at one
    /// release store (`RouteTrie`), and what a reader reaches through it is either never written
    /// again or read with acquire. Lifetimes are not looked at: the caller decides what is live
    /// (wasixnet.h [port.lifetimes]).
    public struct Reader: @unchecked Sendable {
        let header: UnsafeMutableRawPointer

        /// The longest prefix covering `address`, an explicit route winning over an own prefix of the
        /// same length (wasixnet.h [port.lookup]).
        @inline(__always)
        public func longestMatch(for address: IPAddress) -> Route? {
            let id = matchID(for: address)
            return id == .none ? nil : route(of: id)
        }

        /// `longestMatch` for `Port.plainLookup`: what the best match's element says (`RouteElement`),
        /// or else its record's fields, when it has no extras.
        @inline(__always)
        public func plainMatch(for address: IPAddress) -> PlainLookup {
            switch address.family {
            case .v4: plainAnswer(UInt32.key(address))
            case .v6: plainAnswer(UInt128.key(address))
            }
        }

        @inline(__always)
        private func plainAnswer<Key: RouteKey>(_ key: Key) -> PlainLookup {
            let match = RouteTrie<Key>.lookup(key, header: header)
            guard match.element.raw != 0 else { return .unreachable }
            let answer = match.element.answer
            guard answer != RouteElement.askTheRecord else { return RouteRecords.plainRoute(header, Key.self, match.recordIndex) }
            // The prefix covers the key: its network is the key cut to the prefix's length.
            let network = match.length == 0 ? 0 : key & (Key.max &<< (Key.bitWidth &- match.length))
            return .found(PlainRoute(family: Key.family, prefixLength: UInt8(truncatingIfNeeded: match.length),
                                     destination: UInt128(network),
                                     router: answer == RouteElement.noRouter ? nil : UInt128(NextHops.router(header, answer &- 1))))
        }

        /// Whether any route or own prefix covers `address`.
        @inline(__always)
        public func reaches(_ address: IPAddress) -> Bool { matchID(for: address) != .none }

        /// Calls `body` with each route in insertion order until it returns false. Exact when no
        /// write runs meanwhile; under a concurrent write it may see a mix of states (the caller
        /// validates and retries) but stays within memory the table has not freed and ends: a
        /// walk longer than the table's route limit is racing a writer and stops.
        public func forEachRoute(_ body: (Route) -> Bool) {
            var id = RouteID(raw: UInt32(truncatingIfNeeded: RawAtomic.loadWord(header + RouteTableHeader.firstRouteOffset)))
            var remaining = header.load(fromByteOffset: RouteTableHeader.maxRoutesOffset, as: Int.self)
            while id != .none && remaining > 0 {
                guard body(route(of: id)) else { return }
                id = next(of: id)
                remaining -= 1
            }
        }

        /// The number of live routes, read atomically (a hint while a writer runs).
        public var routeCount: Int { RawAtomic.loadRelaxed(header + RouteTableHeader.routeCountOffset) }

        @inline(__always)
        func matchID(for address: IPAddress) -> RouteID {
            switch address.family {
            case .v4:
                let index = RouteTrie<UInt32>.lookup(UInt32.key(address), header: header).recordIndex
                return index == 0 ? .none : RouteID(.v4, index)
            case .v6:
                let index = RouteTrie<UInt128>.lookup(UInt128.key(address), header: header).recordIndex
                return index == 0 ? .none : RouteID(.v6, index)
            }
        }

        func route(of id: RouteID) -> Route {
            id.family == .v4 ? RouteRecords.route(header, UInt32.self, id.index) : RouteRecords.route(header, UInt128.self, id.index)
        }

        func next(of id: RouteID) -> RouteID {
            id.family == .v4
                ? RouteRecords.next(RouteRecords.record(header, UInt32.self, id.index), UInt32.self)
                : RouteRecords.next(RouteRecords.record(header, UInt128.self, id.index), UInt128.self)
        }
    }
}
