/**
 * Whether a forward pass is being recorded as a graph (ONNX export). Layers that take host shortcuts for
 * speed (reading a tensor back and slicing it in JS) must express the same computation with tensor ops while
 * this is on, or the recorded graph would hold the shortcut's values as constants.
 */
let capturing = false;

export function isCapturingGraph(): boolean {
  return capturing;
}

/** Run `fn` with graph capture on (nested calls are fine). */
export function withGraphCapture<T>(fn: () => T): T {
  const before = capturing;
  capturing = true;
  try {
    return fn();
  } finally {
    capturing = before;
  }
}
