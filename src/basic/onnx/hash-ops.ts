/**
 * The project's id hashes (embedding/hashing.ts: murmur3's fmix32 finaliser, hashBucket; embedding/feature-cross.ts:
 * crossKey) as ONNX ops, bit-exact. Opset 17 has no bitwise XOR or AND (they arrive in opset 18, which the ONNX
 * checker of python3-onnx 1.12 does not know), so uint32 arithmetic runs on int64 tensors: shifts are divisions by
 * powers of two, a product mod 2^32 is split into 16-bit halves so no intermediate exceeds 2^49, and XOR adds the
 * two numbers' 32 bits mod 2 (bits taken with Div / Mod against the powers of two along a new last axis).
 */
import { HASH_SEEDS } from '../embedding/hashing';
import { CROSS_KEY } from '../embedding/feature-cross';
import { OnnxDataType } from './onnx-proto';
import type { OnnxGraphBuilder } from './graph';

const TWO_32 = 2 ** 32;

/** Integer helpers over one graph (constants made once). */
export class Uint32Ops {
  private readonly consts = new Map<string, string>();

  constructor(private readonly g: OnnxGraphBuilder) {}

  /** A scalar (or vector) int64 constant. */
  int(values: number | number[]): string {
    const list = Array.isArray(values) ? values : [values];
    const key = list.join(',') + (Array.isArray(values) ? '[]' : '');
    let name = this.consts.get(key);
    if (!name) {
      const a = BigInt64Array.from(list.map((v) => BigInt(v)));
      name = this.g.initializer(this.g.fresh('u32c'), Array.isArray(values) ? [list.length] : [], OnnxDataType.INT64, new Uint8Array(a.buffer));
      this.consts.set(key, name);
    }
    return name;
  }

  /** int32 ids -> their uint32 value (`x >>> 0`) as int64. */
  fromInt32(x: string): string {
    return this.g.op('Mod', [this.g.op('Cast', [x], { to: OnnxDataType.INT64 }), this.int(TWO_32)], { fmod: 0 });
  }

  /** x >>> k for 0 <= x < 2^32. */
  shiftRight(x: string, k: number): string {
    return this.g.op('Div', [x, this.int(2 ** k)]);
  }

  /** Math.imul(x, c) >>> 0 for 0 <= x < 2^32 and a constant uint32 c. */
  mulConst(x: string, c: number): string {
    const lo = c % 65536;
    const hi = Math.floor(c / 65536);
    const low = this.g.op('Mul', [x, this.int(lo)]);
    const high = this.g.op('Mul', [this.g.op('Mod', [this.g.op('Mul', [x, this.int(hi)]), this.int(65536)], { fmod: 0 }), this.int(65536)]);
    return this.g.op('Mod', [this.g.op('Add', [low, high]), this.int(TWO_32)], { fmod: 0 });
  }

  /** (a ^ b) >>> 0 for 0 <= a, b < 2^32 (b may be a constant's name). */
  xor(a: string, b: string): string {
    const powers = this.int(Array.from({ length: 32 }, (_, k) => 2 ** k));
    const last = this.int([-1]);
    const bits = (x: string) => this.g.op('Mod', [this.g.op('Div', [this.g.op('Unsqueeze', [x, last]), powers]), this.int(2)], { fmod: 0 });
    const differ = this.g.op('Mod', [this.g.op('Add', [bits(a), bits(b)]), this.int(2)], { fmod: 0 });
    return this.g.op('ReduceSum', [this.g.op('Mul', [differ, powers]), last], { keepdims: 0 });
  }

  /** murmur3's 32-bit finaliser (hashing.ts fmix32). */
  fmix32(h: string): string {
    h = this.xor(h, this.shiftRight(h, 16));
    h = this.mulConst(h, 0x85ebca6b);
    h = this.xor(h, this.shiftRight(h, 13));
    h = this.mulConst(h, 0xc2b2ae35);
    return this.xor(h, this.shiftRight(h, 16));
  }

  /** Where `v` (int64) is 0, 0; elsewhere `value`. */
  private zeroWhereZero(zero: string, value: string): string {
    return this.g.op('Where', [zero, this.int(0), value]);
  }

  /** hashBucket(v, fn, rows) of int64 raw ids `v` (any shape): int64 rows of a table, 0 for id 0. */
  bucket(v: string, fn: number, rows: number): string {
    const u = this.g.op('Mod', [v, this.int(TWO_32)], { fmod: 0 });
    const h = this.fmix32(this.xor(u, this.int(HASH_SEEDS[fn])));
    const b = this.g.op('Add', [this.int(1), this.g.op('Mod', [h, this.int(rows - 1)], { fmod: 0 })]);
    return this.zeroWhereZero(this.g.op('Equal', [v, this.int(0)]), b);
  }

  /** crossKey(a, b) of two int32 id tensors of one shape: the crossed raw id (int64), 0 where either side is 0. */
  crossKey(a: string, b: string): string {
    const { multiplier, modulus } = CROSS_KEY;
    const h = this.fmix32(this.xor(this.fmix32(this.fromInt32(a)), this.mulConst(this.fromInt32(b), multiplier)));
    const key = this.g.op('Add', [this.int(1), this.g.op('Mod', [h, this.int(modulus)], { fmod: 0 })]);
    const missing = this.g.op('Or', [this.g.op('Equal', [a, this.g.int32Const([0], [])]), this.g.op('Equal', [b, this.g.int32Const([0], [])])]);
    return this.zeroWhereZero(missing, key);
  }
}
