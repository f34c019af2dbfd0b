;; examples/wasm3-host/guests/memory_grow.wat: a guest whose memory grows between its port calls.
;;
;; A host hands wasixnet the guest's memory as it is on each call, base and size: memory.grow may
;; have moved it (wasm3 reallocs it) and made it larger. A host that kept the view of an earlier
;; call would answer FAULT for the new pages, or write through a freed base. This guest asks for
;; its MAC into a page it does not have yet (FAULT), grows its memory by 16 pages,
;; and then uses the new pages for every struct of port_mac, port_addr_add and port_addr_list.
;; It reports through the host's "demo" imports, as the wasmtime host's guests do.
(module
  (import "wasix_32v1" "port_mac" (func $port_mac (param i32) (result i32)))
  (import "wasix_32v1" "port_addr_add" (func $port_addr_add (param i32) (result i32)))
  (import "wasix_32v1" "port_addr_list" (func $port_addr_list (param i32 i32) (result i32)))
  (import "demo" "say" (func $say (param i32)))
  (import "demo" "check" (func $check (param i32 i32)))
  (memory (export "memory") 1)

  ;; WASIX errno numbers
  (global $SUCCESS i32 (i32.const 0))
  (global $FAULT i32 (i32.const 21))

  (global $GROW_PAGES i32 (i32.const 16))
  (global $MAC i32 (i32.const 0x80010))     ;; in the last page the grow adds: 6 bytes
  (global $CIDR i32 (i32.const 0x40100))    ;; 28 bytes
  (global $COUNT i32 (i32.const 0x60000))   ;; port_addr_list's count cell: 4 bytes in wasix_32v1
  (global $LIST i32 (i32.const 0x7fff0))    ;; room for 4 cidrs, across a page boundary

  (data (i32.const 0x000) "I have one page of memory, and ask for my MAC into page 9, which I do not have yet\00")
  (data (i32.const 0x080) "I grow my memory by 16 pages, and ask again\00")
  (data (i32.const 0x100) "I add 10.9.0.1/16 from a struct in a new page, and list my addresses into new pages\00")
  (data (i32.const 0x180) "my MAC came back in a new page, and my address as I wrote it\00")
  (data (i32.const 0x200) "port_mac into memory I do not have answers FAULT\00")
  (data (i32.const 0x280) "memory.grow gave me 16 pages after my first one\00")
  (data (i32.const 0x300) "port_mac in a new page answers SUCCESS, with a locally administered unicast MAC\00")
  (data (i32.const 0x380) "port_addr_add answers SUCCESS\00")
  (data (i32.const 0x400) "port_addr_list answers SUCCESS, with 1 address, byte for byte the one I added\00")

  (func (export "run")
    (call $say (i32.const 0x000))
    (call $check (i32.eq (call $port_mac (global.get $MAC)) (global.get $FAULT)) (i32.const 0x200))

    (call $say (i32.const 0x080))
    (call $check (i32.eq (memory.grow (global.get $GROW_PAGES)) (i32.const 1)) (i32.const 0x280))
    (call $check
      (i32.and (i32.eq (call $port_mac (global.get $MAC)) (global.get $SUCCESS))
               (i32.eq (i32.and (i32.load8_u (global.get $MAC)) (i32.const 3)) (i32.const 2)))
      (i32.const 0x300))

    ;; 10.9.0.1/16: tag inet4 @0, octets @2, prefix @6, the rest zero (fresh pages are)
    (call $say (i32.const 0x100))
    (i32.store8 (global.get $CIDR) (i32.const 1))
    (i32.store offset=2 (global.get $CIDR) (i32.const 0x0100090a))
    (i32.store8 offset=6 (global.get $CIDR) (i32.const 16))
    (call $check (i32.eq (call $port_addr_add (global.get $CIDR)) (global.get $SUCCESS)) (i32.const 0x380))
    (i32.store (global.get $COUNT) (i32.const 4))
    (call $check
      (i32.and
        (i32.and (i32.eq (call $port_addr_list (global.get $LIST) (global.get $COUNT)) (global.get $SUCCESS))
                 (i32.eq (i32.load (global.get $COUNT)) (i32.const 1)))
        (i32.and
          (i32.and (i64.eq (i64.load offset=0 (global.get $LIST)) (i64.load offset=0 (global.get $CIDR)))
                   (i64.eq (i64.load offset=8 (global.get $LIST)) (i64.load offset=8 (global.get $CIDR))))
          (i32.and (i64.eq (i64.load offset=16 (global.get $LIST)) (i64.load offset=16 (global.get $CIDR)))
                   (i32.eq (i32.load offset=24 (global.get $LIST)) (i32.load offset=24 (global.get $CIDR))))))
      (i32.const 0x400))
    (call $say (i32.const 0x180)))
)
