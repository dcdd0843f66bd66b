/** Signatures of filters, tests and global functions. */
import type { Kw } from './core.js';
import type { Ctx } from './lazy.js';

/** What filters, tests and globals may use of the running template. */
export interface FEnv {
  ctx: Ctx;
  filter(name: string, v: unknown, args: unknown[], kw: Kw): unknown;
  test(name: string, v: unknown, args: unknown[], kw: Kw): boolean;
}

export type FilterFn = (env: FEnv, v: unknown, args: unknown[], kw: Kw) => unknown;
export type TestFn = (env: FEnv, v: unknown, args: unknown[], kw: Kw) => boolean;
export type GlobalFn = (env: FEnv, args: unknown[], kw: Kw) => unknown;

/** Positional argument i or keyword `name`, else `dflt`. */
export function arg<T = unknown>(args: unknown[], kw: Kw, i: number, name: string, dflt?: T): T {
  if (i < args.length) return args[i] as T;
  if (Object.prototype.hasOwnProperty.call(kw, name)) return kw[name] as T;
  return dflt as T;
}
