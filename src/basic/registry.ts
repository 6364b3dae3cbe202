import 'reflect-metadata';
import { container, DependencyContainer } from 'tsyringe';

/**
 * A named catalogue backed by a tsyringe container, so optimizers, losses, metrics and models can be built
 * from strings (configs, the leaderboard, the CLI) and users can add their own under new names.
 */
export class Registry<T> {
  private readonly names = new Set<string>();

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

  /** Look an entry up; throws listing the known names when absent. */
  resolve(name: string): T {
    if (!this.names.has(name)) throw new Error(`unknown ${this.kind} '${name}' (known: ${this.list().join(', ')})`);
    return this.di.resolve<T>(this.token(name));
  }

  has(name: string): boolean {
    return this.names.has(name);
  }

  /** Registered names, sorted. */
  list(): string[] {
    return [...this.names].sort();
  }
}
