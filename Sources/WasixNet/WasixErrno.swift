/// A WASIX error number (the `wasix_v1` witx numbering), as a typed value rather than a raw
/// integer. Only the numbers the core produces are named here; the C header holds the full list,
/// and a test checks that these agree with it.
public struct WasixErrno: RawRepresentable, Hashable, Sendable, Error, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    // Computed, not stored: a stored static is a lazily initialised global, and every use would
    // go through its one-time-initialisation check on the hot paths.

    public static var success: WasixErrno { WasixErrno(rawValue: 0) }
    public static var exist: WasixErrno { WasixErrno(rawValue: 20) }
    public static var fault: WasixErrno { WasixErrno(rawValue: 21) }
    public static var inval: WasixErrno { WasixErrno(rawValue: 28) }
    public static var netunreach: WasixErrno { WasixErrno(rawValue: 40) }
    public static var noent: WasixErrno { WasixErrno(rawValue: 44) }
    public static var nomem: WasixErrno { WasixErrno(rawValue: 48) }
    public static var notsup: WasixErrno { WasixErrno(rawValue: 58) }
    public static var overflow: WasixErrno { WasixErrno(rawValue: 61) }

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
