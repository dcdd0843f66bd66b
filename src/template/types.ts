/** Signatures of filters, tests and global functions. */
import type { Kw } from './core.js';
import type { Ctx } from './lazy.js';

/** What filters, tests and globals may use of the running template. */
export interface FEnv {
  ctx: Ctx;
  filter(name: string, v: unknown, args: unknown[], kw: Kw): unknown;
  test(name: string, v: unknown, args: unknown[], kw: Kw): boolean;
  /** Whether a filter or test of that name exists (Jinja's `is filter` / `is test`). */
  has(kind: 'filter' | 'test', name: string): boolean;
}

export type FilterFn = (env: FEnv, v: unknown, args: unknown[], kw: Kw) => unknown;
export type TestFn = (env: FEnv, v: unknown, args: unknown[], kw: Kw) => boolean;
/** `taint[i]`: positional argument i was computed from unsafe data (lookup terms are not templated then). */
export type GlobalFn = (env: FEnv, args: unknown[], kw: Kw, taint?: boolean[]) => unknown;

/** Positional argument i or keyword `name`, else `dflt`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function arg(args: unknown[], kw: Kw, i: number, name: string, dflt?: unknown): any {
  if (i < args.length) return args[i];
  if (Object.prototype.hasOwnProperty.call(kw, name)) return kw[name];
  return dflt;
}
