/**
 * cold_migrate: move a guest with it shut off (procedure "cold (static) migration"):
 *   1. where is it (already defined on the target and gone here -> ok; start it if wanted)
 *   2. preflight (virt/preflight.ts, cold mode: no CPU/NX comparison, a fresh boot adapts)
 *   3. shut it down: graceful (ACPI) first, `virsh destroy` after shutdown_timeout
 *   4. copy each disk that is NOT on shared storage to the same path on the target
 *      (streamed over root's SSH trust, progress from the growing file on the target)
 *   5. its XML (`dumpxml --inactive`) defined on the target, undefined here (disks kept)
 *   6. started on the target; `virsh list --all` on both hosts verifies it
 * Runs on the SOURCE host, like migrate.
 */
import { q } from '../util/quote.js';
import type { ActionResult, Module, ModuleCtx } from './types.js';
import { bool, num, object, str, strEnum } from './util/schema.js';
import { parseDomain } from './virt/domxml.js';
import { shutdownScript, sshTo } from './virt/ops.js';
import { explainLocation, explainPreflight, shutdownExplain } from './virt/explain.js';
import { locate, ON, run, runPreflight, sleep, sshTrustError, type RunCtx } from './virt/remote.js';
import { fmtBytes, virshError } from './virt/virsh.js';

export interface ColdParams {
  name: string;
  target: string;
  shutdown_timeout?: number;
  copy_storage?: 'auto' | 'never';
  start?: boolean;
  undefine_source?: boolean;
}

const fail = (msg: string, data: Record<string, unknown> = {}): ActionResult => ({ changed: false, failed: true, msg, data });

/** Copy one file to the same path on the target, with progress; the copy appears atomically. */
async function copyDisk(c: RunCtx, ctx: ModuleCtx, path: string, target: string, index: number, count: number): Promise<string | undefined> {
  const size = Number((await run(c, `stat -c %s ${q(path)}`)).stdout.trim());
  const part = `${path}.kvplay-part`;
  const remote = `cat > ${q(part)} && mv -f ${q(part)} ${q(path)}`;
  const st = await run(c, [
    'd=$(mktemp -d /tmp/kvplay-copy-XXXXXX) || exit 1',
    `setsid sh -c ${q(`dd if=${q(path)} bs=4M status=none | ${sshTo(target)} ${q(remote)}; echo $? > "$1/rc"`)} sh "$d" > /dev/null 2>&1 < /dev/null &`,
    'echo "$d"',
  ].join('\n'));
  const dir = st.stdout.trim().split('\n')[0];
  if (st.code !== 0 || !dir) return `could not start copying ${path}: ${st.stderr.trim()}`;
  try {
    for (;;) {
      const r = await run(c, `cat ${q(dir + '/rc')} 2>/dev/null || { echo running; ${sshTo(target)} stat -c %s ${q(part)} 2>/dev/null; }`);
      const lines = r.stdout.trim().split('\n');
      if (lines[0] !== 'running') {
        if (lines[0] !== '0') return `copying ${path} to ${target} failed (rc ${lines[0]})`;
        return undefined;
      }
      const done = Number(lines[1] ?? 0);
      ctx.progress(`copying disk ${index + 1}/${count} ${path}: ${fmtBytes(done)} of ${fmtBytes(size)}`, size > 0 ? (index + Math.min(1, done / size)) / count : undefined);
      await sleep(500);
    }
  } finally {
    await run(c, `rm -rf ${q(dir)}`);
  }
}

async function listBoth(c: RunCtx, target: string) {
  const a = await run(c, 'virsh list --all');
  const b = await run(c, `${sshTo(target)} virsh list --all`);
  return { source: a.stdout.trim(), target: b.stdout.trim() };
}

async function coldAction(p: ColdParams, ctx: ModuleCtx): Promise<ActionResult> {
  const c: RunCtx = { t: ctx.transport, become: ctx.become };
  const src = ctx.host;
  const T = p.target;
  const n = q(p.name);
  const start = p.start !== false;
  const t0 = Date.now();
  const secs = (ms: number) => Math.round(ms / 100) / 10;
  const guess = (why: string): ActionResult => ({ changed: true, msg: `would move ${p.name} cold ${src} -> ${T} (check mode: ${why}; assuming earlier tasks of this run set it up)` });
  let loc;
  try {
    loc = await locate(c, p.name, T, { inactiveXml: true });
  } catch (e) {
    if (ctx.check) return guess((e as Error).message);
    throw e;
  }
  explainLocation(ctx.explain, p.name, T, loc);
  if (ctx.check && loc.sshError !== undefined) return guess(`no SSH trust to ${T} yet`);
  if (loc.sshError !== undefined) return fail(`preflight failed, nothing was moved: ${sshTrustError(src, T, loc.sshError)}`, { step: 'preflight' });
  if (loc.here === null) {
    if (loc.there === undefined || loc.there === null) return fail(`domain ${p.name} is defined neither on ${src} nor on ${T}`, { step: 'locate' });
    if (!start || ON.includes(loc.there)) return { changed: false, msg: `${p.name} is already on ${T} (${loc.there})`, data: { name: p.name, source: src, target: T, migrated: false } };
    if (ctx.check) return { changed: true, msg: `would start ${p.name} on ${T}` };
    const r = await run(c, `${sshTo(T)} virsh start ${n}`);
    if (r.code !== 0) return fail(`starting ${p.name} on ${T} failed: ${virshError(r.stdout + r.stderr)}`, { step: 'start' });
    return { changed: true, msg: `${p.name} was already defined on ${T}: started it there`, data: { name: p.name, source: src, target: T, migrated: false, started: true, list: await listBoth(c, T) } };
  }
  if (!loc.xml) return fail(`cannot read the XML of ${p.name} on ${src}`, { step: 'locate' });
  const g = parseDomain(loc.xml, `XML of ${p.name}`);
  ctx.progress(`preflight ${src} -> ${T}`, 0);
  const pf = await runPreflight(c, p.name, g, src, T, { mode: 'cold', copyStorage: p.copy_storage !== 'never', unsafe: false });
  const toCopy = pf.toCopy;
  const pfData = { errors: pf.errors, notes: pf.notes, shared_disks: pf.shared, disks_to_copy: toCopy };
  explainPreflight(ctx.explain, p.name, T, pf, false);
  if (ctx.explain && !pf.errors.length) {
    const say = ctx.explain;
    if (loc.here !== 'shut off') say.run(shutdownExplain(p.name, p.shutdown_timeout ?? 60), `shut ${p.name} down on ${src}`);
    for (const d of toCopy) say.run(`dd if=${q(d)} bs=4M | ssh root@${q(T)} "cat > ${q(d)}"`, `copy the disk (not on shared storage) to the same path on ${T}`);
    say.run(`virsh dumpxml --inactive ${n} > /tmp/${q(p.name)}.xml\nscp /tmp/${q(p.name)}.xml root@${q(T)}:/tmp/ && ssh root@${q(T)} virsh define /tmp/${q(p.name)}.xml`, `define ${p.name} on ${T} with the same XML`);
    if (p.undefine_source !== false) say.run(`virsh undefine ${n}`, `undefine it on ${src} (its disks are kept)`);
    if (start) say.run(`ssh root@${q(T)} virsh start ${n}`, `start it on ${T}`);
    say.run(`virsh list --all; ssh root@${q(T)} virsh list --all`, 'verify on both hosts');
  }
  if (pf.errors.length) return fail(`preflight failed, nothing was moved (${p.name} still ${loc.here} on ${src}):\n  - ${pf.errors.join('\n  - ')}`, { step: 'preflight', preflight: pfData });
  if (ctx.check) return { changed: true, msg: `would move ${p.name} cold ${src} -> ${T}${toCopy.length ? ` copying ${toCopy.join(', ')}` : ' (shared storage: only the XML moves)'}`, data: { preflight: pfData } };

  // 3. shut down
  let shutdown = 'was shut off';
  const tDown = Date.now();
  if (loc.here !== 'shut off') {
    ctx.progress(`shutting down ${p.name} on ${src}`, 0.1);
    const r = await run(c, shutdownScript(p.name, p.shutdown_timeout ?? 60));
    if (r.code !== 0) return fail(`shutting down ${p.name} on ${src} failed: ${virshError(r.stdout + r.stderr)}`, { step: 'shutdown' });
    shutdown = r.stdout.trim().split('\n').pop() ?? 'shut down';
  }
  const shutdownS = secs(Date.now() - tDown);
  // 4. disks
  const tCopy = Date.now();
  for (const [i, d] of toCopy.entries()) {
    const err = await copyDisk(c, ctx, d, T, i, toCopy.length);
    if (err) return fail(`${err}. ${p.name} is shut off on ${src}, nothing was defined on ${T}: fix it and re-run, or start it again on ${src} (virsh start ${p.name})`, { step: 'copy disk', preflight: pfData });
  }
  const copyS = secs(Date.now() - tCopy);
  // 5. XML: define there, undefine here
  const xml = (await run(c, `virsh dumpxml --inactive ${n}`)).stdout;
  const def = await run(c, `${sshTo(T)} ${q('t=$(mktemp) || exit 1; cat > "$t"; virsh define "$t"; rc=$?; rm -f "$t"; exit $rc')}`, xml);
  if (def.code !== 0) return fail(`defining ${p.name} on ${T} failed: ${virshError(def.stdout + def.stderr)}. ${p.name} is shut off on ${src} (virsh start ${p.name} there to undo)`, { step: 'define on target' });
  if (p.undefine_source !== false) {
    const u = await run(c, `virsh undefine ${n}`);
    if (u.code !== 0) return fail(`${p.name} is defined on ${T} but undefining it on ${src} failed: ${virshError(u.stdout + u.stderr)}`, { step: 'undefine on source' });
  }
  // 6. start and verify
  let startedS: number | null = null;
  if (start) {
    ctx.progress(`starting ${p.name} on ${T}`, 0.9);
    const r = await run(c, `${sshTo(T)} virsh start ${n}`);
    if (r.code !== 0) return fail(`${p.name} is defined on ${T} but did not start: ${virshError(r.stdout + r.stderr)}`, { step: 'start on target' });
    startedS = secs(Date.now() - tDown);
  }
  const list = await listBoth(c, T);
  const after = await locate(c, p.name, T);
  const wantThere = start ? 'running' : 'shut off';
  if (after.there !== wantThere) return fail(`${p.name} is ${after.there ?? 'not defined'} on ${T} after the move (wanted ${wantThere})`, { step: 'verify', list });
  const timing = { total_s: secs(Date.now() - t0), shutdown_s: shutdownS, copy_s: copyS, off_for_s: startedS };
  return {
    changed: true,
    msg: `${p.name} moved cold ${src} -> ${T} in ${timing.total_s} s (shutdown: ${shutdown}; ${toCopy.length ? `copied ${toCopy.length} disk(s) in ${copyS} s` : 'shared storage: only the XML moved'}${start ? `; off for ${startedS} s; running on ${T}` : `; defined, shut off on ${T}`}; ${after.here === null ? 'undefined' : after.here} on ${src})`,
    data: { name: p.name, source: src, target: T, migrated: true, timing, shutdown, copied: toCopy, preflight: pfData, list, source_state: after.here ?? 'undefined', target_state: after.there },
  };
}

export const cold_migrate: Module<ColdParams> = {
  name: 'cold_migrate',
  doc: 'Move a guest shut off: graceful shutdown (forced after a timeout), copy non-shared disks with progress, define on the target, start, verify.',
  schema: object(
    {
      name: str('Domain name.'),
      target: str('Target KVM host, as root on this host reaches it by SSH.'),
      shutdown_timeout: num('Seconds to wait for a graceful shutdown before virsh destroy (default 60).', { minimum: 0 }),
      copy_storage: strEnum(['auto', 'never'], 'auto (default): copy the disks that are not on storage shared with the target (checked by the preflight); never: fail if a disk is not shared.'),
      start: bool('Start the guest on the target (default true).', true),
      undefine_source: bool('Undefine the guest on this host after defining it on the target (default true; disks are kept).', true),
    },
    { required: ['name', 'target'] },
  ),
  action: coldAction,
};
