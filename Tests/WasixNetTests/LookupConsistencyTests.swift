import Testing
@testable import WasixNet

/// Why a lookup of a large table checks the port's write counts (Port.wholeMatch,
/// wasixnet.h [port.concurrency]), and that the check admits exactly the lookups that saw one
/// state of the table.
@Suite struct LookupConsistencyTests {
    /// The large form makes each write of one prefix one store, but a lookup stopped after it
    /// read the root can, when it goes on, meet a later write's store in a node that the old and
    /// the new root share. Here: the lookup holds the root from before 10.0.0.0/8 came (a new
    /// root node), then 10.1.2.0/24 goes (one store into the node for 10., which 10.2.0.0/16 keeps
    /// from folding away, shared by both roots). The walk from the old root finds neither, although at
    /// every instant one of them was there: two writes in one answer.
    @Test func aWalkFromAnOldRootSeesALaterWritesStore() {
        var table = RouteTable(maxRoutes: 100)
        let route = { (ip: IPAddress, length: UInt8) in Route(destination: CIDR(ScopedAddress(ip), prefixLength: length)) }
        #expect(table.addRoute(route(v4(10, 1, 3, 0), 24)) == .success)
        #expect(table.addRoute(route(v4(10, 1, 2, 0), 24)) == .success)
        #expect(table.addRoute(route(v4(10, 2, 0, 0), 16)) == .success)
        let header = table.reader.header, probe = UInt32.key(v4(10, 1, 2, 3))
        let oldRoot = RawAtomic.loadWord(RouteTrie<UInt32>.rootSlot(header))
        #expect(table.addRoute(route(v4(10, 0, 0, 0), 8)) == .success)
        #expect(RawAtomic.loadWord(RouteTrie<UInt32>.rootSlot(header)) != oldRoot, "the /8 made a new root")
        #expect(table.removeRoutes(to: v4(10, 1, 2, 0)) == 1)
        // The old root is retired, not freed, until this test lets it go below.
        #expect(RouteTrie<UInt32>.lookup(probe, header: header, root: oldRoot).element.raw == 0)
        #expect(table.longestMatch(for: v4(10, 1, 2, 3))?.destination.prefixLength == 8)
        table.freeRetiredNow()
    }

    /// The port's rule: a lookup may stand when no write of several prefixes overlapped it and at
    /// most one write did.
    @Test func theCountsAdmitOneWriteAtMost() {
        func counts(_ all: UInt32, _ several: UInt32 = 0) -> WriteCounts {
            WriteCounts(UInt64(several) << 32 | UInt64(all))
        }
        // From a quiet table (even): nothing, a write begun, a whole write.
        #expect(counts(10).seeOneState(until: counts(10)))
        #expect(counts(10).seeOneState(until: counts(11)))
        #expect(counts(10).seeOneState(until: counts(12)))
        // ... but not a write ended and another begun, or two whole writes.
        #expect(!counts(10).seeOneState(until: counts(13)))
        #expect(!counts(10).seeOneState(until: counts(14)))
        // From a write under way (odd): it alone, ending or not; not the next one.
        #expect(counts(11).seeOneState(until: counts(11)))
        #expect(counts(11).seeOneState(until: counts(12)))
        #expect(!counts(11).seeOneState(until: counts(13)))
        // A write of several prefixes under way, begun or ended meanwhile: never.
        #expect(!counts(11, 1).seeOneState(until: counts(11, 1)))
        #expect(!counts(10, 0).seeOneState(until: counts(11, 1)))
        #expect(!counts(10, 0).seeOneState(until: counts(12, 2)))
        // Counts that wrapped around still compare.
        #expect(counts(UInt32.max - 1).seeOneState(until: counts(0)))
        #expect(!counts(UInt32.max - 1).seeOneState(until: counts(2)))
    }
}
