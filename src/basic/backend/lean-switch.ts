/**
 * The lean wasm engine (issue #12) as one process-wide switch: Identity by reference, loop reductions, broadcast
 * Sum/Mean gradients, the fused batch-norm + activation kernel in the MLP and the fused dense optimizer update.
 * Each piece checks it at call time, so a benchmark can measure the engine with and without them in one process
 * (`setLeanEngine(false)` restores tfjs' own behaviour, results agree within float rounding).
 */
let enabled = true;

/** Turn the lean engine pieces on or off (default on). For A/B measurements; there is no reason to turn it off. */
export function setLeanEngine(on: boolean): void {
  enabled = on;
}

/** Whether the lean engine pieces are active. */
export function leanEngineOn(): boolean {
  return enabled;
}
