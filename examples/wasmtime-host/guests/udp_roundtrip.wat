;; guests/udp_roundtrip.wat: a guest that sends batches of UDP datagrams to itself and receives
;; them back, as a component's core module does once wasi:sockets is lowered for it.
;;
;; Sending is udp_batch.wat's list<outgoing-datagram> (44 bytes an element), addressed to the
;; guest's own socket. Receiving is incoming-datagram-stream.receive(self, max-results: u64,
;; retptr): the host lowers result<list<incoming-datagram>, error-code> into this memory the way
;; the canonical ABI does, calling this module's exported cabi_realloc for the element array
;; (align 4, 40 bytes an element) and then for each datagram's bytes (align 1), and stores at
;; retptr: tag u8 @0 (0: ok), list pointer u32 @4, length u32 @8. An element:
;;   data: list<u8>                    pointer u32 @0, length u32 @4
;;   remote-address: ip-socket-address tag u8 @8 (0: ipv4), port u16 @12, octets @14
;; This cabi_realloc grows the memory now and then on purpose (memory.grow may move it under the
;; host: the host must look again after each call), and whenever the heap needs it.
;;
;; Three rounds: 8 datagrams of 30 bytes (one GSO run), received 64 at a time; 5 of 0, 23, 46, 69
;; and 92 bytes (a zero-length datagram among them), received 2 at a time; 40 of 100 bytes,
;; received 16 at a time, so the socket holds what one call had no room for: demo.udp_ready, the
;; incoming stream's `subscribe` + block, must see those held datagrams though the socket's
;; descriptor has nothing more to read. Every byte, length and sender is checked.
(module
  (import "demo" "udp_stream" (func $udp_stream (param i32) (result i32)))
  (import "demo" "udp_own_address" (func $udp_own_address (param i32)))
  (import "demo" "udp_ready" (func $udp_ready (param i32 i32) (result i32)))
  (import "wasi:sockets/udp@0.2.0" "[method]outgoing-datagram-stream.check-send"
    (func $check_send (param i32 i32)))
  (import "wasi:sockets/udp@0.2.0" "[method]outgoing-datagram-stream.send"
    (func $send (param i32 i32 i32 i32)))
  (import "wasi:sockets/udp@0.2.0" "[method]incoming-datagram-stream.receive"
    (func $receive (param i32 i64 i32)))
  (import "demo" "say" (func $say (param i32)))
  (import "demo" "check" (func $check (param i32 i32)))
  (memory (export "memory") 1)

  (global $PEER i32 (i32.const 0x1000))     ;; the host's receiver (unused here: we send to ourselves)
  (global $RET i32 (i32.const 0x1040))      ;; send's return area: 16 bytes, 8-aligned
  (global $SELF i32 (i32.const 0x1080))     ;; our own ip-socket-address
  (global $RECEIVED i32 (i32.const 0x10c0)) ;; receive's return area: 12 bytes, 4-aligned
  (global $LIST i32 (i32.const 0x2000))     ;; up to 48 elements of 44 bytes
  (global $PAYLOADS i32 (i32.const 0x3000)) ;; payloads, 128 bytes apart
  (global $heap (mut i32) (i32.const 0x5000))
  (global $reallocs (mut i32) (i32.const 0))
  (global $grows (mut i32) (i32.const 0))

  (data (i32.const 0x000) "I open a datagram stream and ask the host for my own address\00")
  (data (i32.const 0x080) "round 1: 8 datagrams of 30 bytes to myself, received up to 64 at a time\00")
  (data (i32.const 0x100) "round 2: 5 datagrams of 0 to 92 bytes to myself, received 2 at a time\00")
  (data (i32.const 0x180) "round 3: 40 datagrams of 100 bytes to myself, received 16 at a time\00")
  (data (i32.const 0x200) "check-send answers ok, with permits for the whole batch\00")
  (data (i32.const 0x280) "send answers ok, with the number of datagrams sent\00")
  (data (i32.const 0x300) "the incoming stream is ready (pending datagrams or a readable socket)\00")
  (data (i32.const 0x380) "receive answers ok, with no more datagrams than asked for or sent\00")
  (data (i32.const 0x400) "every datagram came back whole: its length and every byte\00")
  (data (i32.const 0x480) "every datagram came from my own address, 127.0.0.1 and my port\00")
  (data (i32.const 0x500) "all the datagrams of the round came back, each once, in order\00")
  (data (i32.const 0x580) "my cabi_realloc grew the memory while the host lowered the lists\00")
  (data (i32.const 0x600) "every datagram I sent to myself came back, byte for byte\00")

  ;; canonical ABI realloc: only ever asked for new blocks here (old_ptr 0). Bump allocation;
  ;; every 8th call grows the memory by a page whether or not the block needs it.
  (func (export "cabi_realloc") (param $old i32) (param $old_size i32) (param $align i32) (param $size i32)
    (result i32)
    (local $block i32) (local $end i32)
    (if (i32.or (local.get $old) (local.get $old_size)) (then unreachable))
    (local.set $block (i32.and (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
                               (i32.sub (i32.const 0) (local.get $align))))
    (local.set $end (i32.add (local.get $block) (local.get $size)))
    (global.set $reallocs (i32.add (global.get $reallocs) (i32.const 1)))
    (if (i32.eqz (i32.and (global.get $reallocs) (i32.const 7)))
      (then (call $grow)))
    (block $enough
      (loop $more
        (br_if $enough (i32.le_u (local.get $end) (i32.mul (memory.size) (i32.const 65536))))
        (call $grow)
        (br $more)))
    (global.set $heap (local.get $end))
    (local.get $block))

  (func $grow
    (if (i32.eq (memory.grow (i32.const 1)) (i32.const -1)) (then unreachable))
    (global.set $grows (i32.add (global.get $grows) (i32.const 1))))

  ;; The byte `j` of datagram `i` of round `r`, and datagram i's length.
  (func $byte (param $r i32) (param $i i32) (param $j i32) (result i32)
    (i32.and (i32.add (i32.add (i32.mul (local.get $r) (i32.const 64)) (i32.mul (local.get $i) (i32.const 7)))
                      (local.get $j))
             (i32.const 255)))

  (func $length (param $base i32) (param $step i32) (param $i i32) (result i32)
    (i32.add (local.get $base) (i32.mul (local.get $i) (local.get $step))))

  ;; One round: n datagrams of base + i * step bytes sent to ourselves in one call, then received
  ;; `max` at a time until all are back.
  (func $round (param $stream i32) (param $r i32) (param $n i32) (param $base i32) (param $step i32)
    (param $max i32)
    (local $i i32) (local $j i32) (local $len i32) (local $payload i32) (local $element i32)
    (local $got i32) (local $calls i32) (local $list i32) (local $count i32) (local $k i32) (local $data i32)
    (local $whole i32) (local $from_us i32) (local $answers_ok i32)
    ;; the list to send
    (loop $next
      (local.set $payload (i32.add (global.get $PAYLOADS) (i32.mul (local.get $i) (i32.const 128))))
      (local.set $len (call $length (local.get $base) (local.get $step) (local.get $i)))
      (local.set $j (i32.const 0))
      (block $filled
        (loop $fill
          (br_if $filled (i32.ge_u (local.get $j) (local.get $len)))
          (i32.store8 (i32.add (local.get $payload) (local.get $j)) (call $byte (local.get $r) (local.get $i) (local.get $j)))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $fill)))
      (local.set $element (i32.add (global.get $LIST) (i32.mul (local.get $i) (i32.const 44))))
      (i32.store offset=0 (local.get $element) (local.get $payload))
      (i32.store offset=4 (local.get $element) (local.get $len))
      (i32.store8 offset=8 (local.get $element) (i32.const 1))
      (memory.copy (i32.add (local.get $element) (i32.const 12)) (global.get $SELF) (i32.const 32))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (local.get $n))))

    (call $check_send (local.get $stream) (global.get $RET))
    (call $check
      (i32.and (i32.eqz (i32.load8_u (global.get $RET)))
               (i64.ge_u (i64.load offset=8 (global.get $RET)) (i64.extend_i32_u (local.get $n))))
      (i32.const 0x200))
    (call $send (local.get $stream) (global.get $LIST) (local.get $n) (global.get $RET))
    (call $check
      (i32.and (i32.eqz (i32.load8_u (global.get $RET)))
               (i64.eq (i64.load offset=8 (global.get $RET)) (i64.extend_i32_u (local.get $n))))
      (i32.const 0x280))

    ;; receive until all n are back (100 calls at most)
    (local.set $whole (i32.const 1))
    (local.set $from_us (i32.const 1))
    (local.set $answers_ok (i32.const 1))
    (block $all_back
      (loop $again
        (br_if $all_back (i32.ge_u (local.get $got) (local.get $n)))
        (br_if $all_back (i32.ge_u (local.get $calls) (i32.const 100)))
        (call $check (call $udp_ready (local.get $stream) (i32.const 2000)) (i32.const 0x300))
        (call $receive (local.get $stream) (i64.extend_i32_u (local.get $max)) (global.get $RECEIVED))
        (local.set $calls (i32.add (local.get $calls) (i32.const 1)))
        (local.set $list (i32.load offset=4 (global.get $RECEIVED)))
        (local.set $count (i32.load offset=8 (global.get $RECEIVED)))
        (local.set $answers_ok (i32.and (local.get $answers_ok)
          (i32.and (i32.eqz (i32.load8_u (global.get $RECEIVED)))
                   (i32.and (i32.le_u (local.get $count) (local.get $max))
                            (i32.le_u (i32.add (local.get $got) (local.get $count)) (local.get $n))))))
        (call $check (local.get $answers_ok) (i32.const 0x380))
        (local.set $k (i32.const 0))
        (block $elements_done
          (loop $element_loop
            (br_if $elements_done (i32.ge_u (local.get $k) (local.get $count)))
            (local.set $element (i32.add (local.get $list) (i32.mul (local.get $k) (i32.const 40))))
            (local.set $i (i32.add (local.get $got) (local.get $k)))
            (local.set $len (call $length (local.get $base) (local.get $step) (local.get $i)))
            (local.set $data (i32.load offset=0 (local.get $element)))
            (local.set $whole (i32.and (local.get $whole)
              (i32.eq (i32.load offset=4 (local.get $element)) (local.get $len))))
            (local.set $j (i32.const 0))
            (block $bytes_done
              (loop $bytes
                (br_if $bytes_done (i32.ge_u (local.get $j) (local.get $len)))
                (local.set $whole (i32.and (local.get $whole)
                  (i32.eq (i32.load8_u (i32.add (local.get $data) (local.get $j)))
                          (call $byte (local.get $r) (local.get $i) (local.get $j)))))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $bytes)))
            ;; ipv4, our port, our address
            (local.set $from_us (i32.and (local.get $from_us)
              (i32.and (i32.eqz (i32.load8_u offset=8 (local.get $element)))
                       (i32.and (i32.eq (i32.load16_u offset=12 (local.get $element)) (i32.load16_u offset=4 (global.get $SELF)))
                                (i32.eq (i32.load offset=14 (local.get $element)) (i32.load offset=6 (global.get $SELF)))))))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $element_loop)))
        (local.set $got (i32.add (local.get $got) (local.get $count)))
        (br $again)))
    (call $check (local.get $whole) (i32.const 0x400))
    (call $check (local.get $from_us) (i32.const 0x480))
    (call $check (i32.eq (local.get $got) (local.get $n)) (i32.const 0x500)))

  (func (export "run")
    (local $stream i32)
    (call $say (i32.const 0x000))
    (local.set $stream (call $udp_stream (global.get $PEER)))
    (call $udp_own_address (global.get $SELF))
    (call $say (i32.const 0x080))
    (call $round (local.get $stream) (i32.const 0) (i32.const 8) (i32.const 30) (i32.const 0) (i32.const 64))
    (call $say (i32.const 0x100))
    (call $round (local.get $stream) (i32.const 1) (i32.const 5) (i32.const 0) (i32.const 23) (i32.const 2))
    (call $say (i32.const 0x180))
    (call $round (local.get $stream) (i32.const 2) (i32.const 40) (i32.const 100) (i32.const 0) (i32.const 16))
    (call $check (i32.gt_u (global.get $grows) (i32.const 0)) (i32.const 0x580))
    (call $say (i32.const 0x600)))
)
