;; guests/udp_batch.wat: a guest that sends a batch of UDP datagrams in one call.
;;
;; It builds a wasi:sockets list<outgoing-datagram> in its memory in the canonical ABI's layout,
;; 44 bytes an element:
;;   data: list<u8>                    pointer u32 @0, length u32 @4
;;   remote-address: option<...>       tag u8 @8 (1: some), ip-socket-address @12
;;   ip-socket-address (32 B)          tag u8 @0 (0: ipv4), port u16 @4, octets @6
;; and calls outgoing-datagram-stream.check-send and .send as a component's core module calls them
;; once lowered: (self, ..., retptr), with each result<u64, error-code> stored at retptr as
;; tag u8 @0, value @8.
;; The host tells it where its receiver is (demo.udp_stream); every datagram goes there.
(module
  (import "demo" "udp_stream" (func $udp_stream (param i32) (result i32)))
  (import "wasi:sockets/udp@0.2.0" "[method]outgoing-datagram-stream.check-send"
    (func $check_send (param i32 i32)))
  (import "wasi:sockets/udp@0.2.0" "[method]outgoing-datagram-stream.send"
    (func $send (param i32 i32 i32 i32)))
  (import "demo" "say" (func $say (param i32)))
  (import "demo" "check" (func $check (param i32 i32)))
  (memory (export "memory") 1)

  (global $N i32 (i32.const 8))            ;; datagrams in the batch
  (global $PEER i32 (i32.const 0x1000))    ;; the receiver's ip-socket-address
  (global $RET i32 (i32.const 0x1040))     ;; the return area: 16 bytes, 8-aligned
  (global $LIST i32 (i32.const 0x2000))    ;; N elements of 44 bytes
  (global $PAYLOADS i32 (i32.const 0x3000)) ;; N payloads, 32 bytes apart
  (global $TEMPLATE i32 (i32.const 0x0f00))
  (global $LEN i32 (i32.const 30))         ;; "datagram 1 of 8 from the guest"

  (data (i32.const 0x0f00) "datagram ? of 8 from the guest")
  (data (i32.const 0x000) "I ask for a datagram stream; the host tells me where its receiver listens\00")
  (data (i32.const 0x080) "I build a list<outgoing-datagram> of 8, each addressed to the receiver, and ask check-send\00")
  (data (i32.const 0x100) "I send the whole list in one call\00")
  (data (i32.const 0x180) "send says all 8 went out\00")
  (data (i32.const 0x200) "check-send answers ok, with permits for the whole batch\00")
  (data (i32.const 0x280) "send answers ok, with the number of datagrams sent: 8\00")

  (func (export "run")
    (local $stream i32) (local $i i32) (local $payload i32) (local $element i32)
    (call $say (i32.const 0x000))
    (local.set $stream (call $udp_stream (global.get $PEER)))

    (call $say (i32.const 0x080))
    (loop $next
      ;; the payload: the template with its '?' made the datagram's number
      (local.set $payload (i32.add (global.get $PAYLOADS) (i32.mul (local.get $i) (i32.const 32))))
      (memory.copy (local.get $payload) (global.get $TEMPLATE) (global.get $LEN))
      (i32.store8 offset=9 (local.get $payload) (i32.add (i32.const 0x31) (local.get $i)))
      ;; the element: data, then some(receiver)
      (local.set $element (i32.add (global.get $LIST) (i32.mul (local.get $i) (i32.const 44))))
      (i32.store offset=0 (local.get $element) (local.get $payload))
      (i32.store offset=4 (local.get $element) (global.get $LEN))
      (i32.store8 offset=8 (local.get $element) (i32.const 1))
      (memory.copy (i32.add (local.get $element) (i32.const 12)) (global.get $PEER) (i32.const 32))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (global.get $N))))

    ;; send may take no more datagrams than check-send granted
    (call $check_send (local.get $stream) (global.get $RET))
    (call $check
      (i32.and (i32.eqz (i32.load8_u (global.get $RET)))
               (i64.ge_u (i64.load offset=8 (global.get $RET)) (i64.extend_i32_u (global.get $N))))
      (i32.const 0x200))

    (call $say (i32.const 0x100))
    (call $send (local.get $stream) (global.get $LIST) (global.get $N) (global.get $RET))
    (call $check
      (i32.and (i32.eqz (i32.load8_u (global.get $RET)))
               (i64.eq (i64.load offset=8 (global.get $RET)) (i64.extend_i32_u (global.get $N))))
      (i32.const 0x280))
    (call $say (i32.const 0x180)))
)
