#!/usr/bin/env node
// kvplay entry point: runs the compiled CLI (npm run build compiles src/ into dist/).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
// the esbuild bundle (scripts/bundle.mjs) starts fastest; the plain tsc output is the fallback
const bundle = new URL('../dist/bundle/kvplay.mjs', import.meta.url);
const main = existsSync(fileURLToPath(bundle)) ? bundle : new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write('kvplay is not built: run `npm run build` in ' + fileURLToPath(new URL('..', import.meta.url)) + '\n');
  process.exit(1);
}
// `kvplay ... | head`: a closed pipe ends the output quietly
for (const s of [process.stdout, process.stderr]) s.on('error', (e) => { if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0); throw e; });
const { main: run } = await import(main.href);
process.exitCode = await run(process.argv.slice(2));
