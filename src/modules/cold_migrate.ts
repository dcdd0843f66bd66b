/**
 * cold_migrate: move a guest with it shut off (procedure "cold (static) migration"):
 *   1. where is it (already defined on the target and gone here -> ok; start it if wanted)
 *   2. preflight (virt/preflight.ts, cold mode: no CPU/NX comparison, a fresh boot adapts)
 *   3. shut it down: graceful (ACPI) first, `virsh destroy` after shutdown_timeout
 *   4. copy each disk that is NOT on shared storage to the same path on the target
 *      (streamed over root's SSH trust; a polling step: progress from the growing file on the target)
 *   5. its XML (`dumpxml --inactive`) defined on the target, undefined here (disks kept)
 *   6. started on the target; `virsh list --all` on both hosts verifies it
 * Runs on the SOURCE host, like migrate. Facts: src/facts/virsh.ts (location), virt/migfacts.ts (preflight); plan: virt/coldplan.ts
 * (pure, tested from recorded output); the engine runs, polls and verifies (src/engine/steps.ts).
 */
import type { Module } from '../engine/module/types.js';
import { bool, num, object, strEnum, type Static } from '../engine/module/schema.js';
import { guestMoveProps, preflightWhen } from './virt/migfacts.js';
import { coldNeedsPreflight, coldResult, judgeCold, planCold, type ColdFacts } from './virt/coldplan.js';
import { locationFact, type Location } from '../facts/virsh.js';

const schema = object(
  {
    ...guestMoveProps,
    shutdown_timeout: num('Seconds to wait for a graceful shutdown before virsh destroy (default 60).', { minimum: 0 }),
    copy_storage: strEnum(['auto', 'never'], 'auto (default): copy the disks that are not on storage shared with the target (checked by the preflight); never: fail if a disk is not shared.'),
    start: bool('Start the guest on the target (default true).', true),
    undefine_source: bool('Undefine the guest on this host after defining it on the target (default true; disks are kept).', true),
  },
  { required: ['name', 'target'] },
);

export type ColdParams = Static<typeof schema>;

export const cold_migrate: Module<ColdParams, ColdFacts> = {
  name: 'cold_migrate',
  doc: 'Move a guest shut off: graceful shutdown (forced after a timeout), copy non-shared disks with progress, define on the target, start, verify.',
  schema,
  facts: (p) => ({ loc: locationFact(p.name, p.target, { inactiveXml: true }) }),
  moreFacts: (p, f, ctx) => preflightWhen(coldNeedsPreflight(f.loc), p.name, f.loc, ctx.host, p.target, () => ({ mode: 'cold', copyStorage: p.copy_storage !== 'never', unsafe: false })),
  plan: (p, f, ctx) => planCold(p, f, ctx),
  verify: {
    facts: (p) => ({ after: locationFact(p.name, p.target, { xml: false, lists: true }) }),
    judge: (p, f, after, results, ctx) => judgeCold(p, f, ctx.host, after.after as Location, results),
  },
  result: (p, f, results, ctx, after) => coldResult(p, f, ctx.host, results, after?.after as Location | undefined),
};
