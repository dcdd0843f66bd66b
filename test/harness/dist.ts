/**
 * The CLI the end-to-end tests run (bin/kvplay.js) is the BUILT one (dist/): a dist/ older than
 * src/ would test yesterday's code. test/e2e/helpers.ts (where BIN comes from: every test that
 * runs the CLI imports it) calls refuseStaleDist() when it loads, so such a file fails at once
 * with the reason instead of passing or failing on old code.
 * KVPLAY_TEST_STALE_DIST_OK=1 turns the refusal into a warning (a tree several people edit at once).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** What the build writes last of what bin/kvplay.js runs: the bundle (scripts/bundle.mjs) and tsc's output. */
const OUTPUTS = ['dist/bundle/kvplay.mjs', 'dist/src/cli/main.js'];

function newest(dir: string): { path: string; ms: number } | undefined {
  let best: { path: string; ms: number } | undefined;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    const n = e.isDirectory() ? newest(p) : e.isFile() ? { path: p, ms: statSync(p).mtimeMs } : undefined;
    if (n && (!best || n.ms > best.ms)) best = n;
  }
  return best;
}

const at = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

/** '' when root's dist/ was built after the last change in src/; else why not, ending in what to do. */
export function staleDist(root: string): string {
  const built = OUTPUTS.filter((f) => existsSync(join(root, f))).map((f) => ({ f, ms: statSync(join(root, f)).mtimeMs }));
  if (!built.length) return `kvplay is not built (no ${OUTPUTS.join(' or ')}): run \`npm run build\``;
  const oldest = built.reduce((a, b) => (b.ms < a.ms ? b : a));
  const src = newest(join(root, 'src'));
  if (!src || src.ms <= oldest.ms) return '';
  return `dist/ is older than src/: ${relative(root, src.path)} changed at ${at(src.ms)} UTC, ${oldest.f} was built at ${at(oldest.ms)} UTC; the end-to-end tests run the built CLI: run \`npm run build\``;
}

/** Throws (or with KVPLAY_TEST_STALE_DIST_OK=1 warns) when staleDist(root) has a reason. */
export function refuseStaleDist(root: string): void {
  const why = staleDist(root);
  if (!why) return;
  if (process.env.KVPLAY_TEST_STALE_DIST_OK === '1') {
    process.stderr.write(`warning (KVPLAY_TEST_STALE_DIST_OK=1): ${why}\n`);
    return;
  }
  throw new Error(why);
}
