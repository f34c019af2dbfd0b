;; examples/wasm3-host/must-fail/failed_check.wat: a guest whose check does not hold. The host must
;; trap it and fail the run: otherwise the checks of the real guests prove nothing.
;; expect: guest check FAILED: this check is false on purpose
(module
  (import "demo" "check" (func $check (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "this check is false on purpose\00")
  (func (export "run")
    (call $check (i32.const 0) (i32.const 0))))
