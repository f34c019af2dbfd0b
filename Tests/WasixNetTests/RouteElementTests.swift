import Testing
@testable import WasixNet

/// A trie element answers for its record (`RouteElement`): the lookups it answers alone give what
/// the record gives, the ones it cannot answer send the reader to the record, and the 24 bits it
/// names records in are a limit the table enforces as ENOMEM.
@Suite struct RouteElementTests {
    static func route(_ ip: IPAddress, _ length: UInt8, via router: IPAddress? = nil, expiresAt: UInt64? = nil) -> Route {
        Route(destination: CIDR(ScopedAddress(ip), prefixLength: length), router: router.map { ScopedAddress($0) },
              expiresAt: expiresAt)
    }

    /// The answer byte of the element a lookup of `address` ends at.
    static func answer(_ table: RouteTable, _ address: IPAddress) -> UInt32 {
        address.family == .v4 ? RouteTrie<UInt32>.lookup(UInt32.key(address), header: table.reader.header).element.answer
            : RouteTrie<UInt128>.lookup(UInt128.key(address), header: table.reader.header).element.answer
    }

    /// The plain answer is the full one, wherever it comes from.
    static func expectAgreement(_ table: RouteTable, _ address: IPAddress, sourceLocation: SourceLocation = #_sourceLocation) {
        let full = table.reader.longestMatch(for: address)
        switch table.reader.plainMatch(for: address) {
        case .unreachable: #expect(full == nil, sourceLocation: sourceLocation)
        case .found(let plain): #expect(plain.route == full, sourceLocation: sourceLocation)
        case .needsFullAnswer: #expect(full?.hasLifetimes == true, sourceLocation: sourceLocation)
        }
    }

    @Test func elementsSayWhatTheirRecordsSay() {
        var table = RouteTable(maxRoutes: 10_000)
        #expect(table.addRoute(Self.route(v4(10, 0, 0, 0), 8)) == .success)
        #expect(table.addRoute(Self.route(v4(10, 1, 0, 0), 16, via: v4(192, 0, 2, 1))) == .success)
        #expect(table.addRoute(Self.route(v4(10, 2, 0, 0), 16, expiresAt: 1_000)) == .success)
        let added = table.addOnLink(Network(v4(10, 3, 0, 0), prefixLength: 16))
        #expect(added)
        #expect(table.addRoute(Self.route(v4(30, 1, 2, 3), 32, via: v4(192, 0, 2, 1))) == .success)  // a leaf
        #expect(table.addRoute(Self.route(v6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 32)) == .success)
        #expect(table.addRoute(Self.route(v6(0x2001, 0xdb8, 1, 0, 0, 0, 0, 0), 48, via: v6(0xfe80, 0, 0, 0, 0, 0, 0, 1)))
                == .success)
        // 300 routers more: next hops 2...301, of which an element names those up to 254.
        for i in 0..<300 {
            #expect(table.addRoute(Self.route(v4(20, UInt8(i / 256), UInt8(i % 256), 0), 24,
                                              via: v4(198, 51, UInt8(i / 200), UInt8(i % 200 + 1)))) == .success)
        }
        #expect(Self.answer(table, v4(10, 9, 9, 9)) == RouteElement.noRouter)
        #expect(Self.answer(table, v4(10, 1, 9, 9)) == 2)  // next hop 1
        #expect(Self.answer(table, v4(10, 2, 9, 9)) == RouteElement.askTheRecord)  // a lifetime
        #expect(Self.answer(table, v4(10, 3, 9, 9)) == RouteElement.noRouter)  // an own prefix
        #expect(Self.answer(table, v4(30, 1, 2, 3)) == 2)
        #expect(Self.answer(table, v6(0x2001, 0xdb8, 2, 0, 0, 0, 0, 1)) == RouteElement.noRouter)
        #expect(Self.answer(table, v6(0x2001, 0xdb8, 1, 0, 0, 0, 0, 1)) == RouteElement.askTheRecord)  // router in the record
        var inline = 0, fromRecord = 0
        for i in 0..<300 {
            let address = v4(20, UInt8(i / 256), UInt8(i % 256), 77)
            if Self.answer(table, address) == RouteElement.askTheRecord { fromRecord += 1 } else { inline += 1 }
            Self.expectAgreement(table, address)
        }
        #expect(inline == 253 && fromRecord == 47)
        for address in [v4(10, 9, 9, 9), v4(10, 1, 9, 9), v4(10, 2, 9, 9), v4(10, 3, 9, 9), v4(30, 1, 2, 3), v4(30, 1, 2, 4),
                        v4(11, 0, 0, 1), v6(0x2001, 0xdb8, 2, 0, 0, 0, 0, 1), v6(0x2001, 0xdb8, 1, 0, 0, 0, 0, 1),
                        v6(0x2002, 0, 0, 0, 0, 0, 0, 1)] {
            Self.expectAgreement(table, address)
        }
        // A route that replaces an own prefix of the same network, and gives it back.
        #expect(table.addRoute(Self.route(v4(10, 3, 0, 0), 16, via: v4(192, 0, 2, 1))) == .success)
        #expect(Self.answer(table, v4(10, 3, 9, 9)) == 2)
        Self.expectAgreement(table, v4(10, 3, 9, 9))
        #expect(table.removeRoutes(to: v4(10, 3, 0, 0)) == 1)
        #expect(Self.answer(table, v4(10, 3, 9, 9)) == RouteElement.noRouter)
        Self.expectAgreement(table, v4(10, 3, 9, 9))
        table.freeRetiredNow()
    }

    /// Indices run out before max_routes does: ENOMEM for each way of adding, nothing changed, and
    /// an index freed by a removal serves again after its wait.
    @Test func aFamilyHoldsNoMoreEntriesThanItsIndicesName() {
        var table = RouteTable(maxRoutes: 100, indexLimit: 4)  // indices 1, 2 and 3
        #expect(table.setDefaultRoute(via: ScopedAddress(v4(192, 0, 2, 1))) == .success)
        #expect(table.addRoute(Self.route(v4(10, 0, 0, 0), 8)) == .success)
        let ownPrefixAdded = table.addOnLink(Network(v4(10, 1, 0, 0), prefixLength: 16))
        #expect(ownPrefixAdded)
        let before = table.routes
        #expect(table.addRoute(Self.route(v4(11, 0, 0, 0), 8)) == .nomem)
        let newPrefixAdded = table.addOnLink(Network(v4(10, 2, 0, 0), prefixLength: 16))
        #expect(!newPrefixAdded)
        let heldPrefixAdded = table.addOnLink(Network(v4(10, 1, 0, 0), prefixLength: 16))
        #expect(heldPrefixAdded, "a second address in a held prefix")
        #expect(table.setDefaultRoute(via: ScopedAddress(v4(192, 0, 2, 9))) == .nomem)
        #expect(table.routes == before)
        #expect(table.longestMatch(for: v4(11, 0, 0, 1))?.router == ScopedAddress(v4(192, 0, 2, 1)))
        #expect(table.longestMatch(for: v4(10, 2, 0, 1))?.destination.prefixLength == 8)
        // The other family has indices of its own.
        #expect(table.addRoute(Self.route(v6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 32)) == .success)
        #expect(table.removeRoutes(to: v4(10, 0, 0, 0)) == 1)
        #expect(table.addRoute(Self.route(v4(11, 0, 0, 0), 8)) == .nomem, "the freed index waits for the readers")
        table.freeRetiredNow()
        #expect(table.addRoute(Self.route(v4(11, 0, 0, 0), 8)) == .success)
        #expect(table.longestMatch(for: v4(11, 0, 0, 1))?.destination.prefixLength == 8)
        table.freeRetiredNow()
    }

    /// Leaves at several depths, some settled by their tails (IPv4 always; IPv6 up to 24 bits past
    /// the slot) and some by their records: every address one bit away from each prefix gets the
    /// linear scan's answer, before and after removals move leaves up the trie.
    @Test func leavesAnswerAsTheScanDoes() {
        var table = RouteTable(maxRoutes: 100)
        var held: [Network] = [
            Network(v4(30, 1, 2, 3), prefixLength: 32), Network(v4(30, 1, 2, 0), prefixLength: 30),
            Network(v4(40, 0, 0, 0), prefixLength: 9), Network(v4(40, 200, 0, 0), prefixLength: 13),
            Network(v6(0x2001, 0xdb8, 0xab, 0, 0, 0, 0, 0), prefixLength: 48),
            Network(v6(0x2001, 0xdb8, 0xcd, 0, 0, 0, 0, 0), prefixLength: 48),
            Network(v6(0x2001, 0xdb9, 0, 1, 0, 0, 0, 0), prefixLength: 64),
            Network(v6(0x2400, 0, 0, 0, 0, 0, 0, 0x8000), prefixLength: 113),
            Network(v6(0x2400, 0, 0, 0, 0, 0, 0, 0), prefixLength: 12),
        ]
        for network in held { #expect(table.addRoute(Route(destination: CIDR(ScopedAddress(network.address), prefixLength: network.prefixLength))) == .success) }
        func scan(_ address: IPAddress) -> UInt8? {
            held.filter { $0.address.family == address.family && address.masked(toPrefixLength: Int($0.prefixLength)) == $0.address }
                .map(\.prefixLength).max()
        }
        func checkAround() {
            for network in held {
                let width = network.address.family == .v4 ? 32 : 128
                for bit in 0..<width {
                    let address = IPAddress(family: network.address.family, bits: network.address.bits ^ (1 << UInt128(width - 1 - bit)))
                    #expect(table.longestMatch(for: address)?.destination.prefixLength == scan(address), "\(address)")
                    Self.expectAgreement(table, address)
                }
            }
        }
        checkAround()
        for victim in [Network(v4(30, 1, 2, 0), prefixLength: 30), Network(v6(0x2001, 0xdb8, 0xcd, 0, 0, 0, 0, 0), prefixLength: 48),
                       Network(v6(0x2400, 0, 0, 0, 0, 0, 0, 0), prefixLength: 12)] {
            #expect(table.removeRoutes(to: victim.address) == 1)
            held.removeAll { $0 == victim }
            checkAround()
        }
        table.freeRetiredNow()
    }
}
