;; guests/routes.wat: a guest that manages its own routing table through the WASIX port calls.
;;
;; It lays out its structs byte for byte as wasix-libc does (wasix_32v1, wasixnet.h [types.layouts]):
;;   __wasi_addr_t          110 B  tag @0, IPv4 octets @2 / IPv6 octets @2..18, flow info @18, scope id @22
;;   __wasi_addr_cidr_t      28 B  as an addr, IPv4 prefix @6, IPv6 prefix @26
;;   __wasi_option_timestamp_t 16 B  tag @0 (0 none, 1 some), nanoseconds @8
;;   __wasi_route_t         176 B  cidr @0, via_router @28, preferred_until @144, expires_at @160
;; Each route it adds is kept as a whole __wasi_route_t record, and port_route_add gets pointers to
;; the record's four fields. So every entry port_route_list gives back can be compared with what
;; was added byte for byte, padding included (a careful guest zeroes its structs; wasixnet writes
;; zeros in every byte that means nothing).
;;
;; It checks everything it gets through demo.check (a failed check traps it) and tells its story
;; through demo.say. demo.wait moves the port's clock, which the host starts at t=1000s.
(module
  (import "wasix_32v1" "port_addr_add" (func $port_addr_add (param i32) (result i32)))
  (import "wasix_32v1" "port_route_add" (func $port_route_add (param i32 i32 i32 i32) (result i32)))
  (import "wasix_32v1" "port_route_list" (func $port_route_list (param i32 i32) (result i32)))
  (import "wasix_32v1" "port_route_remove" (func $port_route_remove (param i32) (result i32)))
  (import "wasix_32v1" "port_gateway_set" (func $port_gateway_set (param i32) (result i32)))
  (import "wasix_32v1" "port_mac" (func $port_mac (param i32) (result i32)))
  (import "demo" "say" (func $say (param i32)))
  (import "demo" "check" (func $check (param i32 i32)))
  (import "demo" "wait" (func $wait (param i64)))
  (memory (export "memory") 1)

  ;; WASIX errno numbers
  (global $SUCCESS i32 (i32.const 0))
  (global $OVERFLOW i32 (i32.const 61))

  ;; Where things live in linear memory.
  (global $R0 i32 (i32.const 0x1000))     ;; the route records, 176 bytes each
  (global $R1 i32 (i32.const 0x10b0))
  (global $R2 i32 (i32.const 0x1160))
  (global $R3 i32 (i32.const 0x1210))
  (global $R4 i32 (i32.const 0x12c0))     ;; the default route the gateway should make
  (global $ARG i32 (i32.const 0x1400))    ;; an addr or a cidr argument (110 bytes)
  (global $MAC i32 (i32.const 0x1480))    ;; two 6-byte answers of port_mac
  (global $MAC2 i32 (i32.const 0x1488))
  (global $COUNT i32 (i32.const 0x1490))  ;; port_route_list's count cell: 4 bytes in wasix_32v1
  (global $WANT i32 (i32.const 0x14a0))   ;; the records the next listing must return, in order
  (global $LIST i32 (i32.const 0x2000))   ;; port_route_list's buffer: room for 8 routes
  (global $ROOM i32 (i32.const 8))

  ;; What the guest says and checks: NUL-terminated text, 128 bytes apart.
  (data (i32.const 0x000) "I add my address 10.0.0.5/24, then four routes: IPv4 and IPv6, two with lifetimes\00")
  (data (i32.const 0x080) "I list my routes into room for 2\00")
  (data (i32.const 0x100) "I got OVERFLOW, the real count (4), and the first 2 routes exactly as I added them\00")
  (data (i32.const 0x180) "I list them again, with room for 8\00")
  (data (i32.const 0x200) "all 4 came back byte for byte as I added them, in order\00")
  (data (i32.const 0x280) "I remove the route to 192.168.7.0\00")
  (data (i32.const 0x300) "3 routes left, the others unchanged and in order\00")
  (data (i32.const 0x380) "I set my gateway to 10.0.0.1\00")
  (data (i32.const 0x400) "its default route 0.0.0.0/0 via 10.0.0.1 came last\00")
  (data (i32.const 0x480) "I read my MAC, twice\00")
  (data (i32.const 0x500) "I wait until my IPv6 route has expired (t=1800s), and list again\00")
  (data (i32.const 0x580) "the expired route is gone, the 3 others are as I added them\00")
  (data (i32.const 0x600) "port_addr_add answers SUCCESS\00")
  (data (i32.const 0x680) "port_route_add answers SUCCESS\00")
  (data (i32.const 0x700) "port_route_list answers OVERFLOW exactly when the routes outnumber the room\00")
  (data (i32.const 0x780) "port_route_list's count cell holds the number of routes\00")
  (data (i32.const 0x800) "each listed entry is byte for byte the route the guest added, in order\00")
  (data (i32.const 0x880) "nothing is written past the entries that fit\00")
  (data (i32.const 0x900) "port_route_remove answers SUCCESS\00")
  (data (i32.const 0x980) "port_gateway_set answers SUCCESS\00")
  (data (i32.const 0xa00) "port_mac answers SUCCESS, with the same MAC both times\00")
  (data (i32.const 0xa80) "the MAC is a locally administered unicast address\00")

  ;; ---- writing wasix-libc's structs -------------------------------------------------------

  ;; Stores the low n bytes of v at p, most significant first (network order).
  (func $big_endian (param $p i32) (param $v i64) (param $n i32)
    (loop $next
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (i64.store8 (i32.add (local.get $p) (local.get $n)) (local.get $v))
      (local.set $v (i64.shr_u (local.get $v) (i64.const 8)))
      (br_if $next (local.get $n))))

  ;; The address part of an addr or a cidr: tag inet4 (1), the octets of 0xAABBCCDD = AA.BB.CC.DD @2.
  (func $ip4 (param $p i32) (param $ip i32)
    (i32.store8 (local.get $p) (i32.const 1))
    (call $big_endian (i32.add (local.get $p) (i32.const 2)) (i64.extend_i32_u (local.get $ip)) (i32.const 4)))

  ;; Tag inet6 (2), the 16 octets @2 given as two 64-bit halves, the scope id @22 as two u16
  ;; halves, the most significant first (flow info @18 stays 0).
  (func $ip6 (param $p i32) (param $hi i64) (param $lo i64) (param $scope i32)
    (i32.store8 (local.get $p) (i32.const 2))
    (call $big_endian (i32.add (local.get $p) (i32.const 2)) (local.get $hi) (i32.const 8))
    (call $big_endian (i32.add (local.get $p) (i32.const 10)) (local.get $lo) (i32.const 8))
    (i32.store16 offset=22 (local.get $p) (i32.shr_u (local.get $scope) (i32.const 16)))
    (i32.store16 offset=24 (local.get $p) (local.get $scope)))

  (func $addr4 (param $p i32) (param $ip i32)
    (memory.fill (local.get $p) (i32.const 0) (i32.const 110))
    (call $ip4 (local.get $p) (local.get $ip)))

  (func $cidr4 (param $p i32) (param $ip i32) (param $prefix i32)
    (memory.fill (local.get $p) (i32.const 0) (i32.const 28))
    (call $ip4 (local.get $p) (local.get $ip))
    (i32.store8 offset=6 (local.get $p) (local.get $prefix)))

  ;; An option<timestamp>: 0 stands for none here (tag 0, value 0), else some(t).
  (func $timestamp (param $p i32) (param $t i64)
    (i32.store8 (local.get $p) (i64.ne (local.get $t) (i64.const 0)))
    (i64.store offset=8 (local.get $p) (local.get $t)))

  ;; An IPv4 route record: net/prefix via router (0: on-link, tag unspec), lifetimes in ns.
  (func $route4 (param $r i32) (param $net i32) (param $prefix i32) (param $via i32)
                (param $preferred i64) (param $expires i64)
    (memory.fill (local.get $r) (i32.const 0) (i32.const 176))
    (call $ip4 (local.get $r) (local.get $net))
    (i32.store8 offset=6 (local.get $r) (local.get $prefix))
    (if (local.get $via) (then (call $ip4 (i32.add (local.get $r) (i32.const 28)) (local.get $via))))
    (call $timestamp (i32.add (local.get $r) (i32.const 144)) (local.get $preferred))
    (call $timestamp (i32.add (local.get $r) (i32.const 160)) (local.get $expires)))

  ;; An IPv6 route record via a link-local router (with its scope id).
  (func $route6 (param $r i32) (param $hi i64) (param $lo i64) (param $prefix i32)
                (param $via_hi i64) (param $via_lo i64) (param $via_scope i32)
                (param $preferred i64) (param $expires i64)
    (memory.fill (local.get $r) (i32.const 0) (i32.const 176))
    (call $ip6 (local.get $r) (local.get $hi) (local.get $lo) (i32.const 0))
    (i32.store8 offset=26 (local.get $r) (local.get $prefix))
    (call $ip6 (i32.add (local.get $r) (i32.const 28)) (local.get $via_hi) (local.get $via_lo) (local.get $via_scope))
    (call $timestamp (i32.add (local.get $r) (i32.const 144)) (local.get $preferred))
    (call $timestamp (i32.add (local.get $r) (i32.const 160)) (local.get $expires)))

  ;; port_route_add with pointers to the record's four fields.
  (func $add (param $r i32)
    (call $check
      (i32.eq (call $port_route_add (local.get $r) (i32.add (local.get $r) (i32.const 28))
                                    (i32.add (local.get $r) (i32.const 144)) (i32.add (local.get $r) (i32.const 160)))
              (global.get $SUCCESS))
      (i32.const 0x680)))

  ;; ---- comparing what came back ----------------------------------------------------------

  ;; 1 when the len bytes at a and b are equal (len a multiple of 8).
  (func $same (param $a i32) (param $b i32) (param $len i32) (result i32)
    (local $i i32)
    (loop $next
      (if (i64.ne (i64.load (i32.add (local.get $a) (local.get $i))) (i64.load (i32.add (local.get $b) (local.get $i))))
        (then (return (i32.const 0))))
      (local.set $i (i32.add (local.get $i) (i32.const 8)))
      (br_if $next (i32.lt_u (local.get $i) (local.get $len))))
    (i32.const 1))

  ;; 1 when the len bytes at p all still hold the 0xAA the buffer was filled with.
  (func $untouched (param $p i32) (param $len i32) (result i32)
    (local $i i32)
    (loop $next
      (if (i64.ne (i64.load (i32.add (local.get $p) (local.get $i))) (i64.const 0xaaaaaaaaaaaaaaaa))
        (then (return (i32.const 0))))
      (local.set $i (i32.add (local.get $i) (i32.const 8)))
      (br_if $next (i32.lt_u (local.get $i) (local.get $len))))
    (i32.const 1))

  ;; The records the next listing must return, in order (0 after the last).
  (func $want (param $a i32) (param $b i32) (param $c i32) (param $d i32)
    (i32.store offset=0 (global.get $WANT) (local.get $a))
    (i32.store offset=4 (global.get $WANT) (local.get $b))
    (i32.store offset=8 (global.get $WANT) (local.get $c))
    (i32.store offset=12 (global.get $WANT) (local.get $d)))

  ;; Lists the routes into room for `room` and checks the list protocol against the n wanted
  ;; records: the count cell says n; OVERFLOW if and only if n > room; the first min(n, room)
  ;; entries equal the records in order; the next entry's bytes are untouched.
  (func $list_and_check (param $room i32) (param $n i32)
    (local $err i32) (local $fit i32) (local $i i32)
    (memory.fill (global.get $LIST) (i32.const 0xaa) (i32.mul (global.get $ROOM) (i32.const 176)))
    (i32.store (global.get $COUNT) (local.get $room))
    (local.set $err (call $port_route_list (global.get $LIST) (global.get $COUNT)))
    (call $check
      (i32.eq (local.get $err)
              (select (global.get $OVERFLOW) (global.get $SUCCESS) (i32.gt_u (local.get $n) (local.get $room))))
      (i32.const 0x700))
    (call $check (i32.eq (i32.load (global.get $COUNT)) (local.get $n)) (i32.const 0x780))
    (local.set $fit (select (local.get $room) (local.get $n) (i32.gt_u (local.get $n) (local.get $room))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $fit)))
        (call $check
          (call $same (i32.add (global.get $LIST) (i32.mul (local.get $i) (i32.const 176)))
                      (i32.load (i32.add (global.get $WANT) (i32.mul (local.get $i) (i32.const 4))))
                      (i32.const 176))
          (i32.const 0x800))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (if (i32.lt_u (local.get $fit) (global.get $ROOM))
      (then
        (call $check (call $untouched (i32.add (global.get $LIST) (i32.mul (local.get $fit) (i32.const 176)))
                                      (i32.const 176))
                     (i32.const 0x880)))))

  ;; ---- the guest's life --------------------------------------------------------------------

  (func (export "run")
    ;; Its address, then four routes. Lifetimes are absolute times in ns on the port's clock.
    (call $say (i32.const 0x000))
    (call $cidr4 (global.get $ARG) (i32.const 0x0a000005) (i32.const 24))                 ;; 10.0.0.5/24
    (call $check (i32.eq (call $port_addr_add (global.get $ARG)) (global.get $SUCCESS)) (i32.const 0x600))
    (call $route4 (global.get $R0) (i32.const 0x0a010000) (i32.const 16) (i32.const 0x0a000001)    ;; 10.1.0.0/16 via 10.0.0.1
                  (i64.const 0) (i64.const 0))
    (call $route4 (global.get $R1) (i32.const 0xc0a80700) (i32.const 24) (i32.const 0x0a000002)    ;; 192.168.7.0/24 via 10.0.0.2
                  (i64.const 1300000000000) (i64.const 1600000000000))                             ;; preferred until t=1300s, expires t=1600s
    (call $route6 (global.get $R2) (i64.const 0x20010db800020000) (i64.const 0) (i32.const 48)     ;; 2001:db8:2::/48
                  (i64.const 0xfe80000000000000) (i64.const 1) (i32.const 2)                       ;; via fe80::1%2
                  (i64.const 1500000000000) (i64.const 1800000000000))                             ;; preferred until t=1500s, expires t=1800s
    (call $route4 (global.get $R3) (i32.const 0xac100000) (i32.const 12) (i32.const 0)             ;; 172.16.0.0/12 on-link
                  (i64.const 0) (i64.const 0))
    (call $add (global.get $R0))
    (call $add (global.get $R1))
    (call $add (global.get $R2))
    (call $add (global.get $R3))

    ;; The list protocol: too small a buffer first, then one big enough.
    (call $want (global.get $R0) (global.get $R1) (global.get $R2) (global.get $R3))
    (call $say (i32.const 0x080))
    (call $list_and_check (i32.const 2) (i32.const 4))
    (call $say (i32.const 0x100))
    (call $say (i32.const 0x180))
    (call $list_and_check (global.get $ROOM) (i32.const 4))
    (call $say (i32.const 0x200))

    ;; port_route_remove takes an addr: every route to that address goes.
    (call $say (i32.const 0x280))
    (call $addr4 (global.get $ARG) (i32.const 0xc0a80700))                                 ;; 192.168.7.0
    (call $check (i32.eq (call $port_route_remove (global.get $ARG)) (global.get $SUCCESS)) (i32.const 0x900))
    (call $want (global.get $R0) (global.get $R2) (global.get $R3) (i32.const 0))
    (call $list_and_check (global.get $ROOM) (i32.const 3))
    (call $say (i32.const 0x300))

    ;; The gateway is a default route, listed after the others.
    (call $say (i32.const 0x380))
    (call $addr4 (global.get $ARG) (i32.const 0x0a000001))                                 ;; 10.0.0.1
    (call $check (i32.eq (call $port_gateway_set (global.get $ARG)) (global.get $SUCCESS)) (i32.const 0x980))
    (call $route4 (global.get $R4) (i32.const 0) (i32.const 0) (i32.const 0x0a000001) (i64.const 0) (i64.const 0))
    (call $want (global.get $R0) (global.get $R2) (global.get $R3) (global.get $R4))
    (call $list_and_check (global.get $ROOM) (i32.const 4))
    (call $say (i32.const 0x400))

    ;; The MAC: the port's own, the same on every call; locally administered unicast means
    ;; the first octet's two low bits are 1 (local) and 0 (unicast).
    (call $say (i32.const 0x480))
    (call $check
      (i32.and
        (i32.and (i32.eqz (call $port_mac (global.get $MAC))) (i32.eqz (call $port_mac (global.get $MAC2))))
        (i32.and (i32.eq (i32.load (global.get $MAC)) (i32.load (global.get $MAC2)))
                 (i32.eq (i32.load16_u offset=4 (global.get $MAC)) (i32.load16_u offset=4 (global.get $MAC2)))))
      (i32.const 0xa00))
    (call $check (i32.eq (i32.and (i32.load8_u (global.get $MAC)) (i32.const 3)) (i32.const 2)) (i32.const 0xa80))

    ;; Lifetimes: at t=1900s the IPv6 route (expires t=1800s) is gone.
    (call $say (i32.const 0x500))
    (call $wait (i64.const 900))
    (call $want (global.get $R0) (global.get $R3) (global.get $R4) (i32.const 0))
    (call $list_and_check (global.get $ROOM) (i32.const 3))
    (call $say (i32.const 0x580)))
)
