/**
 * Handlers: notify by name and by listen topic, meta: flush_handlers, definition order, only
 * changed results notify, and force_handlers for a host that failed after notifying, as
 * ansible-playbook 2.14 -c local runs the same playbook.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { counts, runLocal } from './local.js';

const FORCE_SITE = `- hosts: all
  gather_facts: false
  handlers:
    - name: h1
      debug: {msg: h1}
    - name: h2
      debug: {msg: h2}
      listen: topic
    - name: h3
      debug: {msg: h3}
      listen: topic
  tasks:
    - name: notify h1
      debug: {msg: x}
      changed_when: true
      notify: h1
    - name: notify topic on a
      debug: {msg: y}
      changed_when: "inventory_hostname == 'a'"
      notify: topic
    - meta: flush_handlers
    - name: after flush
      debug: {msg: z}
      changed_when: true
      notify: [h3, h1]
    - name: not changed
      debug: {msg: w}
      notify: h2
- hosts: all
  gather_facts: false
  force_handlers: FORCE
  handlers:
    - name: hf
      debug: {msg: hf}
  tasks:
    - name: notify hf
      debug: {msg: x}
      changed_when: true
      notify: hf
    - name: b fails
      fail: {msg: boom}
      when: inventory_hostname == 'b'
`;
const SITE = FORCE_SITE.replace('FORCE', 'false');

/** handler runs in order: "name:host,host" */
function handlerRuns(r: Awaited<ReturnType<typeof runLocal>>): string[] {
  const out: string[] = [];
  for (const e of r.rep.events) {
    if (e.kind === 'task_start' && e.handler) out.push(`${e.task}:`);
    else if (e.kind === 'host_result' && out.length && out[out.length - 1].startsWith(`${e.task}:`)) out[out.length - 1] += (out[out.length - 1].endsWith(':') ? '' : ',') + e.host;
  }
  return out.map((s) => s.split(':')[0] + ':' + s.split(':')[1].split(',').sort().join(','));
}

test('notify by name and topic, flushed in definition order; unchanged results notify nothing', async () => {
  const r = await runLocal({ 'site.yml': SITE });
  assert.equal(handlerRuns(r), ['h1:a,b', 'h2:a', 'h3:a', 'h1:a,b', 'h3:a,b', 'hf:a']);
  // ansible-playbook 2.14: a ok=11 changed=4 skipped=1; b ok=8 changed=3 failed=1
  assert.is(counts(r.recap.a), 'ok=11 changed=4 skipped=1');
  assert.is(counts(r.recap.b), 'ok=8 changed=3 failed=1');
  assert.is(r.code, 2);
});

test('force_handlers: the handler runs on the host that failed after notifying', async () => {
  const r = await runLocal({ 'site.yml': FORCE_SITE.replace('FORCE', 'true') });
  assert.equal(handlerRuns(r).slice(-1), ['hf:a,b']);
  assert.is(counts(r.recap.b), 'ok=9 changed=3 failed=1');
  assert.is(r.results('b fails').find((e) => e.host === 'b')?.status, 'failed', 'and the host stays failed');
  assert.is(r.code, 2);
});

test('--force-handlers (RunOptions.forceHandlers) does the same', async () => {
  const site = FORCE_SITE.replace('  force_handlers: FORCE\n', '');
  const r = await runLocal({ 'site.yml': site }, { forceHandlers: true });
  assert.equal(handlerRuns(r).slice(-1), ['hf:a,b']);
});

test.run();
