/**
 * migrate: LIVE migration of a running guest from this host to `target`
 * (`virsh migrate --live --persistent --undefinesource NAME qemu+ssh://TARGET/system`).
 *
 *   1. where is it: running on the target and not on this host -> ok (idempotent)
 *   2. preflight (virt/preflight.ts), nothing moves unless all pass: SSH trust, libvirt on the
 *      target, no domain of that name there, arch/64-bit, CPU vendor, NX flag, the guest's CPU
 *      (hypervisor-cpu-compare), memory, bridges, networks, pools, disk/boot/log paths, shared
 *      storage really shared (a nonce file written here is looked for there). Check mode stops here.
 *   3. max_downtime set, the probe (background ping of probe_address) started, then
 *      `virsh migrate` DETACHED on this host: a polling step (src/engine/steps.ts) reads
 *      `virsh domjobinfo` for the progress bar (data remaining, rate, pass); after `timeout`
 *      seconds the engine aborts the job (`virsh domjobabort`).
 *   4. verify: the guest must run on the target and be gone (or shut off) here; libvirt's
 *      measured downtime and total time come from the target's completed job, the probe's
 *      longest gap from the ping log. On failure the guest is left (resumed if paused) on this
 *      host and the error names the failed step and the remedy.
 * Facts: src/facts/virsh.ts (location), virt/migfacts.ts (preflight); plan: virt/migplan.ts (pure, tested from recorded output).
 * Runs on the SOURCE host; the target is reached through root's SSH trust (as qemu+ssh is).
 */
import type { Module } from '../engine/module/types.js';
import { bool, num, object, str, strEnum, typed, type Static } from '../engine/module/schema.js';
import { guestMoveProps, preflightWhen } from './virt/migfacts.js';
import { judgeMigrate, migrateOptions, migrateResult, needsPreflight, planMigrate, type MigrateFacts } from './virt/migplan.js';
import { locationFact, type Location } from '../facts/virsh.js';

const schema = object(
  {
    ...guestMoveProps,
    target_uri: str('libvirt URI of the target (default qemu+ssh://TARGET/system).'),
    persistent: bool('Define the guest on the target (--persistent). Default true.', true),
    undefine_source: bool('Undefine it on this host afterwards (--undefinesource). Default true; false leaves it shut off here.', true),
    auto_converge: bool('Throttle the guest\'s vCPUs when memory copying does not converge (--auto-converge).', false),
    postcopy: bool('Switch to post-copy after the first pass (--postcopy --postcopy-after-precopy): always converges, but a network failure then loses the guest.', false),
    compressed: bool('Compress repeated memory pages (--compressed, XBZRLE).', false),
    max_downtime: num('Longest pause allowed for the final switch, in ms (virsh migrate-setmaxdowntime; QEMU default 300).', { minimum: 1 }),
    bandwidth: num('Bandwidth limit in MiB/s (--bandwidth).', { minimum: 1 }),
    timeout: num('Seconds before timeout_action is taken (default: none).', { minimum: 1 }),
    timeout_action: strEnum(['abort', 'suspend', 'postcopy'], 'abort (default: cancel the job, the guest stays on this host), suspend (pause the guest to finish: --timeout-suspend), postcopy (--timeout-postcopy, needs postcopy).'),
    copy_storage: typed<boolean | 'all' | 'inc'>({ type: ['boolean', 'string'], enum: [true, false, 'all', 'inc'], description: 'Copy non-shared disks too (true/all: --copy-storage-all, inc: --copy-storage-inc). The target needs the same pool path.' }),
    unsafe: bool('Pass --unsafe: ONLY where libvirt cannot see that the storage is shared (the lab\'s sshfs share); the preflight checks it really is.', false),
    probe_address: str("The guest's address: pinged from this host during the migration to measure the gap."),
    probe_interval: num('Seconds between probe pings (default 0.2).', { minimum: 0.01 }),
    poll_interval: num('Seconds between progress polls (default 0.5).', { minimum: 0.1 }),
  },
  { required: ['name', 'target'] },
);

export type MigrateParams = Static<typeof schema>;

export const migrate: Module<MigrateParams, MigrateFacts> = {
  name: 'migrate',
  doc: 'Live-migrate a running guest from this host to target over qemu+ssh, after a preflight; progress bar, measured downtime and probe gap; idempotent.',
  schema,
  facts: (p) => ({ loc: locationFact(p.name, p.target) }),
  moreFacts: (p, f, ctx) =>
    preflightWhen(needsPreflight(f.loc), p.name, f.loc, ctx.host, p.target, () => {
      const o = migrateOptions(p);
      return { mode: 'live', copyStorage: !!o.copyStorage, unsafe: o.unsafe };
    }),
  plan: (p, f, ctx) => planMigrate(p, f, ctx),
  verify: {
    facts: (p) => ({ after: locationFact(p.name, p.target, { xml: false, jobUri: migrateOptions(p).uri }) }),
    judge: (p, _f, after, results, ctx) => judgeMigrate(p, ctx.host, after.after as Location, results),
  },
  result: (p, _f, results, ctx, after) => migrateResult(p, ctx.host, results, after?.after as Location | undefined),
};
