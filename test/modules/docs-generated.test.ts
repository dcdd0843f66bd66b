/**
 * docs/modules.md is generated from the modules (scripts/gen-docs.mjs, src/cli/docs-md.ts), and
 * `kvplay --doc` prints the same source (src/cli/doc.ts): the file must be what the modules say now.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { modulesMarkdown, proseMarkdown } from '../../src/cli/docs-md.js';
import { moduleDoc } from '../../src/cli/doc.js';
import { MODULES, moduleMeta } from '../../src/engine/module/registry.js';

const FILE = new URL('../../docs/modules.md', import.meta.url);

test('docs/modules.md is up to date with the modules (else: npm run docs)', () => {
  const want = modulesMarkdown();
  const have = readFileSync(FILE, 'utf8');
  if (have === want) return;
  const a = have.split('\n');
  const b = want.split('\n');
  const i = a.findIndex((l, n) => l !== b[n]);
  assert.unreachable(`docs/modules.md is out of date (run npm run docs); first difference at line ${i + 1}:\n  file:      ${a[i]}\n  generated: ${b[i]}`);
});

test("each system module's prose lives in its module file and reaches both docs/modules.md and kvplay --doc", () => {
  const md = readFileSync(FILE, 'utf8');
  for (const e of MODULES.filter((x) => x.group === 'sys')) {
    const m = moduleMeta(e.name)!;
    assert.ok(m.notes && m.examples, `${m.name}: notes and examples`);
    assert.ok(md.includes(proseMarkdown(m)), `${m.name}: prose in docs/modules.md`);
    const doc = moduleDoc(m.name)!;
    assert.ok(doc.includes(m.notes!.split('\n')[0]), `${m.name}: notes in --doc`);
    assert.ok(doc.includes(m.examples!.split('\n')[0]), `${m.name}: example in --doc`);
  }
});

test.run();
