/**
 * dnf / yum: Ansible's RedHat-family package modules under their names, planned like the package
 * module (src/modules/package.ts: ONE `rpm -q` for the whole list, `dnf check-update` for latest).
 * Only the common parameters; kvplay's tests run on Debian-family hosts only (the rpm side is
 * tested from recorded output).
 */
import type { Fact, Module, ModuleCtx, Plan } from '../engine/module/types.js';
import { bool, int, object, strEnum, strOrList, type Static } from '../engine/module/schema.js';
import { pkgCheck, updateCacheCmd } from './lib/pkg.js';
import { parsePkgFacts, pkgFactCmd, type PkgFacts } from '../facts/packages.js';
import { planPackage, type PackageParams } from './package.js';

export type DnfParams = Static<ReturnType<typeof schemaFor>>;

const namesOf = (p: DnfParams): string[] => {
  const raw = p.name;
  return raw === undefined ? [] : (Array.isArray(raw) ? raw : String(raw).split(',')).map((n) => String(n).trim()).filter(Boolean);
};

/** Pure planning (the package module's, with Ansible's dnf results). */
export function planDnf(mgr: 'dnf' | 'yum', p: DnfParams, f: PkgFacts | undefined, ctx: Pick<ModuleCtx, 'check'>): Plan {
  const names = namesOf(p);
  const refresh = !!p.update_cache;
  if (!names.length) {
    // as Ansible: refreshing the metadata alone is not a change
    if (!refresh) return { kind: 'ok', reason: 'nothing to do', result: { msg: 'Nothing to do', rc: 0, results: [] } };
    return { kind: 'change', reason: 'metadata cache refreshed', steps: [{ desc: 'update package cache', cmd: updateCacheCmd(mgr) }], changed: false, result: { msg: 'Cache updated', rc: 0, results: [] } };
  }
  const pp: PackageParams = { name: names, state: p.state, update_cache: refresh, use: mgr };
  const plan = planPackage(pp, { ...f!, mgr: f?.mgr === 'unknown' ? 'unknown' : mgr }, ctx);
  const installed = names.filter((n) => f?.pkgs[n]?.installed);
  const absent = p.state === 'absent' || p.state === 'removed';
  const results = plan.kind === 'ok' ? [] : absent ? installed.map((n) => `Removed: ${n}`) : names.filter((n) => !installed.includes(n) || p.state === 'latest').map((n) => `Installed: ${n}`);
  return { ...plan, result: { msg: plan.kind === 'ok' ? 'Nothing to do' : '', rc: 0, results } };
}

const schemaFor = (mgr: 'dnf' | 'yum') =>
  object(
      {
        name: strOrList('Package names: a list or a comma-separated string.', { aliases: ['pkg'] }),
        state: strEnum(['present', 'installed', 'latest', 'absent', 'removed'], 'present/installed (default): install when missing; latest: also upgrade; absent/removed: remove.'),
        update_cache: bool(`Refresh the metadata (${mgr} makecache) first; alone it is not a change.`, undefined, { aliases: ['expire-cache'] }),
        lock_timeout: int('Accepted.'),
      },
      { anyOf: [{ required: ['name'] }, { required: ['update_cache'] }] },
    );

function pkgModule(mgr: 'dnf' | 'yum'): Module<DnfParams, { pkg?: PkgFacts }> {
  return {
    name: mgr,
    reasonIsMsg: false,
    doc: `Ansible's ${mgr}: install, upgrade or remove RedHat-family packages (name, state, update_cache), planned from rpm -q.`,
    schema: schemaFor(mgr),
    facts: (p): Record<string, Fact<unknown>> => {
      const n = namesOf(p);
      if (!n.length) return {};
      return { pkg: { cmd: pkgFactCmd(mgr, n, p.state === 'latest'), parse: (r) => parsePkgFacts(r.stdout, n), explain: (f) => pkgCheck(n, f as PkgFacts) } };
    },
    plan: (p, f, ctx) => planDnf(mgr, p, f.pkg, ctx),
  };
}

export const dnf = pkgModule('dnf');
export const yum = pkgModule('yum');
