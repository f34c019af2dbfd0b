import CWasixNetSystem

/// A value behind a `pthread_mutex_t`: the only way in is `withLock`, which holds the mutex for
/// the duration of the body.
///
/// Why not `Synchronization.Mutex`: Embedded Swift, which builds the shipped library, does not
/// have it; and on Linux it hands a contended lock over in the kernel (FUTEX_LOCK_PI) from inside
/// the prebuilt stdlib, where ThreadSanitizer sees no happens-before edge and reports every
/// access to the guarded value as a race. A plain (non-recursive, non-PI) pthread mutex is the
/// same in both builds, needs no thread id on the uncontended path, and TSan intercepts it, so a
/// real race on the guarded value is reported.
///
/// A class, so that the mutex has one fixed address for its whole life (pthread requires it; a
/// stored property of a struct may be moved). The mutex lives in its own allocation for the same
/// reason: Swift promises no stable address for a class's stored property either.
public final class Locked<Value>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    public init(_ value: Value) {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        // Default attributes cannot fail to initialise a mutex on Linux (no resources are taken).
        _ = pthread_mutex_init(mutex, nil)
        self.value = value
    }

    deinit {
        _ = pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` on the value with the mutex held; the body must not call `withLock` on the
    /// same instance (the mutex is not recursive).
    @inline(__always)
    public func withLock<Result, Failure: Error>(_ body: (inout Value) throws(Failure) -> Result) throws(Failure) -> Result {
        _ = pthread_mutex_lock(mutex)
        defer { _ = pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
