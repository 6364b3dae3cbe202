import * as tf from '@tensorflow/tfjs-core';

/**
 * Whether a kernel that only the native addon registers may run now. The kernel modules that layers import must not
 * load the addon (it is Node-only), so the addon's installer hands each module its switch once the kernel is
 * registered; until then, and whenever the native kernels are switched off or the backend is not wasm, the layers
 * take their composed path.
 */
export class NativeKernelGate {
  private active: (() => boolean) | null = null;

  constructor(private readonly kernelName: string) {}

  /** Called by the native kernels' installer once the kernel is registered; `isActive()` says whether they are switched on. */
  provide(isActive: () => boolean): void {
    this.active = isActive;
  }

  /** Whether the kernel runs natively on the current backend now. */
  available(): boolean {
    return this.active !== null && this.active() && tf.getBackend() === 'wasm' && tf.getKernel(this.kernelName, 'wasm') !== undefined;
  }
}
