;; Training-mode batch norm + activation over a row-major float32 [rows, cols] matrix as WebAssembly SIMD, run in
;; place on tfjs-backend-wasm's heap (the imported memory): the wasm-only twin of batchNormActForward /
;; batchNormActBackward in ../batch-norm-act-kernel.ts and of native/batch_norm_act.h. Same formulas and the same
;; float64 arithmetic in the same order (sums accumulated row by row per column, no fused multiply-add), so every
;; output equals the JavaScript kernel's after rounding to float32.
;;
;; Layout: all pointers are byte offsets into the heap; cols must be a multiple of 4 (the caller falls back to the
;; JavaScript loops otherwise) and rows >= 1. Each pass walks one block of columns (8 forward, 4 backward) down all
;; rows (a stride of cols * 4 bytes) with its per-column accumulators in v128 locals: each vector of 4 float32 lanes
;; is widened into two f64x2 halves, "lo" (columns c, c+1, promote_low) and "hi" (columns c+2, c+3, promote_low after
;; a shuffle that swaps the 64-bit halves); results go back to float32 by two demotes and a shuffle.
;;
;; Assembled by scripts/build-wasm-kernels.ts (wabt, simd feature) into batch-norm-act.wasm.generated.ts.
(module
  (import "env" "memory" (memory 1))

  ;; y = act(gamma (x - mu) / sqrt(var + eps) + beta) with the biased batch statistics mu, var (written to mean,
  ;; variance). relu: y = pre < 0 ? 0 : pre (NaN stays NaN), as the JavaScript kernel.
  ;; Blocks of 8 columns, two vectors per row, "a" (columns c..c+3) and "b" (c+4..c+7); their float64 halves are
  ;; numbered 0, 1 (a lo, a hi) and 2, 3 (b lo, b hi). Twice as many independent accumulators as one vector and a
  ;; whole 32 bytes of each row per visit: ~1.5x faster than blocks of 4 on [1024, 256] (blocks of 16: no better).
  ;; When only 4 columns remain, b is a again ($ob = 0): the same columns computed twice and stored twice, identically.
  (func (export "forward")
    (param $x i32) (param $gamma i32) (param $beta i32) (param $y i32) (param $mean i32) (param $variance i32)
    (param $rows i32) (param $cols i32) (param $epsilon f64) (param $relu i32)
    (local $stride i32) (local $cb i32) (local $ob i32) (local $p i32) (local $q i32) (local $r i32)
    (local $n v128) (local $eps v128) (local $reluMask v128) (local $a v128) (local $b v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local $mu0 v128) (local $mu1 v128) (local $mu2 v128) (local $mu3 v128)
    (local $var0 v128) (local $var1 v128) (local $var2 v128) (local $var3 v128)
    (local $scale0 v128) (local $scale1 v128) (local $scale2 v128) (local $scale3 v128)
    (local $shift0 v128) (local $shift1 v128) (local $shift2 v128) (local $shift3 v128)
    (if (i32.or (i32.eqz (local.get $rows)) (i32.eqz (local.get $cols))) (then (return)))
    (local.set $stride (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $n (f64x2.splat (f64.convert_i32_u (local.get $rows))))
    (local.set $eps (f64x2.splat (local.get $epsilon)))
    ;; all ones when relu: a lane is zeroed where (pre < 0) AND reluMask
    (local.set $reluMask (i64x2.neg (i64x2.splat (i64.extend_i32_u (i32.ne (local.get $relu) (i32.const 0))))))
    (local.set $cb (i32.const 0))
    (block $blocksDone
      (loop $blocks
        (br_if $blocksDone (i32.ge_u (local.get $cb) (local.get $stride)))
        (local.set $ob (select (i32.const 16) (i32.const 0)
          (i32.lt_u (i32.add (local.get $cb) (i32.const 16)) (local.get $stride))))

        ;; sum_b x
        (local.set $s0 (v128.const f64x2 0 0))
        (local.set $s1 (v128.const f64x2 0 0))
        (local.set $s2 (v128.const f64x2 0 0))
        (local.set $s3 (v128.const f64x2 0 0))
        (local.set $p (i32.add (local.get $x) (local.get $cb)))
        (local.set $r (local.get $rows))
        (loop $sum
          (local.set $a (v128.load (local.get $p)))
          (local.set $b (v128.load (i32.add (local.get $p) (local.get $ob))))
          (local.set $s0 (f64x2.add (local.get $s0) (f64x2.promote_low_f32x4 (local.get $a))))
          (local.set $s1 (f64x2.add (local.get $s1) (f64x2.promote_low_f32x4
            (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $a) (local.get $a)))))
          (local.set $s2 (f64x2.add (local.get $s2) (f64x2.promote_low_f32x4 (local.get $b))))
          (local.set $s3 (f64x2.add (local.get $s3) (f64x2.promote_low_f32x4
            (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $b) (local.get $b)))))
          (local.set $p (i32.add (local.get $p) (local.get $stride)))
          (br_if $sum (local.tee $r (i32.sub (local.get $r) (i32.const 1)))))
        (local.set $mu0 (f64x2.div (local.get $s0) (local.get $n)))
        (local.set $mu1 (f64x2.div (local.get $s1) (local.get $n)))
        (local.set $mu2 (f64x2.div (local.get $s2) (local.get $n)))
        (local.set $mu3 (f64x2.div (local.get $s3) (local.get $n)))

        ;; sum_b (x - mu)^2 (reuses the sum registers)
        (local.set $s0 (v128.const f64x2 0 0))
        (local.set $s1 (v128.const f64x2 0 0))
        (local.set $s2 (v128.const f64x2 0 0))
        (local.set $s3 (v128.const f64x2 0 0))
        (local.set $p (i32.add (local.get $x) (local.get $cb)))
        (local.set $r (local.get $rows))
        (loop $squares
          (local.set $a (v128.load (local.get $p)))
          (local.set $b (v128.load (i32.add (local.get $p) (local.get $ob))))
          (local.set $t0 (f64x2.sub (f64x2.promote_low_f32x4 (local.get $a)) (local.get $mu0)))
          (local.set $t1 (f64x2.sub (f64x2.promote_low_f32x4
            (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $a) (local.get $a))) (local.get $mu1)))
          (local.set $t2 (f64x2.sub (f64x2.promote_low_f32x4 (local.get $b)) (local.get $mu2)))
          (local.set $t3 (f64x2.sub (f64x2.promote_low_f32x4
            (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $b) (local.get $b))) (local.get $mu3)))
          (local.set $s0 (f64x2.add (local.get $s0) (f64x2.mul (local.get $t0) (local.get $t0))))
          (local.set $s1 (f64x2.add (local.get $s1) (f64x2.mul (local.get $t1) (local.get $t1))))
          (local.set $s2 (f64x2.add (local.get $s2) (f64x2.mul (local.get $t2) (local.get $t2))))
          (local.set $s3 (f64x2.add (local.get $s3) (f64x2.mul (local.get $t3) (local.get $t3))))
          (local.set $p (i32.add (local.get $p) (local.get $stride)))
          (br_if $squares (local.tee $r (i32.sub (local.get $r) (i32.const 1)))))
        (local.set $var0 (f64x2.div (local.get $s0) (local.get $n)))
        (local.set $var1 (f64x2.div (local.get $s1) (local.get $n)))
        (local.set $var2 (f64x2.div (local.get $s2) (local.get $n)))
        (local.set $var3 (f64x2.div (local.get $s3) (local.get $n)))

        ;; statistics out (float32)
        (v128.store (i32.add (local.get $mean) (local.get $cb)) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
          (f32x4.demote_f64x2_zero (local.get $mu0)) (f32x4.demote_f64x2_zero (local.get $mu1))))
        (v128.store (i32.add (i32.add (local.get $mean) (local.get $cb)) (local.get $ob))
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (f32x4.demote_f64x2_zero (local.get $mu2)) (f32x4.demote_f64x2_zero (local.get $mu3))))
        (v128.store (i32.add (local.get $variance) (local.get $cb)) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
          (f32x4.demote_f64x2_zero (local.get $var0)) (f32x4.demote_f64x2_zero (local.get $var1))))
        (v128.store (i32.add (i32.add (local.get $variance) (local.get $cb)) (local.get $ob))
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (f32x4.demote_f64x2_zero (local.get $var2)) (f32x4.demote_f64x2_zero (local.get $var3))))

        ;; scale = gamma / sqrt(var + eps)
        (local.set $a (v128.load (i32.add (local.get $gamma) (local.get $cb))))
        (local.set $b (v128.load (i32.add (i32.add (local.get $gamma) (local.get $cb)) (local.get $ob))))
        (local.set $scale0 (f64x2.div (f64x2.promote_low_f32x4 (local.get $a))
          (f64x2.sqrt (f64x2.add (local.get $var0) (local.get $eps)))))
        (local.set $scale1 (f64x2.div (f64x2.promote_low_f32x4
          (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $a) (local.get $a)))
          (f64x2.sqrt (f64x2.add (local.get $var1) (local.get $eps)))))
        (local.set $scale2 (f64x2.div (f64x2.promote_low_f32x4 (local.get $b))
          (f64x2.sqrt (f64x2.add (local.get $var2) (local.get $eps)))))
        (local.set $scale3 (f64x2.div (f64x2.promote_low_f32x4
          (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $b) (local.get $b)))
          (f64x2.sqrt (f64x2.add (local.get $var3) (local.get $eps)))))
        ;; shift = beta - mu scale
        (local.set $a (v128.load (i32.add (local.get $beta) (local.get $cb))))
        (local.set $b (v128.load (i32.add (i32.add (local.get $beta) (local.get $cb)) (local.get $ob))))
        (local.set $shift0 (f64x2.sub (f64x2.promote_low_f32x4 (local.get $a))
          (f64x2.mul (local.get $mu0) (local.get $scale0))))
        (local.set $shift1 (f64x2.sub (f64x2.promote_low_f32x4
          (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $a) (local.get $a)))
          (f64x2.mul (local.get $mu1) (local.get $scale1))))
        (local.set $shift2 (f64x2.sub (f64x2.promote_low_f32x4 (local.get $b))
          (f64x2.mul (local.get $mu2) (local.get $scale2))))
        (local.set $shift3 (f64x2.sub (f64x2.promote_low_f32x4
          (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $b) (local.get $b)))
          (f64x2.mul (local.get $mu3) (local.get $scale3))))

        ;; y = act(x scale + shift)
        (local.set $p (i32.add (local.get $x) (local.get $cb)))
        (local.set $q (i32.add (local.get $y) (local.get $cb)))
        (local.set $r (local.get $rows))
        (loop $outputs
          (local.set $a (v128.load (local.get $p)))
          (local.set $b (v128.load (i32.add (local.get $p) (local.get $ob))))
          (local.set $t0 (f64x2.add (f64x2.mul (f64x2.promote_low_f32x4 (local.get $a)) (local.get $scale0))
            (local.get $shift0)))
          (local.set $t1 (f64x2.add (f64x2.mul (f64x2.promote_low_f32x4
            (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $a) (local.get $a))) (local.get $scale1))
            (local.get $shift1)))
          (local.set $t2 (f64x2.add (f64x2.mul (f64x2.promote_low_f32x4 (local.get $b)) (local.get $scale2))
            (local.get $shift2)))
          (local.set $t3 (f64x2.add (f64x2.mul (f64x2.promote_low_f32x4
            (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $b) (local.get $b))) (local.get $scale3))
            (local.get $shift3)))
          (local.set $t0 (v128.andnot (local.get $t0)
            (v128.and (f64x2.lt (local.get $t0) (v128.const f64x2 0 0)) (local.get $reluMask))))
          (local.set $t1 (v128.andnot (local.get $t1)
            (v128.and (f64x2.lt (local.get $t1) (v128.const f64x2 0 0)) (local.get $reluMask))))
          (local.set $t2 (v128.andnot (local.get $t2)
            (v128.and (f64x2.lt (local.get $t2) (v128.const f64x2 0 0)) (local.get $reluMask))))
          (local.set $t3 (v128.andnot (local.get $t3)
            (v128.and (f64x2.lt (local.get $t3) (v128.const f64x2 0 0)) (local.get $reluMask))))
          (v128.store (local.get $q) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (f32x4.demote_f64x2_zero (local.get $t0)) (f32x4.demote_f64x2_zero (local.get $t1))))
          (v128.store (i32.add (local.get $q) (local.get $ob)) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (f32x4.demote_f64x2_zero (local.get $t2)) (f32x4.demote_f64x2_zero (local.get $t3))))
          (local.set $p (i32.add (local.get $p) (local.get $stride)))
          (local.set $q (i32.add (local.get $q) (local.get $stride)))
          (br_if $outputs (local.tee $r (i32.sub (local.get $r) (i32.const 1)))))

        (local.set $cb (i32.add (local.get $cb) (i32.const 32)))
        (br $blocks))))

  ;; With xhat = (x - mean) / sqrt(variance + eps) and g = dy * act'(gamma xhat + beta) (relu' = 0 where the
  ;; pre-activation is <= 0): dbeta = sum_b g, dgamma = sum_b g xhat,
  ;; dx = gamma / (rows sqrt(variance + eps)) (rows g - dbeta - xhat dgamma).
  (func (export "backward")
    (param $dy i32) (param $x i32) (param $gamma i32) (param $beta i32) (param $mean i32) (param $variance i32)
    (param $dx i32) (param $dgamma i32) (param $dbeta i32)
    (param $rows i32) (param $cols i32) (param $epsilon f64) (param $relu i32)
    (local $stride i32) (local $cb i32) (local $p i32) (local $d i32) (local $q i32) (local $r i32)
    (local $n v128) (local $eps v128) (local $reluMask v128) (local $v v128) (local $w v128)
    (local $xhLo v128) (local $xhHi v128) (local $gLo v128) (local $gHi v128)
    (local $muLo v128) (local $muHi v128) (local $invLo v128) (local $invHi v128)
    (local $gaLo v128) (local $gaHi v128) (local $beLo v128) (local $beHi v128)
    (local $sgLo v128) (local $sgHi v128) (local $sgxLo v128) (local $sgxHi v128) (local $kLo v128) (local $kHi v128)
    (if (i32.or (i32.eqz (local.get $rows)) (i32.eqz (local.get $cols))) (then (return)))
    (local.set $stride (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $n (f64x2.splat (f64.convert_i32_u (local.get $rows))))
    (local.set $eps (f64x2.splat (local.get $epsilon)))
    (local.set $reluMask (i64x2.neg (i64x2.splat (i64.extend_i32_u (i32.ne (local.get $relu) (i32.const 0))))))
    (local.set $cb (i32.const 0))
    (block $blocksDone
      (loop $blocks
        (br_if $blocksDone (i32.ge_u (local.get $cb) (local.get $stride)))

        ;; per-column constants in float64: inv = 1 / sqrt(variance + eps), mu, gamma, beta
        (local.set $v (v128.load (i32.add (local.get $variance) (local.get $cb))))
        (local.set $invLo (f64x2.div (v128.const f64x2 1 1)
          (f64x2.sqrt (f64x2.add (f64x2.promote_low_f32x4 (local.get $v)) (local.get $eps)))))
        (local.set $invHi (f64x2.div (v128.const f64x2 1 1)
          (f64x2.sqrt (f64x2.add (f64x2.promote_low_f32x4
            (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))) (local.get $eps)))))
        (local.set $v (v128.load (i32.add (local.get $mean) (local.get $cb))))
        (local.set $muLo (f64x2.promote_low_f32x4 (local.get $v)))
        (local.set $muHi (f64x2.promote_low_f32x4
          (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))
        (local.set $v (v128.load (i32.add (local.get $gamma) (local.get $cb))))
        (local.set $gaLo (f64x2.promote_low_f32x4 (local.get $v)))
        (local.set $gaHi (f64x2.promote_low_f32x4
          (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))
        (local.set $v (v128.load (i32.add (local.get $beta) (local.get $cb))))
        (local.set $beLo (f64x2.promote_low_f32x4 (local.get $v)))
        (local.set $beHi (f64x2.promote_low_f32x4
          (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))

        ;; sumG = sum_b g, sumGx = sum_b g xhat
        (local.set $sgLo (v128.const f64x2 0 0))
        (local.set $sgHi (v128.const f64x2 0 0))
        (local.set $sgxLo (v128.const f64x2 0 0))
        (local.set $sgxHi (v128.const f64x2 0 0))
        (local.set $p (i32.add (local.get $x) (local.get $cb)))
        (local.set $d (i32.add (local.get $dy) (local.get $cb)))
        (local.set $q (i32.add (local.get $dx) (local.get $cb)))
        (local.set $r (local.get $rows))
        (loop $sums
          (local.set $v (v128.load (local.get $p)))
          (local.set $xhLo (f64x2.mul (f64x2.sub (f64x2.promote_low_f32x4 (local.get $v)) (local.get $muLo))
            (local.get $invLo)))
          (local.set $xhHi (f64x2.mul (f64x2.sub (f64x2.promote_low_f32x4
            (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))) (local.get $muHi))
            (local.get $invHi)))
          ;; g = dy, zeroed (relu only) where xhat gamma + beta <= 0: the two f64x2 masks narrowed to one f32x4 mask
          ;; (the low 4 bytes of each 64-bit lane) clear float32 lanes of dy, so g is exactly dy or +0 in float32;
          ;; it is parked in dx for the second pass, which then needs neither dy nor the masks
          (local.set $w (v128.andnot (v128.load (local.get $d)) (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
            (v128.and (local.get $reluMask) (f64x2.le
              (f64x2.add (f64x2.mul (local.get $xhLo) (local.get $gaLo)) (local.get $beLo)) (v128.const f64x2 0 0)))
            (v128.and (local.get $reluMask) (f64x2.le
              (f64x2.add (f64x2.mul (local.get $xhHi) (local.get $gaHi)) (local.get $beHi)) (v128.const f64x2 0 0))))))
          (v128.store (local.get $q) (local.get $w))
          (local.set $gLo (f64x2.promote_low_f32x4 (local.get $w)))
          (local.set $gHi (f64x2.promote_low_f32x4
            (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $w) (local.get $w))))
          (local.set $sgLo (f64x2.add (local.get $sgLo) (local.get $gLo)))
          (local.set $sgHi (f64x2.add (local.get $sgHi) (local.get $gHi)))
          (local.set $sgxLo (f64x2.add (local.get $sgxLo) (f64x2.mul (local.get $gLo) (local.get $xhLo))))
          (local.set $sgxHi (f64x2.add (local.get $sgxHi) (f64x2.mul (local.get $gHi) (local.get $xhHi))))
          (local.set $p (i32.add (local.get $p) (local.get $stride)))
          (local.set $d (i32.add (local.get $d) (local.get $stride)))
          (local.set $q (i32.add (local.get $q) (local.get $stride)))
          (br_if $sums (local.tee $r (i32.sub (local.get $r) (i32.const 1)))))

        ;; dbeta, dgamma out (float32); k = gamma inv / rows
        (v128.store (i32.add (local.get $dbeta) (local.get $cb)) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
          (f32x4.demote_f64x2_zero (local.get $sgLo)) (f32x4.demote_f64x2_zero (local.get $sgHi))))
        (v128.store (i32.add (local.get $dgamma) (local.get $cb)) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
          (f32x4.demote_f64x2_zero (local.get $sgxLo)) (f32x4.demote_f64x2_zero (local.get $sgxHi))))
        (local.set $kLo (f64x2.div (f64x2.mul (local.get $gaLo) (local.get $invLo)) (local.get $n)))
        (local.set $kHi (f64x2.div (f64x2.mul (local.get $gaHi) (local.get $invHi)) (local.get $n)))

        ;; dx = k (rows g - sumG - xhat sumGx), g read back from dx, xhat recomputed as above
        (local.set $p (i32.add (local.get $x) (local.get $cb)))
        (local.set $q (i32.add (local.get $dx) (local.get $cb)))
        (local.set $r (local.get $rows))
        (loop $grads
          (local.set $v (v128.load (local.get $p)))
          (local.set $w (v128.load (local.get $q)))
          (local.set $xhLo (f64x2.mul (f64x2.sub (f64x2.promote_low_f32x4 (local.get $v)) (local.get $muLo))
            (local.get $invLo)))
          (local.set $xhHi (f64x2.mul (f64x2.sub (f64x2.promote_low_f32x4
            (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))) (local.get $muHi))
            (local.get $invHi)))
          (local.set $gLo (f64x2.promote_low_f32x4 (local.get $w)))
          (local.set $gHi (f64x2.promote_low_f32x4
            (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $w) (local.get $w))))
          (local.set $gLo (f64x2.mul (local.get $kLo) (f64x2.sub
            (f64x2.sub (f64x2.mul (local.get $n) (local.get $gLo)) (local.get $sgLo))
            (f64x2.mul (local.get $xhLo) (local.get $sgxLo)))))
          (local.set $gHi (f64x2.mul (local.get $kHi) (f64x2.sub
            (f64x2.sub (f64x2.mul (local.get $n) (local.get $gHi)) (local.get $sgHi))
            (f64x2.mul (local.get $xhHi) (local.get $sgxHi)))))
          (v128.store (local.get $q) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (f32x4.demote_f64x2_zero (local.get $gLo)) (f32x4.demote_f64x2_zero (local.get $gHi))))
          (local.set $p (i32.add (local.get $p) (local.get $stride)))
          (local.set $q (i32.add (local.get $q) (local.get $stride)))
          (br_if $grads (local.tee $r (i32.sub (local.get $r) (i32.const 1)))))

        (local.set $cb (i32.add (local.get $cb) (i32.const 16)))
        (br $blocks))))
)
