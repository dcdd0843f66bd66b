// Writes docs/modules.md from the modules (their doc line, schema, notes and examples: the module
// files, the same source `kvplay --doc MODULE` prints), with the compiled tree: run after tsc
// (npm run build runs it; `npm run docs` alone needs a build). `--check`: exit 1 when the file is
// out of date instead of writing it. test/modules/docs-generated.test.ts checks it too.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { modulesMarkdown } from '../dist/src/cli/docs-md.js';

const file = fileURLToPath(new URL('../docs/modules.md', import.meta.url));
const text = modulesMarkdown();
let old = '';
try {
  old = readFileSync(file, 'utf8');
} catch {}
if (process.argv.includes('--check')) {
  if (old !== text) {
    console.error('docs/modules.md is out of date with the modules: run npm run docs');
    process.exit(1);
  }
} else if (old !== text) {
  writeFileSync(file, text);
  console.log('docs/modules.md: written');
}
