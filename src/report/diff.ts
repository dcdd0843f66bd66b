/**
 * --diff rendering (the only importer of `diff`): a unified diff per Diff, never trimmed.
 */
import { createRequire } from 'node:module';
import type * as DiffLib from 'diff';
import type { Diff } from './events.js';
import type { Palette } from './color.js';

// loaded on the first diff only (start-up time of runs without --diff)
let lib: typeof DiffLib | undefined;
const diffLib = (): typeof DiffLib => (lib ??= createRequire(import.meta.url)('diff') as typeof DiffLib);

/** Lines of a unified diff (3 lines of context): `--- before: path`, `+++ after: path`, hunks. */
export function renderDiff(d: Diff, p: Palette, context = 3): string[] {
  const path = String(d?.path ?? '');
  const before = toText(d?.before);
  const after = toText(d?.after);
  const out = [p.diffRemove(`--- before: ${path}`), p.diffAdd(`+++ after: ${path}`)];
  if (before === after) {
    out.push(p.dim('(no textual changes)'));
    return out;
  }
  const patch = diffLib().structuredPatch(path, path, before, after, undefined, undefined, { context });
  for (const h of patch.hunks) {
    out.push(p.diffHunk(`@@ -${range(h.oldStart, h.oldLines)} +${range(h.newStart, h.newLines)} @@`));
    for (const line of h.lines) {
      if (line.startsWith('+')) out.push(p.diffAdd(line));
      else if (line.startsWith('-')) out.push(p.diffRemove(line));
      else if (line.startsWith('\\')) out.push(p.dim(line));
      else out.push(line);
    }
  }
  return out;
}

export function renderDiffs(diffs: readonly Diff[] | undefined, p: Palette): string[] {
  if (!Array.isArray(diffs)) return [];
  return diffs.flatMap((d) => renderDiff(d, p));
}

function toText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === undefined || v === null) return '';
  return typeof v === 'object' ? JSON.stringify(v, null, 2) + '\n' : String(v);
}

function range(start: number, lines: number): string {
  // unified-diff convention: an empty range starts at the line before
  if (lines === 0) return `${Math.max(0, start - 1)},0`;
  return lines === 1 ? `${start}` : `${start},${lines}`;
}
