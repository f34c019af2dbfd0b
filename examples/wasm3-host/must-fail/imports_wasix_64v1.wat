;; examples/wasm3-host/must-fail/imports_wasix_64v1.wat: a guest that imports a wasix_64v1 port call.
;; wasm3 has no memory64, so the host offers no wasix_64v1 import: the guest must be refused before
;; it runs, naming the import, rather than fail at its first call.
;; expect: missing imported function ('wasix_64v1.port_mac')
(module
  (import "wasix_64v1" "port_mac" (func $port_mac (param i64) (result i32)))
  (memory (export "memory") 1)
  (func (export "run")
    (drop (call $port_mac (i64.const 0)))))
