/**
 * Colors (the only importer of chalk). Ansible's palette: ok green, changed yellow, failed red,
 * unreachable bright red, skipped cyan, rescued/ignored magenta, warnings bright magenta,
 * verbose blue, diff +green/-red/@@cyan.
 */
import { Chalk } from 'chalk';

export type ColorLevel = 0 | 1 | 2 | 3;
type Paint = (s: string) => string;

export interface Palette {
  enabled: boolean;
  ok: Paint;
  changed: Paint;
  failed: Paint;
  unreachable: Paint;
  skipped: Paint;
  rescued: Paint;
  ignored: Paint;
  warn: Paint;
  error: Paint;
  verbose: Paint;
  debug: Paint;
  diffAdd: Paint;
  diffRemove: Paint;
  diffHunk: Paint;
  diffHeader: Paint;
  bold: Paint;
  dim: Paint;
}

/**
 * Decide the color level.
 * An explicit `color` option (CLI --color / --no-color) wins; then NO_COLOR (any non-empty value)
 * disables; then FORCE_COLOR enables ("0"/"false" disable, "2"/"3" pick 256/truecolor);
 * otherwise colors are on only when the stream is a TTY.
 */
export function colorLevel(opts: { color?: boolean; stream?: NodeJS.WritableStream; env: NodeJS.ProcessEnv }): ColorLevel {
  const env = opts.env;
  const forced = env.FORCE_COLOR;
  const forcedLevel = (): ColorLevel => (forced === '2' ? 2 : forced === '3' ? 3 : 1);
  if (opts.color === false) return 0;
  if (opts.color === true) return forcedLevel();
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0;
  if (forced !== undefined) {
    if (forced === '0' || forced === 'false') return 0;
    return forcedLevel();
  }
  return (opts.stream as { isTTY?: boolean } | undefined)?.isTTY === true ? 1 : 0;
}

export function createPalette(level: ColorLevel): Palette {
  const c = new Chalk({ level });
  return {
    enabled: level > 0,
    ok: (s) => c.green(s),
    changed: (s) => c.yellow(s),
    failed: (s) => c.red(s),
    unreachable: (s) => c.redBright(s),
    skipped: (s) => c.cyan(s),
    rescued: (s) => c.magenta(s),
    ignored: (s) => c.magenta(s),
    warn: (s) => c.magentaBright(s),
    error: (s) => c.red(s),
    verbose: (s) => c.blue(s),
    debug: (s) => c.gray(s),
    diffAdd: (s) => c.green(s),
    diffRemove: (s) => c.red(s),
    diffHunk: (s) => c.cyan(s),
    diffHeader: (s) => c.bold(s),
    bold: (s) => c.bold(s),
    dim: (s) => c.dim(s),
  };
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007]*\u0007/g;

export function stripAnsi(s: string): string {
  return s.replace(ANSI, '');
}
