// Bundles the CLI with esbuild into dist/bundle/: kvplay.mjs (the entry bin/kvplay.js prefers) plus
// chunks, one per lazily imported part (each module's code with its libraries, the run pipeline,
// the lab, the live display), so a run loads only what it uses. Resolving and loading ~200 small
// files of the tsc output costs more than the code itself; see bench/README.md "Start-up".
// The unbundled dist/src (from tsc) stays the fallback and what the tests import.
// A kvplay started before a rebuild may still import its chunks: chunk names carry a content hash,
// the entry is replaced last (rename), and chunks no build refers to are removed an hour later.
import { build } from 'esbuild';
import { mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

const OUT = 'dist/bundle';
const ENTRY = 'kvplay.mjs';
const KEEP_OLD_MS = 60 * 60 * 1000;

const result = await build({
  entryPoints: { kvplay: 'src/cli/main.ts' },
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outdir: OUT,
  outExtension: { '.js': '.mjs' },
  chunkNames: '[name]-[hash]',
  write: false,
  // src/engine/module/built.ts: build files (dist/modules.json, dist/validators/) are one level up from here
  define: { KVPLAY_BUNDLED: 'true' },
  // ssh2's optional native speed-ups stay optional (loaded by ssh2 in try/catch when present)
  external: ['cpu-features', '*.node'],
  // CommonJS dependencies inside an ESM bundle expect require, __filename and __dirname
  banner: {
    js: [
      "import { createRequire as __kvplayRequire } from 'node:module';",
      "import { fileURLToPath as __kvplayPath } from 'node:url';",
      'const require = __kvplayRequire(import.meta.url);',
      'const __filename = __kvplayPath(import.meta.url);',
      "const __dirname = __filename.replace(/[\\/][^\\/]*$/, '');",
    ].join(' '),
  },
  sourcemap: 'linked',
  logLevel: 'warning',
});

/** write, then rename: a running kvplay reads the old file or the new one, never half of one */
const put = (f) => {
  writeFileSync(f.path + '.tmp', f.contents);
  renameSync(f.path + '.tmp', f.path);
};
mkdirSync(OUT, { recursive: true });
const written = new Set(result.outputFiles.map((f) => basename(f.path)));
const isEntry = (f) => [ENTRY, ENTRY + '.map'].includes(basename(f.path));
for (const f of result.outputFiles) if (!isEntry(f)) put(f);
for (const f of result.outputFiles) if (isEntry(f)) put(f);
const now = Date.now();
for (const name of readdirSync(OUT)) {
  if (!written.has(name) && now - statSync(join(OUT, name)).mtimeMs > KEEP_OLD_MS) rmSync(join(OUT, name), { force: true });
}
// the former single-file bundle
rmSync('dist/kvplay.mjs', { force: true });
rmSync('dist/kvplay.mjs.map', { force: true });
console.log(`${OUT}: ${written.size} files`);
