/**
 * --explain on real sshd hosts, through the CLI: with and without --check, plain and --json (an
 * `explain` field), --report; the commands it lists are the commands that really ran (the same
 * in check mode and for real, each with exit code 0), and typed by hand as a student would, they
 * make exactly the files kvplay makes. Secrets and no_log tasks stay hidden.
 */
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startHosts, kvplay, writePlaybook, type Lab } from './helpers.js';
import { requires } from '../harness/gate.js';

/** Needs the real sshd (root): elsewhere every test is reported as skipped with the reason. */
const test = requires({ sshd: true });

const SECRET = `Xq9-${Math.random().toString(36).slice(2, 10)}-pw`;
let lab: Lab;
let pb: string;
let work: string;

test.before(async () => {
  lab = await startHosts(1, { db_password: SECRET });
  work = lab.work('host1');
  pb = writePlaybook(lab.dir, 'explain.yaml', `- hosts: host1
  gather_facts: false
  tasks:
    - name: motd
      copy: {dest: "{{ work }}/motd", content: "hello\\nstudents\\n", mode: "0640"}
    - name: a line in app.conf
      lineinfile: {path: "{{ work }}/app.conf", line: "port=2049", create: true, mode: "0600"}
    - name: the share directory
      file: {path: "{{ work }}/share", state: directory, mode: "0750"}
    - name: a file with a secret
      copy: {dest: "{{ work }}/db.conf", content: "password={{ db_password }}\\n", mode: "0600"}
    - name: hidden task
      copy: {dest: "{{ work }}/hidden.txt", content: "hidden-content-42\\n"}
      no_log: true
    - name: greeting
      shell: "echo hi > {{ work }}/hi.txt"
      args: {creates: "{{ work }}/hi.txt"}
`);
});
test.after(async () => {
  await lab?.stop();
});

function clean(): void {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
}

/** name -> [type, mode, content] of everything under dir */
function tree(dir: string): Record<string, [string, string, string]> {
  const out: Record<string, [string, string, string]> = {};
  for (const n of readdirSync(dir).sort()) {
    const st = lstatSync(join(dir, n));
    const mode = (st.mode & 0o7777).toString(8);
    out[n] = st.isDirectory() ? ['dir', mode, ''] : ['file', mode, readFileSync(join(dir, n), 'utf8')];
  }
  return out;
}

const explains = (events: any[]) => events.filter((e) => e.kind === 'explain');
const byTask = (events: any[]) => Object.fromEntries(explains(events).map((e) => [e.task, e.explain]));

test('--check --explain --json: an explain event per task and host, with what would run; nothing changes', async () => {
  clean();
  const r = await kvplay([pb, '-i', lab.inventory, '--check', '--explain'], { json: true });
  assert.is(r.code, 0, r.stdout + r.stderr);
  const ex = byTask(r.events);
  assert.equal(Object.keys(ex).sort(), ['a file with a secret', 'a line in app.conf', 'greeting', 'hidden task', 'motd', 'the share directory']);
  for (const e of explains(r.events)) assert.is(e.host, 'host1');
  const motd = ex.motd;
  assert.is(motd.check, true);
  assert.equal(motd.checked, [{ cmd: `ls -ld ${work}/motd`, found: 'missing' }]);
  assert.equal(motd.runs, [{ cmd: `cat > ${work}/motd <<'EOF'\nhello\nstudents\nEOF\nchmod 0640 ${work}/motd`, why: `write ${work}/motd` }]);
  assert.is(motd.reason, `${work}/motd: created`);
  assert.equal(ex['the share directory'].runs.map((x: any) => x.cmd), [`mkdir -p -- ${work}/share`, `chmod 0750 -- ${work}/share`]);
  assert.equal(ex.greeting.checked, [{ cmd: `ls -d ${work}/hi.txt`, found: 'nothing there' }]);
  assert.equal(ex.greeting.runs.map((x: any) => x.cmd), [`echo hi > ${work}/hi.txt`]);
  // each explanation comes just before the result it explains
  r.events.forEach((e, i) => {
    if (e.kind === 'explain') assert.ok(r.events[i + 1]?.kind === 'host_result' && r.events[i + 1].task === e.task, e.task);
  });
  assert.equal(readdirSync(work), [], 'check mode changed nothing');
});

test('the commands listed are the commands really run, and typed by hand they make the same files', async () => {
  // what --check says it would run, then the real run: the same commands, each ran with exit code 0
  clean();
  const check = byTask((await kvplay([pb, '-i', lab.inventory, '--check', '--explain'], { json: true })).events);
  const real = await kvplay([pb, '-i', lab.inventory, '--explain'], { json: true });
  assert.is(real.code, 0, real.stdout + real.stderr);
  const done = byTask(real.events);
  for (const task of ['motd', 'a line in app.conf', 'the share directory', 'greeting']) {
    assert.is(done[task].check, false);
    assert.equal(done[task].runs.map((x: any) => x.cmd), check[task].runs.map((x: any) => x.cmd), task);
    assert.ok(done[task].runs.length > 0 && done[task].runs.every((x: any) => x.rc === 0), task);
  }
  const byKvplay = tree(work);
  assert.is(byKvplay.motd[2], 'hello\nstudents\n');
  assert.is(byKvplay['app.conf'][2], 'port=2049\n');
  // a student types the listed commands (those of the tasks without secrets) into a shell
  clean();
  for (const task of ['motd', 'a line in app.conf', 'the share directory', 'greeting']) {
    for (const x of check[task].runs) execFileSync('/bin/sh', ['-c', x.cmd], { stdio: 'pipe' });
  }
  const byHand = tree(work);
  delete byKvplay['db.conf'];
  delete byKvplay['hidden.txt'];
  assert.equal(byHand, byKvplay);
  // run again: everything is as wanted, nothing runs, and the checks say what they found
  const again = byTask((await kvplay([pb, '-i', lab.inventory, '--explain'], { json: true })).events);
  assert.equal(again.motd.runs, []);
  assert.match(again.motd.checked[0].found, /^file 0640 root:root, 15 bytes, sha(1|256) [0-9a-f]{12}…$/);
  assert.equal(again.greeting.checked, [{ cmd: `ls -d ${work}/hi.txt`, found: 'exists' }]);
});

test('plain output: indented lines under the task; secrets and no_log tasks stay hidden (plain, --json, --report)', async () => {
  clean();
  const report = join(lab.dir, 'explain-report.json');
  const r = await kvplay([pb, '-i', lab.inventory, '--explain', '--report', report]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  const out = r.stdout;
  const motd = out.slice(out.indexOf('TASK [motd]'), out.indexOf('TASK [a line in app.conf]'));
  assert.match(motd, new RegExp(`\\nexplain \\[host1\\]:\\n  checked    ls -ld ${work}/motd\\n    found    missing\\n  runs       cat > ${work}/motd <<'EOF'\\n {13}hello\\n {13}students\\n {13}EOF\\n {13}chmod 0640 ${work}/motd\\n    why      write ${work}/motd\\n  reason     ${work}/motd: created\\nchanged: \\[host1\\]`));
  const json = await kvplay([pb, '-i', lab.inventory, '--explain'], { json: true });
  const all = out + r.stderr + json.stdout + json.stderr + readFileSync(report, 'utf8');
  assert.ok(readFileSync(join(work, 'db.conf'), 'utf8').includes(SECRET), 'the secret did reach the file');
  assert.not.ok(all.includes(SECRET), 'the secret shows in the explanation');
  assert.match(out, /cat > \S+\/db\.conf <<'EOF'\n {13}password=\*{8}\n/);
  assert.not.ok(all.includes('hidden-content-42'), 'a no_log task shows its content');
  const hidden = byTask(json.events)['hidden task'];
  assert.equal(hidden.runs, []);
  assert.is(hidden.censored, true);
  const doc = JSON.parse(readFileSync(report, 'utf8'));
  const t = doc.tasks.find((x: any) => x.name === 'motd');
  assert.is(t.results.host1.explain[0].runs[0].why, `write ${work}/motd`);
});

test('without --explain: no explain events, the same output as before', async () => {
  clean();
  const r = await kvplay([pb, '-i', lab.inventory, '--check'], { json: true });
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.is(explains(r.events).length, 0);
  const plain = await kvplay([pb, '-i', lab.inventory, '--check']);
  assert.not.match(plain.stdout, /explain|would run/);
  assert.ok(!existsSync(join(work, 'motd')));
});

test.run();
