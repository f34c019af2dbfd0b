import CWasixNet
import CWasixNetSystem
import Testing
@testable import WasixNet

/// The numbers the core keeps as Swift constants agree with the ones the header states (the
/// header is the contract; `make check-header` runs this suite). Tables the header states as
/// X-macros are not checked here: the C face and the core's C shim are generated from them.
@Suite struct HeaderAgreementTests {
    @Test func errnoNumbersMatchTheHeader() {
        let pairs: [(WasixErrno, Int)] = [
            (.success, Int(WASIXNET_ESUCCESS)), (.exist, Int(WASIXNET_EEXIST)), (.fault, Int(WASIXNET_EFAULT)),
            (.inval, Int(WASIXNET_EINVAL)), (.netunreach, Int(WASIXNET_ENETUNREACH)), (.noent, Int(WASIXNET_ENOENT)),
            (.nomem, Int(WASIXNET_ENOMEM)), (.notsup, Int(WASIXNET_ENOTSUP)), (.overflow, Int(WASIXNET_EOVERFLOW)),
        ]
        for (swift, c) in pairs { #expect(Int(swift.rawValue) == c, "\(swift)") }
    }

    /// wasixnet.h [udp.batching] and [udp.send].
    @Test func udpLimitsMatchTheHeader() {
        #expect(BatchSender.maxSegments == Int(WASIXNET_UDP_GSO_MAX_SEGMENTS))
        #expect(BatchSender.maxCoalescedBytes == Int(WASIXNET_UDP_GSO_MAX_BYTES))
        #expect(UDPSocket.maxPermits == Int(WASIXNET_UDP_MAX_PERMITS))
        #expect(UDPSocket.maxDatagramSize == Int(WASIXNET_UDP_MAX_DATAGRAM))
    }

    /// wasixnet.h [port.new]: the defaults a zero config field takes.
    @Test func portDefaultsMatchTheHeader() {
        let defaults = Port.Configuration()
        #expect(defaults.maxRoutes == Int(WASIXNET_PORT_DEFAULT_MAX_ROUTES))
        #expect(defaults.maxAddresses == Int(WASIXNET_PORT_DEFAULT_MAX_ADDRS))
    }

    /// wasixnet.h [udp.errors]: the core answers with the header's table (spot checks that the
    /// table is wired in, both ends of it, and an errno it does not name).
    @Test func kernelErrorsFollowTheHeaderTable() {
        #expect(SocketErrorCode(SystemErrno(rawValue: EAGAIN)) == .wouldBlock)
        #expect(SocketErrorCode(SystemErrno(rawValue: ENETRESET)) == .remoteUnreachable)
        #expect(SocketErrorCode(SystemErrno(rawValue: ECONNABORTED)) == .connectionAborted)
        #expect(SocketErrorCode(SystemErrno(rawValue: EOPNOTSUPP)) == .notSupported)
        #expect(SocketErrorCode(SystemErrno(rawValue: EIO)) == .unknown)
        #expect(SocketErrorCode(SystemErrno(rawValue: 9999)) == .unknown)
    }
}
