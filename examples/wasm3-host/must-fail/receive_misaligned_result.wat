;; examples/wasm3-host/must-fail/receive_misaligned_result.wat: a guest that asks receive to store
;; its result<list<incoming-datagram>, error-code> at an address that is not a multiple of 4. The
;; canonical ABI traps the guest before anything is received (wasixnet_guest_udp_receive answers
;; TRAP), and the host must stop it.
;; expect: receive: the guest broke the canonical ABI (wasixnet_sock_status TRAP)
(module
  (import "demo" "udp_stream" (func $udp_stream (param i32) (result i32)))
  (import "wasi:sockets/udp@0.2.0" "[method]incoming-datagram-stream.receive"
    (func $receive (param i32 i64 i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 0x1000))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (global.get $heap))
  (func (export "run")
    (call $receive (call $udp_stream (i32.const 0x100)) (i64.const 4) (i32.const 0x202)))
)
