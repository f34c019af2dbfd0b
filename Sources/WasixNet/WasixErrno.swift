/// A WASIX error number (the `wasix_v1` witx numbering), as a typed value rather than a raw
/// integer. Only the numbers the core produces are named here; the C header holds the full list,
/// and a test checks that these agree with it.
public struct WasixErrno: RawRepresentable, Hashable, Sendable, Error, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let success = WasixErrno(rawValue: 0)
    public static let exist = WasixErrno(rawValue: 20)
    public static let fault = WasixErrno(rawValue: 21)
    public static let inval = WasixErrno(rawValue: 28)
    public static let netunreach = WasixErrno(rawValue: 40)
    public static let noent = WasixErrno(rawValue: 44)
    public static let nomem = WasixErrno(rawValue: 48)
    public static let notsup = WasixErrno(rawValue: 58)
    public static let overflow = WasixErrno(rawValue: 61)

    public var description: String {
        switch self {
        case .success: "SUCCESS"
        case .exist: "EXIST"
        case .fault: "FAULT"
        case .inval: "INVAL"
        case .netunreach: "NETUNREACH"
        case .noent: "NOENT"
        case .nomem: "NOMEM"
        case .notsup: "NOTSUP"
        case .overflow: "OVERFLOW"
        default: "errno \(rawValue)"
        }
    }
}
