;; The dense Adam update as WebAssembly SIMD, run in place on tfjs-backend-wasm's heap (the imported memory): the
;; wasm-only twin of adamUpdate in ../optimizer-kernels.ts and of native/optimizers.h. Float32 arithmetic in the
;; JavaScript loop's order, no fused multiply-add:
;;   m' = m b1 + g (1 - b1)
;;   v' = v b2 + (g g) (1 - b2)
;;   w' = w + ((m' / c1) / (sqrt(v' / c2) + eps)) (-lr)
;; The JavaScript loop computes each operation in float64 and rounds it to float32 (Math.fround); for +, -, *, / and
;; sqrt of float32 operands that double rounding equals the float32 operation (float64 has more than 2 x 24 + 2
;; significand bits), so the outputs are bit-identical (test/simd-adam.test.ts checks it on a million random values of any magnitude).
;;
;; Four lanes per step, then a scalar tail for the last n mod 4 elements. All pointers are byte offsets into the heap;
;; outputs must not overlap inputs. Assembled by scripts/build-wasm-kernels.ts (wabt, simd feature) into
;; adam.wasm.generated.ts.
(module
  (import "env" "memory" (memory 1))

  (func (export "adam")
    (param $w i32) (param $g i32) (param $m i32) (param $v i32) (param $wOut i32) (param $mOut i32) (param $vOut i32)
    (param $n i32) (param $b1 f32) (param $ob1 f32) (param $b2 f32) (param $ob2 f32) (param $c1 f32) (param $c2 f32)
    (param $eps f32) (param $negLr f32)
    (local $o i32) (local $end4 i32) (local $end i32)
    (local $B1 v128) (local $OB1 v128) (local $B2 v128) (local $OB2 v128) (local $C1 v128) (local $C2 v128)
    (local $EPS v128) (local $NEGLR v128)
    (local $gv v128) (local $mv v128) (local $vv v128)
    (local $gs f32) (local $ms f32) (local $vs f32)
    (local.set $B1 (f32x4.splat (local.get $b1)))
    (local.set $OB1 (f32x4.splat (local.get $ob1)))
    (local.set $B2 (f32x4.splat (local.get $b2)))
    (local.set $OB2 (f32x4.splat (local.get $ob2)))
    (local.set $C1 (f32x4.splat (local.get $c1)))
    (local.set $C2 (f32x4.splat (local.get $c2)))
    (local.set $EPS (f32x4.splat (local.get $eps)))
    (local.set $NEGLR (f32x4.splat (local.get $negLr)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (local.set $end4 (i32.and (local.get $end) (i32.const -16)))
    (local.set $o (i32.const 0))
    (block $vectorsDone
      (loop $vectors
        (br_if $vectorsDone (i32.ge_u (local.get $o) (local.get $end4)))
        (local.set $gv (v128.load (i32.add (local.get $g) (local.get $o))))
        (local.set $mv (f32x4.add
          (f32x4.mul (v128.load (i32.add (local.get $m) (local.get $o))) (local.get $B1))
          (f32x4.mul (local.get $gv) (local.get $OB1))))
        (local.set $vv (f32x4.add
          (f32x4.mul (v128.load (i32.add (local.get $v) (local.get $o))) (local.get $B2))
          (f32x4.mul (f32x4.mul (local.get $gv) (local.get $gv)) (local.get $OB2))))
        (v128.store (i32.add (local.get $mOut) (local.get $o)) (local.get $mv))
        (v128.store (i32.add (local.get $vOut) (local.get $o)) (local.get $vv))
        (v128.store (i32.add (local.get $wOut) (local.get $o))
          (f32x4.add
            (v128.load (i32.add (local.get $w) (local.get $o)))
            (f32x4.mul
              (f32x4.div
                (f32x4.div (local.get $mv) (local.get $C1))
                (f32x4.add (f32x4.sqrt (f32x4.div (local.get $vv) (local.get $C2))) (local.get $EPS)))
              (local.get $NEGLR))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $vectors)))
    ;; the last n mod 4 elements, the same operations on scalars
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $o) (local.get $end)))
        (local.set $gs (f32.load (i32.add (local.get $g) (local.get $o))))
        (local.set $ms (f32.add
          (f32.mul (f32.load (i32.add (local.get $m) (local.get $o))) (local.get $b1))
          (f32.mul (local.get $gs) (local.get $ob1))))
        (local.set $vs (f32.add
          (f32.mul (f32.load (i32.add (local.get $v) (local.get $o))) (local.get $b2))
          (f32.mul (f32.mul (local.get $gs) (local.get $gs)) (local.get $ob2))))
        (f32.store (i32.add (local.get $mOut) (local.get $o)) (local.get $ms))
        (f32.store (i32.add (local.get $vOut) (local.get $o)) (local.get $vs))
        (f32.store (i32.add (local.get $wOut) (local.get $o))
          (f32.add
            (f32.load (i32.add (local.get $w) (local.get $o)))
            (f32.mul
              (f32.div
                (f32.div (local.get $ms) (local.get $c1))
                (f32.add (f32.sqrt (f32.div (local.get $vs) (local.get $c2))) (local.get $eps)))
              (local.get $negLr))))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (br $tail)))))
