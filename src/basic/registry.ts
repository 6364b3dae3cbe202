import 'reflect-metadata';
import { container, DependencyContainer } from 'tsyringe';

/**
 * A named catalogue backed by a tsyringe container, so optimizers, losses, metrics and models can be built
 * from strings (configs, the leaderboard, the CLI) and users can add their own under new names.
 */
export class Registry<T> {
  private readonly names = new Set<string>();
  private readonly families: Array<{ prefix: string; pattern: string; build: (suffix: string) => T }> = [];

  constructor(
    readonly kind: string,
    private readonly di: DependencyContainer = container,
  ) {}

  private token(name: string): string {
    return `nextrec:${this.kind}:${name}`;
  }

  /** Add an entry; re-registering a name throws unless `override` is set. */
  register(name: string, value: T, opts: { override?: boolean } = {}): void {
    if (!name || typeof name !== 'string') throw new Error(`${this.kind} name must be a non-empty string`);
    if (this.names.has(name) && !opts.override) throw new Error(`${this.kind} '${name}' is already registered (pass { override: true } to replace it)`);
    this.di.register<T>(this.token(name), { useValue: value });
    this.names.add(name);
  }

  /**
   * Add a parametrised family of entries: every name `prefix + suffix` (e.g. 'ndcg@10') not registered on its own
   * is built by `build(suffix)`, which throws a message naming the problem for a bad suffix. `pattern` is how the
   * family is listed, e.g. 'ndcg@K'.
   */
  registerFamily(prefix: string, pattern: string, build: (suffix: string) => T): void {
    if (this.families.some((f) => f.prefix === prefix)) throw new Error(`${this.kind} family '${pattern}' is already registered`);
    this.families.push({ prefix, pattern, build });
  }

  /** Look an entry up; throws listing the known names when absent. */
  resolve(name: string): T {
    if (!this.names.has(name)) {
      const family = this.families.find((f) => name.startsWith(f.prefix));
      if (family) return family.build(name.slice(family.prefix.length));
      throw new Error(`unknown ${this.kind} '${name}' (known: ${this.list().join(', ')})`);
    }
    return this.di.resolve<T>(this.token(name));
  }

  has(name: string): boolean {
    if (this.names.has(name)) return true;
    const family = this.families.find((f) => name.startsWith(f.prefix));
    if (!family) return false;
    try {
      family.build(name.slice(family.prefix.length));
      return true;
    } catch {
      return false;
    }
  }

  /** Registered names, sorted. */
  list(): string[] {
    return [...this.names, ...this.families.map((f) => f.pattern)].sort();
  }
}
