// Bundles the CLI into one ESM file (dist/kvplay.mjs) with esbuild: start-up drops from ~300 ms
// to ~160 ms, nearly all of it module resolution and loading of ~200 small files.
// The unbundled dist/src (from tsc) stays the fallback and what the tests import.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/cli/main.ts'],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile: 'dist/kvplay.mjs',
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
