/** Validation: every error of a file at once, each with file:line:col and a hint; warnings. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadInventory, inventoryFromText } from '../../src/inventory/index.js';
import { InputErrors, fmtLoc } from '../../src/util/errors.js';

function fixtures(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'test/fixtures/inventory'))) {
    if (dirname(d) === d) throw new Error('test/fixtures/inventory not found');
    d = dirname(d);
  }
  return join(d, 'test/fixtures/inventory');
}
const FX = fixtures();

/** "file:line:col message" of each error thrown by fn (which must throw InputErrors). */
function errorsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    assert.instance(e, InputErrors);
    for (const x of (e as InputErrors).errors) assert.ok(x.hint, `hint for ${x.message}`);
    return (e as InputErrors).errors.map((x) => `${fmtLoc(x.loc)} ${x.message}`);
  }
  assert.unreachable('expected InputErrors');
  return [];
}

test('all structural errors of a file at once, in file order, with positions', () => {
  const f = join(FX, 'bad/structure.yaml');
  assert.equal(errorsOf(() => loadInventory(f)), [
    `${f}:2:10 \`hosts:\` must be a mapping of host names to their variables (or nothing), got a list`,
    `${f}:5:7 unknown key \`host\` in group \`kvm_hosts\` (only hosts, children and vars are allowed)`,
    `${f}:9:14 variables of host \`nfs\` must be a mapping, got the string "192.0.2.4"`,
    `${f}:11:33 ansible_group_priority of group \`nfs_servers\` must be an integer, got the string "high"`,
    `${f}:12:12 group \`bogus\` must be a mapping (with hosts:, children: and/or vars:) or empty, got number 42`,
    `${f}:15:9 bad host range in \`web[3:1]\`: begin 3 is greater than end 1`,
    `${f}:16:7 unknown key \`childs\` in group \`ranged\` (only hosts, children and vars are allowed)`,
    `${f}:18:7 unknown key \`ansible_user\` in group \`ranged\` (only hosts, children and vars are allowed)`,
  ]);
});

test('unknown keys get a did-you-mean hint when close', () => {
  try {
    loadInventory(join(FX, 'bad/structure.yaml'));
  } catch (e) {
    const hints = (e as InputErrors).errors.filter((x) => x.message.startsWith('unknown key')).map((x) => x.hint);
    assert.equal(hints, ['did you mean `hosts`?', 'did you mean `children`?', 'a host goes under `hosts:`, a variable under `vars:`, a sub-group under `children:`']);
  }
});

test('a group that is its own ancestor', () => {
  const f = join(FX, 'bad/cycle.yaml');
  assert.equal(errorsOf(() => loadInventory(f)), [
    `${f}:7:13 group \`a\` is its own ancestor (a → b → a)`,
    `${f}:10:9 group \`c\` is its own ancestor (c → c)`,
  ]);
});

test('`all` as a child group', () => {
  const f = join(FX, 'none/allchild.yaml');
  assert.equal(errorsOf(() => inventoryFromText('web:\n  children:\n    all:\n', f)), [`${f}:3:5 \`all\` cannot be a child of group \`web\``]);
});

test('non-YAML inventories: INI (read, as Ansible), scalar (neither YAML nor INI), top-level hosts:, ansible-inventory --list JSON', () => {
  const ini = loadInventory(join(FX, 'bad/ini-inventory'));
  assert.equal(ini.match('kvm_hosts'), ['kvm1']);
  assert.is(ini.hostVars('kvm1').ansible_host, '192.0.2.2');
  const sc = join(FX, 'bad/scalar.yaml');
  assert.equal(errorsOf(() => loadInventory(sc)), [
    `${sc}:1:1 ${sc} is not a YAML inventory (its top level is the string "kvm1 kvm2 nfs", not a mapping of groups)`,
    `${sc}:1:1 ${sc} is not an INI inventory either: Expected key=value host variable assignment, got: kvm2`,
  ]);
  const tl = join(FX, 'bad/toplevel.yaml');
  assert.equal(errorsOf(() => loadInventory(tl)), [`${tl}:1:1 top-level \`hosts:\` would be a group named "hosts"`]);
  const js = join(FX, 'none/list.json');
  assert.match(errorsOf(() => inventoryFromText('{"_meta": {"hostvars": {}}, "all": {"children": ["ungrouped"]}}', js))[0], `${js}:1:2 `);
});

test('missing inventory file and YAML syntax errors are InputErrors too', () => {
  const f = join(FX, 'nope.yaml');
  assert.equal(errorsOf(() => loadInventory(f)), [`${f}:1:1 cannot read inventory ${f}: ENOENT`]);
  const y = join(FX, 'none/syntax.yaml');
  const ys = errorsOf(() => inventoryFromText('all:\n  hosts:\n    a: [\n', y));
  assert.equal(ys.length, 2, 'the YAML reason, then why it is not INI either (as Ansible tries its ini plugin next)');
  assert.match(ys[0], 'YAML syntax');
  assert.match(ys[1], `${y}:1:1 ${y} is not an INI inventory either: Invalid host pattern 'all:' supplied`);
});

test('errors in group_vars/host_vars files are reported with the inventory', () => {
  const d = join(FX, 'badvars');
  assert.equal(errorsOf(() => loadInventory(join(d, 'inventory.yaml'))), [
    `${d}/group_vars/all.yml:1:1 a group_vars file must be a mapping of variable names to values, got a list`,
    `${d}/host_vars/h1.yml:2:1 YAML syntax: Flow sequence in block collection must be sufficiently indented and end with a ]`,
  ]);
});

test('warnings: invalid group name characters, group/host name clash', () => {
  const f = join(FX, 'bad/warn.yaml');
  const inv = loadInventory(f);
  assert.equal(
    inv.warnings.map((w) => `${fmtLoc(w.loc)} ${w.message}`),
    [`${f}:5:9 \`db\` is both a host and a group`, `${f}:6:5 group name \`web-servers\` has characters Ansible does not allow in group names`],
  );
  assert.match(inv.warnings[1].hint!, 'web_servers');
  assert.equal(inv.match('web-servers'), ['w1'], 'still usable');
});

test('warning: both group_vars/NAME/ and group_vars/NAME.yml exist (only the first is read, as Ansible)', () => {
  const inv = loadInventory(join(FX, 'dupvars/inventory.yaml'));
  assert.is(inv.hostVars('w1').from, 'dir');
  assert.is(inv.warnings.length, 1);
  assert.match(inv.warnings[0].message, /only .*group_vars\/web is read/);
});

test('empty inventory file: a warning, no hosts', () => {
  const inv = inventoryFromText('# nothing yet\n', join(FX, 'none/empty.yaml'));
  assert.equal(inv.hosts, []);
  assert.match(inv.warnings[0].message, /is empty/);
});

test.run();
