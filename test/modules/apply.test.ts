import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyModule } from '../../src/engine/apply.js';
import { loadModule } from '../../src/engine/module/registry.js';
import type { Module } from '../../src/engine/module/types.js';
import type { ExecOptions, ExecResult, Transport, Become } from '../../src/transport/types.js';
import { InputError, UnreachableError } from '../../src/util/errors.js';
import { CountingTransport, makeCtx, rmDir, tempDir } from './helpers.js';
import { requires } from '../harness/gate.js';

/** sudo to nobody: root and sudo, elsewhere reported as skipped with the reason. */
const sudoTest = requires({ root: true, tools: ['sudo'] });

const stepsModule: Module<{ fail_at?: number; code?: number }> = {
  name: 'steps_test',
  doc: 'test module',
  schema: { type: 'object', properties: { fail_at: { type: 'integer' }, code: { type: 'integer' } }, additionalProperties: false },
  facts: () => ({ a: { cmd: 'echo A', parse: (r) => r.stdout.trim() }, b: { cmd: 'echo B', parse: (r) => r.stdout.trim() } }),
  plan: (p, facts: any) => ({
    kind: 'change',
    reason: `facts ${facts.a}${facts.b}`,
    steps: [1, 2, 3].map((i) => ({ desc: `step ${i}`, cmd: i === p.fail_at ? `echo out${i}; echo err${i} >&2; exit ${p.code ?? 1}` : `echo ${i}`, okCodes: [0, 5] })),
    result: { planned: true },
  }),
  result: (_p, _f, results) => ({ outputs: results.map((r) => r.stdout.trim()) }),
};

test('all facts in ONE execMany; steps in order; result()', async () => {
  const ctx = makeCtx();
  const t = ctx.transport as CountingTransport;
  const out = await applyModule(stepsModule, {}, ctx);
  assert.is(out.status, 'changed');
  assert.is(out.reason, 'facts AB');
  assert.is(t.manyCalls, 1);
  assert.equal(out.data.outputs, ['1', '2', '3']);
  assert.is(out.data.planned, true);
  assert.is(out.data.changed, true);
});

test('check mode runs facts but no step', async () => {
  const ctx = makeCtx({ check: true });
  const t = ctx.transport as CountingTransport;
  const out = await applyModule(stepsModule, {}, ctx);
  assert.is(out.status, 'changed');
  assert.is(t.execs.length, 0);
  assert.equal(out.data.outputs, []);
});

test('a failing step stops the rest: desc, rc, stderr in the reason; okCodes honoured', async () => {
  const ctx = makeCtx();
  const out = await applyModule(stepsModule, { fail_at: 2 }, ctx);
  assert.is(out.status, 'failed');
  assert.is(out.reason, 'step 2: rc=1: err2');
  assert.equal(out.data.outputs, ['1', 'out2']);
  assert.is(out.data.rc, 1);
  assert.is(out.data.failed, true);
  assert.is((ctx.transport as CountingTransport).execs.length, 2);
  const ok5 = await applyModule(stepsModule, { fail_at: 2, code: 5 }, makeCtx());
  assert.is(ok5.status, 'changed');
});

test('runtime validation failure is a failed outcome; coercion applies', async () => {
  const bad = await applyModule(stepsModule, { fail_at: 'x' } as any, makeCtx());
  assert.is(bad.status, 'failed');
  assert.match(bad.reason, /fail_at/);
  const coerced = await applyModule(stepsModule, { fail_at: '2' } as any, makeCtx());
  assert.is(coerced.reason, 'step 2: rc=1: err2');
});

test('InputError and UnreachableError propagate; other exceptions fail the host', async () => {
  const thrower = (e: Error): Module => ({ name: 't', doc: 't', schema: { type: 'object', additionalProperties: false }, prepare: () => { throw e; }, plan: () => ({ kind: 'ok', reason: '' }) });
  try {
    await applyModule(thrower(new InputError('bad input', undefined)), {}, makeCtx());
    assert.unreachable();
  } catch (e) { assert.instance(e, InputError); }
  try {
    await applyModule(thrower(new UnreachableError('gone')), {}, makeCtx());
    assert.unreachable();
  } catch (e) { assert.instance(e, UnreachableError); }
  const f = await applyModule(thrower(new Error('boom')), {}, makeCtx());
  assert.is(f.status, 'failed');
  assert.is(f.reason, 'boom');
});

test('become travels to execMany and every step', async () => {
  const seen: (Become | null | undefined)[] = [];
  const t: Transport = {
    name: 'fake',
    connect: async () => {},
    close: async () => {},
    exec: async (_c: string, o?: ExecOptions): Promise<ExecResult> => { seen.push(o?.become); return { code: 0, stdout: '', stderr: '' }; },
    execMany: async (cmds: string[], o?: { become?: Become | null }) => { seen.push(o?.become); return cmds.map(() => ({ code: 0, stdout: 'x', stderr: '' })); },
  };
  const become = { user: 'root' };
  await applyModule(stepsModule, {}, makeCtx({ transport: t, become }));
  assert.is(seen.length, 4);
  assert.ok(seen.every((b) => b === become));
});

test('real modules: copy with src reads two facts in one round trip', async () => {
  const d = tempDir();
  try {
    const src = join(d, 's');
    writeFileSync(src, 'x');
    const ctx = makeCtx();
    mkdirSync(join(d, 'out'));
    const out = await applyModule((await loadModule('copy'))!, { src, dest: join(d, 'out') }, ctx);
    assert.is(out.status, 'changed', out.reason);
    assert.is((ctx.transport as CountingTransport).manyCalls, 1);
    assert.is((ctx.transport as CountingTransport).execs.length, 1, 'one write step');
  } finally { rmDir(d); }
});

sudoTest('become (sudo to nobody, root only): facts and steps run as that user', async () => {
  const d = tempDir();
  try {
    chmodSync(d, 0o777);
    const f = join(d, 'mine');
    const out = await applyModule((await loadModule('copy'))!, { dest: f, content: 'x' }, makeCtx({ become: { user: 'nobody' } }));
    assert.is(out.status, 'changed', out.reason);
    assert.is(statSync(f).uid, 65534);
    const secret = join(d, 'secret');
    writeFileSync(secret, 'root only\n', { mode: 0o600 });
    const denied = await applyModule((await loadModule('lineinfile'))!, { path: secret, line: 'x' }, makeCtx({ become: { user: 'nobody' } }));
    assert.is(denied.status, 'failed');
    assert.match(denied.reason, /cannot read .*secret.*Permission denied/);
  } finally { rmDir(d); }
});

test('action modules: ok/changed/failed/setVars mapping', async () => {
  const out = await applyModule((await loadModule('set_fact'))!, { x: 1 }, makeCtx());
  assert.equal(out.setVars, { x: 1 });
  assert.is(out.data.changed, false);
  const f = await applyModule((await loadModule('fail'))!, {}, makeCtx());
  assert.is(f.status, 'failed');
  assert.is(f.data.msg, 'Failed as requested from task');
});

test.run();
