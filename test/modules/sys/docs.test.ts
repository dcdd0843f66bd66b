import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MODULES, loadModule } from '../../../src/engine/module/registry.js';

const SYS = MODULES.filter((e) => e.group === 'sys');
const SYS_MODULES = await Promise.all(SYS.map((e) => e.load()));

const doc = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'docs', 'modules.md'), 'utf8');

test('docs/modules.md has a section per system module listing every parameter of its schema', () => {
  for (const m of SYS_MODULES) {
    const start = doc.indexOf(`\n## ${m.name}\n`);
    assert.ok(start >= 0, `no section for ${m.name}`);
    const end = doc.indexOf('\n## ', start + 4);
    const section = doc.slice(start, end < 0 ? undefined : end);
    for (const p of Object.keys((m.schema as any).properties)) assert.ok(section.includes(`| \`${p}\` |`), `${m.name}: parameter ${p} not documented`);
    assert.ok(section.includes(m.doc), `${m.name}: doc line differs`);
  }
});

test('the system modules are registered under their names and aliases', async () => {
  assert.is(SYS.length, 10);
  for (const e of SYS) {
    const m = await e.load();
    assert.is(m.name, e.name);
    assert.is(await loadModule(m.name), m);
    assert.is(await loadModule(`ansible.builtin.${m.name}`), m);
    for (const a of e.aliases) assert.is(await loadModule(a), m);
  }
});

test.run();
