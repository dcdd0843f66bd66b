/**
 * throttle: at most N hosts run the task at once (kvplay runs hosts concurrently under --forks).
 * Proved by ordering, not timing: each host, when its command starts, counts the hosts whose
 * command started and has not ended yet (marker files on the shared loopback host, one per host),
 * itself included; no host may ever see more than N.
 */
import * as assert from 'uvu/assert';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { requires } from '../harness/gate.js';
import { kvplay, startHosts, writePlaybook, type Lab } from './helpers.js';

const test = requires({ sshd: true });
let lab: Lab;
test.before(async () => {
  lab = await startHosts(5);
});
test.after(async () => {
  await lab?.stop();
});

/** The most hosts any host saw running the task when it started (itself included). */
async function maxSeen(name: string, keywords: string, block = false): Promise<number> {
  const d = join(lab.dir, name);
  mkdirSync(d);
  const cmd = `touch ${d}/start-{{ inventory_hostname }}; for f in ${d}/start-*; do b=\${f##*/start-}; [ -e ${d}/end-$b ] || echo x; done | wc -l > ${d}/seen-{{ inventory_hostname }}; sleep 1; touch ${d}/end-{{ inventory_hostname }}`;
  const task = `- shell: "${cmd}"\n`;
  const tasks = block ? `    - block:\n        ${task}      ${keywords}\n` : `    ${task}      ${keywords}\n`;
  const pb = writePlaybook(lab.dir, `${name}.yml`, `- hosts: all\n  gather_facts: false\n  tasks:\n    - command: "true"\n${tasks}`);
  const r = await kvplay(['-i', lab.inventory, pb, '--forks', '5']);
  assert.is(r.code, 0, r.stdout + r.stderr);
  const seen = lab.hosts.map((h) => Number(readFileSync(join(d, `seen-${h}`), 'utf8').trim()));
  return Math.max(...seen);
}

test('throttle: 2 on a task: never more than 2 hosts run it at once (forks 5)', async () => {
  assert.ok((await maxSeen('t2', 'throttle: 2')) <= 2);
});

test('throttle on a block applies to its tasks; a templated throttle', async () => {
  assert.ok((await maxSeen('b1', 'throttle: "{{ 0 + 1 }}"', true)) <= 1);
});

test('control: without throttle the same task runs on more than 2 hosts at once (the check above can fail)', async () => {
  assert.ok((await maxSeen('none', 'tags: [x]')) > 2);
});

test.run();
