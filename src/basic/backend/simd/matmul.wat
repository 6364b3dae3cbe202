;; Float32 matrix products as WebAssembly SIMD, run in place on tfjs-backend-wasm's heap (the imported memory), for
;; the gradients of dense layers on wasm-only installs: dW = x^T dy (matMulTransposeA) reads x [rows, m] and dy
;; [rows, n] as they lie, with no transposed copy of x and no packing of dy (XNNPACK re-packs its fresh right operand
;; on every call, which dominates when rows is large and m, n are small); dx = dy W^T (matMul, on the transposed
;; weight) skips XNNPACK's packing of W^T.
;;
;; matMulTransposeA: C[p] = A[p]^T B[p] for p < batch, A[p] [rows, m], B[p] [rows, n], C[p] [m, n], all row-major
;; and contiguous one batch after another; pointers are byte offsets into the heap; rows, m, n >= 1.
;;
;; Register blocking: a block of 4 rows of C (4 consecutive columns of A, one v128.load per row of A, each lane
;; splatted by an i8x16.shuffle) by 8 columns of C (two v128 of B per row) keeps 8 accumulators in registers while
;; streaming down the reduced rows axis: per row, 3 loads and 4 shuffles feed 8 multiplies and 8 adds (no fused
;; multiply-add: plain SIMD, so the float32 result of each step is the one of a*b rounded, then added). The column
;; blocks are the outer loop, so the B panel being streamed (rows x 8 columns) stays in cache for all m / 4 row blocks.
;;
;; Tails: where fewer than 4 rows or 8 columns of C remain, the block still loads whole vectors (reading at most 12
;; bytes past the last row of A and 28 past the last row of B; the caller checks that the heap extends that far) and
;; stores only the rows and columns that exist. Lanes never mix: column j of a block depends on column j of B only
;; and row i on column i of A only, so whatever lies past the end is computed but never written.
;;
;; Assembled by scripts/build-wasm-kernels.ts (wabt, simd feature) into matmul.wasm.generated.ts.
(module
  (import "env" "memory" (memory 1))

  ;; Store the first `cols` (1..8) lanes of v0 (columns 0-3) and v1 (columns 4-7) at ptr.
  (func $storeRow (param $ptr i32) (param $v0 v128) (param $v1 v128) (param $cols i32)
    (if (i32.ge_u (local.get $cols) (i32.const 8))
      (then
        (v128.store (local.get $ptr) (local.get $v0))
        (v128.store offset=16 (local.get $ptr) (local.get $v1))
        (return)))
    (if (i32.ge_u (local.get $cols) (i32.const 4))
      (then
        (v128.store (local.get $ptr) (local.get $v0))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 16)))
        (local.set $v0 (local.get $v1))
        (local.set $cols (i32.sub (local.get $cols) (i32.const 4)))))
    (if (i32.ge_u (local.get $cols) (i32.const 2))
      (then
        (v128.store64_lane 0 (local.get $ptr) (local.get $v0))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 8)))
        (local.set $v0 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $v0) (local.get $v0)))
        (local.set $cols (i32.sub (local.get $cols) (i32.const 2)))))
    (if (local.get $cols)
      (then (v128.store32_lane 0 (local.get $ptr) (local.get $v0)))))

  (func (export "matMulTransposeA")
    (param $a i32) (param $b i32) (param $c i32) (param $batch i32) (param $rows i32) (param $m i32) (param $n i32)
    (local $aStride i32) (local $bStride i32) (local $i0 i32) (local $j0 i32) (local $mr i32) (local $nr i32)
    (local $pa i32) (local $pb i32) (local $pc i32) (local $r i32) (local $r0 i32) (local $chunk i32) (local $rc i32)
    (local $va v128) (local $b0 v128) (local $b1 v128) (local $s v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local.set $aStride (i32.shl (local.get $m) (i32.const 2)))
    (local.set $bStride (i32.shl (local.get $n) (i32.const 2)))
    ;; rows per chunk: A and B of one chunk take 131072 * 4 bytes (512 KB), so both stay in L2 while every block of C
    ;; walks them; chunks after the first add to C (without chunks, [25600, 200] x [25600, 50] ran at a third of the speed)
    (local.set $chunk (i32.div_u (i32.const 131072) (i32.add (local.get $m) (local.get $n))))
    (if (i32.lt_u (local.get $chunk) (i32.const 16)) (then (local.set $chunk (i32.const 16))))
    (loop $matrices
     (local.set $r0 (i32.const 0))
     (loop $chunks
      (local.set $rc (i32.sub (local.get $rows) (local.get $r0)))
      (if (i32.gt_u (local.get $rc) (local.get $chunk)) (then (local.set $rc (local.get $chunk))))
      (local.set $j0 (i32.const 0))
      (loop $columnBlocks
        (local.set $nr (i32.sub (local.get $n) (local.get $j0)))
        (local.set $i0 (i32.const 0))
        (loop $rowBlocks
          (local.set $mr (i32.sub (local.get $m) (local.get $i0)))
          (local.set $pc (i32.add (local.get $c)
            (i32.shl (i32.add (i32.mul (local.get $i0) (local.get $n)) (local.get $j0)) (i32.const 2))))
          (if (i32.eqz (local.get $r0))
            (then
            (local.set $c00 (v128.const i32x4 0 0 0 0))
            (local.set $c01 (v128.const i32x4 0 0 0 0))
            (local.set $c10 (v128.const i32x4 0 0 0 0))
            (local.set $c11 (v128.const i32x4 0 0 0 0))
            (local.set $c20 (v128.const i32x4 0 0 0 0))
            (local.set $c21 (v128.const i32x4 0 0 0 0))
            (local.set $c30 (v128.const i32x4 0 0 0 0))
            (local.set $c31 (v128.const i32x4 0 0 0 0))
)
            (else
              ;; lanes past the last column are loaded but never stored; rows past the last row are not loaded
              (local.set $c00 (v128.load (local.get $pc)))
              (local.set $c01 (v128.load offset=16 (local.get $pc)))
              (if (i32.gt_u (local.get $mr) (i32.const 1)) (then
                (local.set $c10 (v128.load (i32.add (local.get $pc) (local.get $bStride))))
                (local.set $c11 (v128.load offset=16 (i32.add (local.get $pc) (local.get $bStride))))))
              (if (i32.gt_u (local.get $mr) (i32.const 2)) (then
                (local.set $c20 (v128.load (i32.add (local.get $pc) (i32.shl (local.get $bStride) (i32.const 1)))))
                (local.set $c21 (v128.load offset=16 (i32.add (local.get $pc) (i32.shl (local.get $bStride) (i32.const 1)))))))
              (if (i32.gt_u (local.get $mr) (i32.const 3)) (then
                (local.set $c30 (v128.load (i32.add (local.get $pc) (i32.mul (local.get $bStride) (i32.const 3)))))
                (local.set $c31 (v128.load offset=16 (i32.add (local.get $pc) (i32.mul (local.get $bStride) (i32.const 3)))))))))
          (local.set $pa (i32.add (local.get $a)
            (i32.add (i32.mul (local.get $r0) (local.get $aStride)) (i32.shl (local.get $i0) (i32.const 2)))))
          (local.set $pb (i32.add (local.get $b)
            (i32.add (i32.mul (local.get $r0) (local.get $bStride)) (i32.shl (local.get $j0) (i32.const 2)))))
          (local.set $r (local.get $rc))
          (loop $reduce
            (local.set $va (v128.load (local.get $pa)))
            (local.set $b0 (v128.load (local.get $pb)))
            (local.set $b1 (v128.load offset=16 (local.get $pb)))
            (local.set $s (i8x16.shuffle 0 1 2 3 0 1 2 3 0 1 2 3 0 1 2 3 (local.get $va) (local.get $va)))
            (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $s) (local.get $b0))))
            (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $s) (local.get $b1))))
            (local.set $s (i8x16.shuffle 4 5 6 7 4 5 6 7 4 5 6 7 4 5 6 7 (local.get $va) (local.get $va)))
            (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $s) (local.get $b0))))
            (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $s) (local.get $b1))))
            (local.set $s (i8x16.shuffle 8 9 10 11 8 9 10 11 8 9 10 11 8 9 10 11 (local.get $va) (local.get $va)))
            (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $s) (local.get $b0))))
            (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $s) (local.get $b1))))
            (local.set $s (i8x16.shuffle 12 13 14 15 12 13 14 15 12 13 14 15 12 13 14 15 (local.get $va) (local.get $va)))
            (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $s) (local.get $b0))))
            (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $s) (local.get $b1))))
            (local.set $pa (i32.add (local.get $pa) (local.get $aStride)))
            (local.set $pb (i32.add (local.get $pb) (local.get $bStride)))
            (br_if $reduce (local.tee $r (i32.sub (local.get $r) (i32.const 1)))))
          ;; rows i0..i0+3 of C, those that exist
          (call $storeRow (local.get $pc) (local.get $c00) (local.get $c01) (local.get $nr))
          (if (i32.gt_u (local.get $mr) (i32.const 1))
            (then (call $storeRow (i32.add (local.get $pc) (local.get $bStride)) (local.get $c10) (local.get $c11) (local.get $nr))))
          (if (i32.gt_u (local.get $mr) (i32.const 2))
            (then (call $storeRow (i32.add (local.get $pc) (i32.shl (local.get $bStride) (i32.const 1)))
              (local.get $c20) (local.get $c21) (local.get $nr))))
          (if (i32.gt_u (local.get $mr) (i32.const 3))
            (then (call $storeRow (i32.add (local.get $pc) (i32.mul (local.get $bStride) (i32.const 3)))
              (local.get $c30) (local.get $c31) (local.get $nr))))
          (br_if $rowBlocks (i32.lt_u (local.tee $i0 (i32.add (local.get $i0) (i32.const 4))) (local.get $m))))
        (br_if $columnBlocks (i32.lt_u (local.tee $j0 (i32.add (local.get $j0) (i32.const 8))) (local.get $n))))
      (br_if $chunks (i32.lt_u (local.tee $r0 (i32.add (local.get $r0) (local.get $chunk))) (local.get $rows))))
      ;; next matrix of the batch
      (local.set $a (i32.add (local.get $a) (i32.mul (local.get $rows) (local.get $aStride))))
      (local.set $b (i32.add (local.get $b) (i32.mul (local.get $rows) (local.get $bStride))))
      (local.set $c (i32.add (local.get $c) (i32.mul (local.get $m) (local.get $bStride))))
      (br_if $matrices (local.tee $batch (i32.sub (local.get $batch) (i32.const 1))))))

  ;; matMul: C[p] = A[p] B[p] for p < batch, A[p] [m, depth], B[p] [depth, n], C[p] [m, n], row-major and contiguous
  ;; one batch after another; m, depth, n >= 1. The same 4 x 8 blocks streaming down the reduced depth axis, A's 4
  ;; values per step now from 4 rows (v128.load32_splat each); B [depth, n] is the small operand here (the
  ;; transposed weight of a dense layer's input gradient dx = dy W^T), read in place at stride n. Row blocks are the
  ;; outer loop: the 4 rows of A stay in L1 while every column block walks B. Where fewer than 4 rows of C remain,
  ;; the missing rows read the last row of A again (never past A) and are not stored; column tails as in
  ;; matMulTransposeA (up to 28 bytes read past the end of B).
  ;; Epilogue, on the block while it is still in registers (the forward products of dense layers, out = act(x W + b)):
  ;; where $bias is not 0 it points at n floats added to every row of C (read as whole vectors too: up to 28 bytes
  ;; past its end); where $relu is not 0 each value then becomes f32x4.pmax(0, v) = (0 < v ? v : 0): NaN and -0 become
  ;; +0, as in tfjs-backend-wasm's fused relu (XNNPACK's output clamp; its standalone Relu keeps NaN). One function for the
  ;; gradient products (bias 0, relu 0) and the forward ones: the two tests per block cost nothing next to its loop.
  (func (export "matMul")
    (param $a i32) (param $b i32) (param $c i32) (param $batch i32) (param $m i32) (param $depth i32) (param $n i32)
    (param $bias i32) (param $relu i32)
    (local $aStride i32) (local $bStride i32) (local $i0 i32) (local $j0 i32) (local $mr i32) (local $nr i32)
    (local $pa0 i32) (local $pa1 i32) (local $pa2 i32) (local $pa3 i32) (local $pb i32) (local $pc i32) (local $r i32)
    (local $b0 v128) (local $b1 v128) (local $s v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local.set $aStride (i32.shl (local.get $depth) (i32.const 2)))
    (local.set $bStride (i32.shl (local.get $n) (i32.const 2)))
    (loop $matrices
      (local.set $i0 (i32.const 0))
      (loop $rowBlocks
        (local.set $mr (i32.sub (local.get $m) (local.get $i0)))
        (local.set $j0 (i32.const 0))
        (loop $columnBlocks
          (local.set $nr (i32.sub (local.get $n) (local.get $j0)))
          (local.set $c00 (v128.const i32x4 0 0 0 0))
          (local.set $c01 (v128.const i32x4 0 0 0 0))
          (local.set $c10 (v128.const i32x4 0 0 0 0))
          (local.set $c11 (v128.const i32x4 0 0 0 0))
          (local.set $c20 (v128.const i32x4 0 0 0 0))
          (local.set $c21 (v128.const i32x4 0 0 0 0))
          (local.set $c30 (v128.const i32x4 0 0 0 0))
          (local.set $c31 (v128.const i32x4 0 0 0 0))
          (local.set $pa0 (i32.add (local.get $a) (i32.mul (local.get $i0) (local.get $aStride))))
          (local.set $pa1 (select (i32.add (local.get $pa0) (local.get $aStride)) (local.get $pa0)
            (i32.gt_u (local.get $mr) (i32.const 1))))
          (local.set $pa2 (select (i32.add (local.get $pa1) (local.get $aStride)) (local.get $pa1)
            (i32.gt_u (local.get $mr) (i32.const 2))))
          (local.set $pa3 (select (i32.add (local.get $pa2) (local.get $aStride)) (local.get $pa2)
            (i32.gt_u (local.get $mr) (i32.const 3))))
          (local.set $pb (i32.add (local.get $b) (i32.shl (local.get $j0) (i32.const 2))))
          (local.set $r (local.get $depth))
          (loop $reduce
            (local.set $b0 (v128.load (local.get $pb)))
            (local.set $b1 (v128.load offset=16 (local.get $pb)))
            (local.set $s (v128.load32_splat (local.get $pa0)))
            (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $s) (local.get $b0))))
            (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $s) (local.get $b1))))
            (local.set $s (v128.load32_splat (local.get $pa1)))
            (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $s) (local.get $b0))))
            (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $s) (local.get $b1))))
            (local.set $s (v128.load32_splat (local.get $pa2)))
            (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $s) (local.get $b0))))
            (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $s) (local.get $b1))))
            (local.set $s (v128.load32_splat (local.get $pa3)))
            (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $s) (local.get $b0))))
            (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $s) (local.get $b1))))
            (local.set $pa0 (i32.add (local.get $pa0) (i32.const 4)))
            (local.set $pa1 (i32.add (local.get $pa1) (i32.const 4)))
            (local.set $pa2 (i32.add (local.get $pa2) (i32.const 4)))
            (local.set $pa3 (i32.add (local.get $pa3) (i32.const 4)))
            (local.set $pb (i32.add (local.get $pb) (local.get $bStride)))
            (br_if $reduce (local.tee $r (i32.sub (local.get $r) (i32.const 1)))))
          (if (local.get $bias) (then
            (local.set $b0 (v128.load (i32.add (local.get $bias) (i32.shl (local.get $j0) (i32.const 2)))))
            (local.set $b1 (v128.load offset=16 (i32.add (local.get $bias) (i32.shl (local.get $j0) (i32.const 2)))))
            (local.set $c00 (f32x4.add (local.get $c00) (local.get $b0)))
            (local.set $c01 (f32x4.add (local.get $c01) (local.get $b1)))
            (local.set $c10 (f32x4.add (local.get $c10) (local.get $b0)))
            (local.set $c11 (f32x4.add (local.get $c11) (local.get $b1)))
            (local.set $c20 (f32x4.add (local.get $c20) (local.get $b0)))
            (local.set $c21 (f32x4.add (local.get $c21) (local.get $b1)))
            (local.set $c30 (f32x4.add (local.get $c30) (local.get $b0)))
            (local.set $c31 (f32x4.add (local.get $c31) (local.get $b1)))))
          (if (local.get $relu) (then
            (local.set $s (v128.const i32x4 0 0 0 0))
            (local.set $c00 (f32x4.pmax (local.get $s) (local.get $c00)))
            (local.set $c01 (f32x4.pmax (local.get $s) (local.get $c01)))
            (local.set $c10 (f32x4.pmax (local.get $s) (local.get $c10)))
            (local.set $c11 (f32x4.pmax (local.get $s) (local.get $c11)))
            (local.set $c20 (f32x4.pmax (local.get $s) (local.get $c20)))
            (local.set $c21 (f32x4.pmax (local.get $s) (local.get $c21)))
            (local.set $c30 (f32x4.pmax (local.get $s) (local.get $c30)))
            (local.set $c31 (f32x4.pmax (local.get $s) (local.get $c31)))))
          (local.set $pc (i32.add (local.get $c)
            (i32.shl (i32.add (i32.mul (local.get $i0) (local.get $n)) (local.get $j0)) (i32.const 2))))
          (call $storeRow (local.get $pc) (local.get $c00) (local.get $c01) (local.get $nr))
          (if (i32.gt_u (local.get $mr) (i32.const 1))
            (then (call $storeRow (i32.add (local.get $pc) (local.get $bStride)) (local.get $c10) (local.get $c11) (local.get $nr))))
          (if (i32.gt_u (local.get $mr) (i32.const 2))
            (then (call $storeRow (i32.add (local.get $pc) (i32.shl (local.get $bStride) (i32.const 1)))
              (local.get $c20) (local.get $c21) (local.get $nr))))
          (if (i32.gt_u (local.get $mr) (i32.const 3))
            (then (call $storeRow (i32.add (local.get $pc) (i32.mul (local.get $bStride) (i32.const 3)))
              (local.get $c30) (local.get $c31) (local.get $nr))))
          (br_if $columnBlocks (i32.lt_u (local.tee $j0 (i32.add (local.get $j0) (i32.const 8))) (local.get $n))))
        (br_if $rowBlocks (i32.lt_u (local.tee $i0 (i32.add (local.get $i0) (i32.const 4))) (local.get $m))))
      (local.set $a (i32.add (local.get $a) (i32.mul (local.get $m) (local.get $aStride))))
      (local.set $b (i32.add (local.get $b) (i32.mul (local.get $depth) (local.get $bStride))))
      (local.set $c (i32.add (local.get $c) (i32.mul (local.get $m) (local.get $bStride))))
      (br_if $matrices (local.tee $batch (i32.sub (local.get $batch) (i32.const 1))))))
)
