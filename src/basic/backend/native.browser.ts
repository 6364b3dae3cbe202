/**
 * Browser stand-in for native.ts: there is no native addon in a browser or an edge runtime, so the backend
 * probe always gets "unavailable" and the wasm kernels stay in place.
 */
import type { MatMulProfile, NativeKernelsInfo } from './native';

export type { MatMulProfile, NativeKernelsInfo } from './native';

const REASON = 'native kernels need Node (this is the browser build)';

export function loadNativeAddon(): null {
  return null;
}
export function nativeKernelsUnavailableReason(): string {
  return REASON;
}
export function installNativeKernels(): NativeKernelsInfo {
  throw new Error(REASON);
}
export function nativeKernelsInfo(): NativeKernelsInfo | null {
  return null;
}
export function setNativeKernelsEnabled(): void {}
export function nativeKernelsActive(): boolean {
  return false;
}
export function profileMatMulKernels(): MatMulProfile | null {
  return null;
}
export function attachNativeKernels(required: boolean): string | undefined {
  if (required) throw new Error(`backend "native" requested but ${REASON}`);
  return undefined;
}
