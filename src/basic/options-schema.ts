/**
 * Strict option checking: every options object a user writes (model config, compile, fit, evaluate, run files,
 * CLI flags) is compared with the keys declared for it, so a typo is an error that names the key and suggests
 * the nearest valid one instead of being silently ignored. Each options type declares its keys once (a
 * {@link KeySchema}); adding an option is adding one key there. Browser-safe: no Node imports.
 */

/**
 * The keys an options object may have. `true`: any value. A nested schema: the value, when it is a plain
 * object, is checked against it too. `'open'`: a free-form record (e.g. optimizerParams) that is not checked.
 */
export type KeySchema = { readonly [key: string]: true | 'open' | KeySchema };

/** Raised for an option name that the schema does not declare. */
export class UnknownOptionError extends Error {
  constructor(
    /** Dotted path of the unknown key, e.g. 'mlp.dropuot'. */
    readonly key: string,
    /** The nearest valid key, when one is close. */
    readonly suggestion: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'UnknownOptionError';
  }
}

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions), case-insensitive. */
export function editDistance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The candidate closest to `name`, when it is close enough to be a plausible typo. */
export function nearestName(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDist = Infinity;
  for (const c of candidates) {
    const dist = editDistance(name, c);
    if (dist < bestDist) {
      best = c;
      bestDist = dist;
    }
  }
  const limit = Math.max(2, Math.floor(name.length / 3));
  return bestDist <= limit ? best : undefined;
}

/** "did you mean 'x'?" or the list of valid names when none is close. */
export function suggestionText(name: string, candidates: readonly string[]): string {
  const near = nearestName(name, candidates);
  return near ? `did you mean '${near}'?` : `valid: ${candidates.join(', ')}`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * Throw an {@link UnknownOptionError} for the first key of `value` (searched depth-first through nested
 * schemas) that `schema` does not declare. `what` names the options object in the message, e.g. 'DeepFM options'.
 * Keys whose value is undefined are ignored (they are how optional settings are spelt "not set").
 */
export function checkOptionKeys(what: string, value: unknown, schema: KeySchema, prefix = ''): void {
  if (!isPlainObject(value)) return;
  const valid = Object.keys(schema);
  for (const [key, v] of Object.entries(value)) {
    const path = prefix ? `${prefix}.${key}` : key;
    const rule = schema[key];
    if (rule === undefined) {
      if (v === undefined) continue;
      const near = nearestName(key, valid);
      throw new UnknownOptionError(path, near, `${what}: unknown option '${path}'; ${suggestionText(key, valid)}`);
    }
    if (rule !== true && rule !== 'open') checkOptionKeys(what, v, rule, path);
  }
}
