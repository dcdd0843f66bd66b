/**
 * Files the build writes for the running code (dist/modules.json, dist/validators/NAME.cjs; see
 * scripts/gen-validators.mjs). The compiled tree (dist/src/engine/module/) and the bundle's chunks
 * (dist/bundle/, where scripts/bundle.mjs defines KVPLAY_BUNDLED) find them at the top of dist/.
 * Under tsx (src/) they are never used: the code there is newer than any build.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

declare const KVPLAY_BUNDLED: boolean | undefined;

const FROM_DIST = import.meta.url.endsWith('.js') || import.meta.url.endsWith('.mjs');
const DIST = new URL(typeof KVPLAY_BUNDLED !== 'undefined' && KVPLAY_BUNDLED ? '../' : '../../../', import.meta.url);

/** The absolute path of dist/REL when this code runs from a build and the file exists, else undefined. */
export function builtFile(rel: string): string | undefined {
  if (!FROM_DIST) return undefined;
  const p = fileURLToPath(new URL(rel, DIST));
  return existsSync(p) ? p : undefined;
}
