/**
 * 'fused' (default): attention cores, layer norms and the next-item sampled softmax run as custom ops with
 * hand-written backward passes. 'composed': one differentiable tfjs op per step, as before the fused ops existed;
 * kept as the reference the fused ops are tested against and for before/after benchmarks. Values agree within
 * float rounding (see test/fused-ops.test.ts).
 */
export type FusedOpsMode = 'fused' | 'composed';
let mode: FusedOpsMode = 'fused';

/** Switch between the fused custom ops and the composed tfjs ops (process-wide). */
export function setFusedOps(next: FusedOpsMode): void {
  if (next !== 'fused' && next !== 'composed') throw new Error(`setFusedOps: unknown mode '${String(next)}' (known: fused, composed)`);
  mode = next;
}

/** Whether the fused custom ops are on. */
export function fusedOpsEnabled(): boolean {
  return mode === 'fused';
}
