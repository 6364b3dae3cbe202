/** Summary statistics of the per-pair measurements of driver.ts. */

/** Median, quartiles and range of a sample. */
export interface Spread {
  median: number;
  p25: number;
  p75: number;
  min: number;
  max: number;
}

/** Linear-interpolated quantile q of an ascending array. */
export function quantile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Median, quartiles and range of `values`, rounded to 4 decimals. */
export function spread(values: number[]): Spread {
  const s = [...values].sort((a, b) => a - b);
  const r = (x: number) => Number(x.toFixed(4));
  return { median: r(quantile(s, 0.5)), p25: r(quantile(s, 0.25)), p75: r(quantile(s, 0.75)), min: r(s[0]), max: r(s[s.length - 1]) };
}
