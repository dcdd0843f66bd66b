/**
 * The engine keeps its per-run state beside the loaded playbook (src/engine/playrun.ts): a run
 * changes nothing in the model, so one loaded playbook runs twice alike (include_role public,
 * templated vars_files, handlers an include_role brings).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadLocal } from './local.js';

/** A deterministic dump of an object graph (cycles and shared objects: written once, then `[seen]`). */
function dump(v: unknown): string {
  const seen = new Set<unknown>();
  return JSON.stringify(v, (_k, x: unknown) => {
    if (x && typeof x === 'object') {
      if (seen.has(x)) return '[seen]';
      seen.add(x);
      if (x instanceof Map) return { map: [...x.entries()] };
      if (x instanceof Set) return { set: [...x] };
      return Object.keys(x).length === 0 ? { keys: '(none)' } : x;
    }
    return typeof x === 'function' ? '[fn]' : x;
  });
}

const FILES = {
  'roles/pub/vars/main.yml': 'pubvar: from-pub\n',
  'roles/pub/tasks/main.yml': '- name: in pub\n  debug: {msg: hi}\n  changed_when: true\n  notify: pub handler\n',
  'roles/pub/handlers/main.yml': '- name: pub handler\n  debug: {msg: handled}\n',
  'a.yml': 'hv: a-file\n',
  'b.yml': 'hv: b-file\n',
  'site.yml': `- hosts: all
  gather_facts: false
  vars_files: ["{{ inventory_hostname }}.yml"]
  tasks:
    - name: before
      debug: {msg: "{{ pubvar | default('unset') }} {{ hv }}"}
    - include_role: {name: pub, public: true}
    - name: after
      debug: {msg: "{{ pubvar }} {{ hv }}"}
`,
};

test('two runs of one loaded playbook: same results, and the model is as loaded', async () => {
  const l = loadLocal(FILES);
  try {
    const before = dump(l.pb);
    for (const n of [1, 2]) {
      const r = await l.run();
      assert.is(r.code, 0, r.trail().join('\n'));
      assert.is(r.msg('before', 'a'), 'unset a-file', `run ${n}: the public role's vars come with the include, not before`);
      assert.is(r.msg('after', 'a'), 'from-pub a-file', `run ${n}`);
      assert.is(r.msg('after', 'b'), 'from-pub b-file', `run ${n}: vars_files per host`);
      assert.equal(r.results('pub handler').map((e) => `${e.host}:${e.status}`), ['a:ok', 'b:ok'], `run ${n}: the included role's handler runs once per host`);
      assert.is(dump(l.pb), before, `run ${n} changed the loaded playbook`);
    }
  } finally {
    l.cleanup();
  }
});

test.run();
