/** package: install, upgrade or remove OS packages with apt (Debian family) or dnf/yum (RedHat family). */
import type { Module, ModuleCtx, Plan, Step } from '../engine/module/types.js';
import { bool, int, object, strEnum, type Static, typed } from '../engine/module/schema.js';
import { gatheredOs } from '../facts/os.js';
import { installCmd, pkgCheck, policyExplain, removeCmd, updateCacheCmd, upgradeCmd } from './lib/pkg.js';
import { chooseMgr, parsePkgFacts, pkgFactCmd, type PkgFacts, type PkgMgr } from '../facts/packages.js';

export type PackageParams = Static<typeof schema>;

type Facts = { pkg: PkgFacts };

export function pkgNames(p: PackageParams): string[] {
  const raw = Array.isArray(p.name) ? p.name : String(p.name).split(',');
  const names = raw.map((n) => String(n).trim()).filter(Boolean);
  if (!names.length) throw new Error('name: no package given');
  for (const n of names) if (!/^[A-Za-z0-9][A-Za-z0-9+._:@-]*$/.test(n)) throw new Error(`invalid package name '${n}'`);
  return names;
}

function mgrFor(p: PackageParams, ctx: ModuleCtx) {
  const os = gatheredOs(ctx);
  return chooseMgr(p.use, os?.pkg_mgr, os?.os_family);
}

/** Pure planning from facts. */
export function planPackage(p: PackageParams, f: PkgFacts, ctx: Pick<ModuleCtx, 'check'>): Plan {
  const names = pkgNames(p);
  const state = p.state === 'installed' ? 'present' : p.state === 'removed' ? 'absent' : p.state ?? 'present';
  if (f.mgr === 'unknown' || !f.mgr) throw new Error('no supported package manager found (apt-get, dnf or yum)');
  const mgr: PkgMgr = f.mgr;
  const opts = { installRecommends: p.install_recommends, policyRcD: p.policy_rc_d, purge: p.purge };
  // --explain: the command without its policy-rc.d wrapper, and the wrapper as what it does
  const plain = { ...opts, policyRcD: undefined };
  const explained = (inner: string) => {
    const e = mgr === 'apt' ? policyExplain(inner, opts.policyRcD, f.policyRcD) : undefined;
    return e ? { explain: e } : {};
  };
  const result = { package_manager: mgr, packages: names };
  const valid = p.cache_valid_time ?? 0;
  const stale = f.cacheAge === undefined || f.cacheAge > valid;
  // an explicit cache_valid_time asks for a fresh cache even when nothing is installed
  const wantUpdate = p.update_cache === true && p.cache_valid_time !== undefined && stale;
  const steps: Step[] = [];
  const what: string[] = [];
  const update = (why: string) => {
    if (steps.some((s) => s.desc === 'update package cache')) return;
    steps.unshift({ desc: 'update package cache', cmd: updateCacheCmd(mgr) });
    what.unshift(why);
  };
  if (state === 'absent') {
    const rm = names.filter((n) => f.pkgs[n]?.installed);
    if (wantUpdate) update(`cache older than ${valid}s: updated`);
    if (rm.length) {
      steps.push({ desc: `remove ${rm.join(' ')}`, cmd: removeCmd(mgr, rm, opts), ...explained(removeCmd(mgr, rm, plain)) });
      what.push(`removed: ${rm.join(', ')}`);
    }
  } else {
    const missing = names.filter((n) => !f.pkgs[n]?.installed);
    const upgrade = state === 'latest' ? names.filter((n) => f.pkgs[n]?.installed && f.pkgs[n]?.upgradable) : [];
    const needInstall = missing.length > 0 || upgrade.length > 0;
    if (wantUpdate) update(`cache older than ${valid}s: updated`);
    else if (needInstall && p.update_cache && (p.cache_valid_time === undefined || stale)) update('cache updated');
    else if (needInstall && f.listsEmpty) update('no package lists yet: cache updated');
    const refreshed = steps.length > 0;
    if (mgr === 'apt' && !refreshed) {
      const unknown = missing.filter((n) => !f.pkgs[n]?.known);
      if (unknown.length) {
        if (!ctx.check) throw new Error(`no package ${unknown.join(', ')} available in the apt cache (update_cache: true refreshes it)`);
      }
    }
    if (missing.length) {
      steps.push({ desc: `install ${missing.join(' ')}`, cmd: installCmd(mgr, missing, opts), ...explained(installCmd(mgr, missing, plain)) });
      what.push(`installed: ${missing.join(', ')}`);
    }
    if (upgrade.length) {
      steps.push({ desc: `upgrade ${upgrade.join(' ')}`, cmd: upgradeCmd(mgr, upgrade, opts), ...explained(upgradeCmd(mgr, upgrade, plain)) });
      what.push(`upgraded: ${upgrade.map((n) => `${n} ${f.pkgs[n].version} -> ${f.pkgs[n].candidate ?? 'newer'}`).join(', ')}`);
    }
  }
  if (!steps.length) {
    const why = state === 'absent' ? 'not installed' : state === 'latest' ? 'installed, latest version' : 'installed';
    return { kind: 'ok', reason: `${names.join(', ')}: ${why} (${mgr})`, result };
  }
  const diff = { path: `packages (${mgr})`, before: names.filter((n) => f.pkgs[n]?.installed).map((n) => `${n} ${f.pkgs[n].version}`).join('\n') + '\n', after: '' };
  diff.after = (state === 'absent' ? names.filter((n) => !f.pkgs[n]?.installed).map((n) => `${n} (absent)`) : names.map((n) => `${n}${state === 'latest' ? ' (latest)' : ''}`)).join('\n') + '\n';
  return { kind: 'change', reason: what.join('; '), steps, diff: [diff], result };
}

const schema = object(
  {
    name: typed<string | string[]>({ type: ['string', 'array'], items: { type: 'string' }, description: 'Package name, a comma-separated string or a list of names.' }),
    state: strEnum(['present', 'installed', 'latest', 'absent', 'removed'], 'present/installed (default): install when missing; latest: also upgrade; absent/removed: remove.'),
    update_cache: bool('Refresh the package cache (apt-get update / dnf makecache) before installing; without cache_valid_time only when something is to be installed.', false),
    cache_valid_time: int('With update_cache: refresh only when the cache is older than this many seconds (and then even when nothing is to be installed).', { minimum: 0 }),
    install_recommends: bool('apt: install recommended packages (default: apt configuration).'),
    policy_rc_d: int('apt: exit code of a temporary /usr/sbin/policy-rc.d while apt runs (101: installed services are not started by the package scripts).'),
    purge: bool('apt with state absent: purge configuration files too.', false),
    use: strEnum(['auto', 'apt', 'dnf', 'yum'], 'Package manager to use; auto (default) chooses from facts (pkg_mgr, os_family).'),
  },
  { required: ['name'] },
);

export const packageModule: Module<PackageParams, Facts> = {
  name: 'package',
  doc: 'Install, upgrade or remove OS packages: apt on the Debian family, dnf/yum on the RedHat family, chosen from facts.',
  notes: `Facts (one round trip): the package manager (from gathered \`pkg_mgr\`/\`os_family\`, else detected), installed state (\`dpkg-query\` / \`rpm -q\`), candidates (\`apt-cache policy\`; \`dnf check-update\` for latest), cache age. apt runs with \`DEBIAN_FRONTEND=noninteractive\` and keeps changed config files (\`--force-confold\`). Without \`cache_valid_time\`, \`update_cache\` refreshes only when something is to be installed, so a second run is \`ok\`; a host that has no package lists at all gets them before installing. An unknown package fails before anything runs (check mode predicts). Difference from Ansible: no version pins (\`name=1.2\`), no \`deb:\`; \`apt\`/\`dnf\`/\`yum\` are not aliases (their parameters differ).`,
  examples: `- package: {name: [nfs-ganesha, nfs-ganesha-vfs, rpcbind], update_cache: true, policy_rc_d: 101}
`,
  schema,
  facts: (p, ctx) => {
    const names = pkgNames(p);
    const latest = p.state === 'latest';
    return { pkg: { cmd: pkgFactCmd(mgrFor(p, ctx), names, latest), parse: (r) => parsePkgFacts(r.stdout, names), explain: (f) => pkgCheck(names, f as PkgFacts) } };
  },
  plan: (p, f, ctx) => planPackage(p, f.pkg, ctx),
};
