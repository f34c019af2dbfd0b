import Testing

/// Every suite whose tests run threads at once on shared state (ports, sockets, the fault hooks)
/// is nested in this one. `make check-tsan` runs this suite, and only it, under ThreadSanitizer:
/// a test is chosen by the suite it sits in, so renaming it cannot drop it from the TSan run, and
/// a new concurrent suite joins by being declared in an `extension Concurrent`.
@Suite enum Concurrent {}
