/** Host patterns: names, groups, all/*, globs, regexes, subscripts, union/intersection/exclusion, lists, errors. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadInventory, splitHostPattern } from '../../src/inventory/index.js';
import { InputError } from '../../src/util/errors.js';

function fixtures(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'test/fixtures/inventory'))) {
    if (dirname(d) === d) throw new Error('test/fixtures/inventory not found');
    d = dirname(d);
  }
  return join(d, 'test/fixtures/inventory');
}
const inv = loadInventory(join(fixtures(), 'lab/inventory.yaml'));
const m = (p: string | string[]) => inv.match(p);
const WEB = ['web01.example.com', 'web02.example.com', 'web03.example.com'];
const ALL = ['solo', 'kvm1', 'kvm2', 'nfs', ...WEB, 'db-a', 'db-b'];

test('all, *, names, groups, nested groups', () => {
  assert.equal(m('all'), ALL);
  assert.equal(m('*'), ALL);
  assert.equal(m('kvm1'), ['kvm1']);
  assert.equal(m('kvm_hosts'), ['kvm1', 'kvm2']);
  assert.equal(m('prod'), ['kvm1', 'kvm2', 'nfs'], 'a group includes its descendants');
  assert.equal(m('ungrouped'), ['solo']);
});

test('union with : and , (inventory order, no duplicates)', () => {
  assert.equal(m('nfs_servers:kvm_hosts'), ['kvm1', 'kvm2', 'nfs']);
  assert.equal(m('nfs,kvm1'), ['kvm1', 'nfs']);
  assert.equal(m('kvm1, nfs,'), ['kvm1', 'nfs'], 'limit style with spaces and trailing comma');
  assert.equal(m(['nfs', 'kvm1']), ['kvm1', 'nfs'], 'a list is a union');
});

test('intersection, exclusion and their order of evaluation', () => {
  assert.equal(m('kvm_hosts:&nfs_servers'), ['kvm2']);
  assert.equal(m('kvm_hosts:!nfs_servers'), ['kvm1']);
  assert.equal(m('prod:!kvm2:&storage'), ['nfs'], 'unions, then intersections, then exclusions');
  assert.equal(m('!kvm2:prod'), ['kvm1', 'nfs'], 'exclusion written first still applies last');
  assert.equal(m('&storage:kvm_hosts:nfs'), ['kvm2', 'nfs']);
  assert.equal(m('&kvm_hosts'), ['kvm1', 'kvm2'], 'only & terms start from all');
  assert.equal(m('!prod'), ['solo', ...WEB, 'db-a', 'db-b'], 'only ! terms start from all');
  assert.equal(m('all:!web:!ungrouped'), ['kvm1', 'kvm2', 'nfs']);
});

test('globs', () => {
  assert.equal(m('kvm*'), ['kvm1', 'kvm2'], 'matches the group kvm_hosts and the hosts');
  assert.equal(m('web0?.example.com'), WEB);
  assert.equal(m('*.example.com'), WEB);
  assert.equal(m('db-[ab]'), ['db-a', 'db-b']);
  assert.equal(m('db-[!a]'), ['db-b']);
  assert.equal(m('KVM*'), [], 'case-sensitive like fnmatch.translate');
  assert.equal(m('nfs*'), ['kvm2', 'nfs'], 'group nfs_servers and host nfs');
});

test('regex with ~ (anchored at the start, like re.match)', () => {
  assert.equal(m('~web0[12]'), WEB.slice(0, 2));
  assert.equal(m('~kvm\\d$'), ['kvm1', 'kvm2']);
  assert.equal(m('~example'), [], 'not a search');
  assert.equal(m('~(?i)WEB03'), ['web03.example.com']);
  assert.equal(m('~db-.:kvm1'), ['kvm1', 'db-a', 'db-b']);
});

test('subscripts select by position in the group', () => {
  assert.equal(m('web[0]'), ['web01.example.com']);
  assert.equal(m('web[-1]'), ['db-b']);
  assert.equal(m('web[1:2]'), ['web02.example.com', 'web03.example.com'], 'inclusive');
  assert.equal(m('web[3:]'), ['db-a', 'db-b']);
  assert.equal(m('web[9]'), [], 'out of range matches nothing');
});

test('no match is not an error; localhost is implicit', () => {
  assert.equal(m('nosuch'), []);
  assert.equal(m('nosuch:!kvm1'), []);
  assert.equal(m('localhost'), ['localhost']);
  assert.equal(m('kvm1:localhost'), ['kvm1', 'localhost'], 'implicit localhost comes last');
});

const LOC = { file: 'site.yml', line: 3, col: 10 };
function invalid(p: string, re: RegExp) {
  try {
    inv.match(p, LOC);
  } catch (e) {
    assert.instance(e, InputError);
    assert.equal((e as InputError).loc, LOC);
    assert.match((e as InputError).message, re);
    assert.ok((e as InputError).hint, 'has a hint');
    return;
  }
  assert.unreachable(`pattern ${JSON.stringify(p)} should be invalid`);
}

test('invalid patterns: InputError at the given loc, with a hint', () => {
  invalid('kvm1::nfs', /empty component/);
  invalid('kvm_hosts:', /empty component/);
  invalid(':kvm1', /empty component/);
  invalid('kvm1,,nfs', /empty component between commas/);
  invalid('', /empty pattern/);
  invalid('kvm1:!', /`!` must be followed/);
  invalid('&', /`&` must be followed/);
  invalid('~', /`~` must be followed by a regular expression/);
  invalid('~kvm(1', /invalid regular expression/);
  invalid('web[1', /unclosed `\[`/);
  invalid('web[1-2]', /use \[1:2\]/);
  invalid('!&kvm1', /only one of/);
});

test('splitHostPattern validates without an inventory', () => {
  assert.equal(splitHostPattern('a:&b:!c'), [
    { op: '', expr: 'a' },
    { op: '&', expr: 'b' },
    { op: '!', expr: 'c' },
  ]);
  assert.equal(splitHostPattern('web[1:3]:db'), [
    { op: '', expr: 'web[1:3]' },
    { op: '', expr: 'db' },
  ]);
  assert.equal(splitHostPattern('::1'), [{ op: '', expr: '::1' }], 'IPv6 localhost stays one term');
  assert.throws(() => splitHostPattern('a::b', LOC), (e: InputError) => e.loc === LOC);
});

test.run();
