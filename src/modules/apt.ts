/**
 * apt: Ansible's apt module (Debian family) with its parameters and results, planned from the
 * package facts (src/facts/packages.ts: ONE dpkg-query + apt-cache policy for the whole
 * list, the cache's age) plus, where only apt itself can tell (build-dep, upgrade, autoremove,
 * autoclean), its own simulation (`apt-get -s`), so check mode predicts exactly.
 * As Ansible: update_cache refreshes whenever the cache is older than cache_valid_time (default 0:
 * always), and that alone reports changed only when no package is named.
 */
import type { ExecResult } from '../transport/types.js';
import type { Fact, Module, ModuleCtx, Plan, Step } from '../engine/module/types.js';
import { bool, int, object, str, strEnum, type Static, typed } from '../engine/module/schema.js';
import { sectionScript, sectionsOf, type Section } from '../facts/sections.js';
import { aptGetCmd, pkgCheck, updateCacheCmd } from './lib/pkg.js';
import { parsePkgFacts, pkgFactCmd, type PkgFacts } from '../facts/packages.js';

export type AptParams = Static<typeof schema>;

/** The parameters after Ansible's aliases. */
export interface AptOpts {
  names: string[];
  state: 'present' | 'absent' | 'latest' | 'fixed' | 'build-dep';
  updateCache: boolean;
  validTime: number;
  purge: boolean;
  release?: string;
  recommends?: boolean;
  force: boolean;
  clean: boolean;
  unauth: boolean;
  downgrade: boolean;
  held: boolean;
  upgrade?: 'yes' | 'safe' | 'full' | 'dist';
  dpkgOptions: string[];
  autoremove: boolean;
  autoclean: boolean;
  policyRcD?: number;
  onlyUpgrade: boolean;
  noRemove: boolean;
}

export function aptOpts(p: AptParams): AptOpts {
  const raw = p.name;
  // Ansible's list type: a comma-separated string is a list
  const names = raw === undefined ? [] : (Array.isArray(raw) ? raw : String(raw).split(',')).map((n) => String(n).trim()).filter(Boolean);
  const up = p.upgrade === true ? 'yes' : p.upgrade === false || p.upgrade === 'no' ? undefined : p.upgrade;
  if (p.deb !== undefined) throw new Error('deb: installing a .deb file is not supported by kvplay (copy it and use command: dpkg -i, or name the package from a repository)');
  for (const n of names) {
    if (/[*?[\]!]/.test(n.split(/>?=/)[0]) && n !== '*') throw new Error(`name: package name patterns ('${n}') are not supported by kvplay: name the packages`);
    if (/>=/.test(n)) throw new Error(`name: version comparisons ('${n}') are not supported by kvplay: pin an exact version with NAME=VERSION`);
    if ((n.match(/=/g) ?? []).length > 1) throw new Error(`invalid package spec: ${n}`);
  }
  return {
    names,
    state: p.state ?? 'present',
    updateCache: !!p.update_cache,
    validTime: p.cache_valid_time ?? 0,
    purge: !!p.purge,
    release: p.default_release,
    recommends: p.install_recommends,
    force: !!p.force,
    clean: !!p.clean,
    unauth: !!p.allow_unauthenticated,
    downgrade: !!p.allow_downgrade,
    held: !!p.allow_change_held_packages,
    upgrade: up,
    dpkgOptions: (p.dpkg_options ?? 'force-confdef,force-confold').split(',').map((x) => x.trim()).filter(Boolean),
    autoremove: !!p.autoremove,
    autoclean: !!p.autoclean,
    policyRcD: p.policy_rc_d,
    onlyUpgrade: !!p.only_upgrade,
    noRemove: !!p.fail_on_autoremove,
  };
}

/** NAME or NAME=VERSION (VERSION may be a glob, as Ansible's fnmatch). */
export function splitSpec(spec: string): { name: string; version?: string } {
  const i = spec.indexOf('=');
  return i < 0 ? { name: spec } : { name: spec.slice(0, i), version: spec.slice(i + 1) };
}

/** Python fnmatch on a version string. */
export function versionMatches(version: string, pattern: string): boolean {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        const body = pattern.slice(i + 1, end);
        re += `[${body[0] === '!' ? '^' + body.slice(1) : body}]`.replace(/\\/g, '\\\\');
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's').test(version);
}

/** What a simulation (`apt-get -s`) says: nothing to do? (Ansible's APT_GET_ZERO / cleanup strings) */
export function simulationChanges(out: string, what: 'install' | 'autoremove' | 'autoclean'): boolean {
  if (what === 'autoremove') return out.includes('The following packages will be REMOVED');
  if (what === 'autoclean') return /^Del /m.test(out);
  return !out.includes('\n0 upgraded, 0 newly installed') && !out.startsWith('0 upgraded, 0 newly installed');
}

export interface AptFacts {
  pkg?: PkgFacts;
  /** `apt-get -s …` of build-dep / upgrade / autoremove / autoclean: its output (stderr merged) and exit code */
  sim?: Section;
  /** stamp: mtime (epoch s) of the cache stamp, as Ansible's get_updated_cache_time (0: none); now: the host's clock */
  stamp: { stamp: number; now: number };
}

const STAMP_CMD = 'for f in /var/lib/apt/periodic/update-success-stamp /var/lib/apt/lists; do if [ -e "$f" ]; then stat -c %Y "$f"; break; fi; done; echo; date +%s';

export function parseStamp(out: string): { stamp: number; now: number } {
  const nums = out.split('\n').map((l) => l.trim());
  return { stamp: Number(nums[0]) || 0, now: Number(nums[nums.length - 1] || nums[nums.length - 2]) || 0 };
}

function baseFlags(o: AptOpts): string[] {
  return [...(o.force ? ['--force-yes'] : []), ...(o.noRemove ? ['--no-remove'] : []), ...(o.unauth ? ['--allow-unauthenticated'] : []), ...(o.downgrade ? ['--allow-downgrades'] : [])];
}

/** The simulation a plan needs (or undefined): the same apt-get command with -s. */
export function simCommand(o: AptOpts): { verb: string; args: string[]; flags: string[]; what: 'install' | 'autoremove' | 'autoclean' } | undefined {
  const rel = o.release ? ['-t', o.release] : [];
  if (o.upgrade) {
    const verb = o.upgrade === 'dist' || o.upgrade === 'full' ? 'dist-upgrade' : 'upgrade';
    return { verb, args: [], flags: [...baseFlags(o), ...(verb === 'upgrade' ? ['--with-new-pkgs'] : []), ...(o.autoremove ? ['--auto-remove'] : []), ...rel], what: 'install' };
  }
  if (o.names.length === 1 && o.names[0] === '*' && o.state === 'latest') return { verb: 'upgrade', args: [], flags: [...baseFlags(o), '--with-new-pkgs', ...rel], what: 'install' };
  if (o.state === 'build-dep' && o.names.length) return { verb: 'build-dep', args: o.names, flags: [...baseFlags(o), ...rel], what: 'install' };
  if (!o.names.length && o.autoclean) return { verb: 'autoclean', args: [], flags: [...(o.purge ? ['--purge'] : []), ...(o.force ? ['--force-yes'] : [])], what: 'autoclean' };
  if (!o.names.length && o.autoremove) return { verb: 'autoremove', args: [], flags: [...(o.purge ? ['--purge'] : []), ...(o.force ? ['--force-yes'] : [])], what: 'autoremove' };
  return undefined;
}

export function aptFacts(p: AptParams): Record<string, Fact<unknown>> {
  const o = aptOpts(p);
  const names = o.names.filter((n) => n !== '*').map((n) => splitSpec(n).name);
  const facts: Record<string, Fact<unknown>> = {
    stamp: { cmd: STAMP_CMD, parse: (r: ExecResult) => parseStamp(r.stdout) },
  };
  if (names.length && o.state !== 'build-dep' && !o.upgrade) {
    facts.pkg = { cmd: pkgFactCmd('apt', names, o.state === 'latest'), parse: (r) => parsePkgFacts(r.stdout, names), explain: (f) => pkgCheck(names, f as PkgFacts) };
  }
  const sim = simCommand(o);
  if (sim) {
    const cmd = aptGetCmd(sim.verb, sim.args, { dpkgOptions: o.dpkgOptions, flags: ['-s', ...sim.flags] }).replace(/ -y -q /, ' -q ');
    facts.sim = { cmd: sectionScript([['sim', cmd]]), parse: (r) => sectionsOf(r, 'apt-get simulation').sim };
  }
  return facts;
}

/** Pure planning from the facts (the fact values, as aptFacts parses them). */
export function planApt(p: AptParams, f: AptFacts, _ctx?: Pick<ModuleCtx, 'check'>): Plan {
  const o = aptOpts(p);
  const steps: Step[] = [];
  const what: string[] = [];
  const policy = { dpkgOptions: o.dpkgOptions, policyRcD: o.policyRcD };
  const rel = o.release ? ['-t', o.release] : [];
  let cacheUpdated = false;
  if (o.clean) {
    steps.push({ desc: 'apt-get clean', cmd: 'apt-get clean' });
    what.push('package cache cleaned');
  }
  if ((o.updateCache || o.validTime) && !(f.stamp.stamp + o.validTime >= f.stamp.now)) {
    steps.push({ desc: 'update package cache', cmd: updateCacheCmd('apt') });
    what.push(o.validTime ? `cache older than ${o.validTime}s: updated` : 'cache updated');
    cacheUpdated = true;
  }
  const cacheResult = { cache_updated: cacheUpdated, cache_update_time: cacheUpdated ? f.stamp.now : f.stamp.stamp };
  const done = (changed: boolean, extra: Record<string, unknown> = {}, reason?: string): Plan => {
    const result = { ...extra };
    if (!steps.length) return { kind: 'ok', reason: reason ?? 'nothing to do', result };
    return { kind: 'change', reason: [...what, ...(reason && changed ? [reason] : [])].join('; '), steps, result, ...(changed ? {} : { changed: false as const }) };
  };
  const nothingElse = !o.names.length && !o.upgrade;
  if (o.clean && nothingElse && !o.updateCache && !o.validTime) return done(true);
  if ((o.updateCache || o.validTime) && nothingElse) return done(cacheUpdated, cacheResult, cacheUpdated ? 'cache updated' : 'cache valid');
  const sim = simCommand(o);
  if (sim) {
    const out = f.sim?.out ?? '';
    if (f.sim && f.sim.rc !== 0 && !cacheUpdated) throw new Error(`'apt-get ${sim.verb}' would fail: ${out.trim().split('\n').slice(-3).join(' ')}`);
    // after a cache refresh the simulation (of the old lists) cannot tell: assume a change
    const changes = cacheUpdated || simulationChanges(out, sim.what);
    if (changes) {
      steps.push({ desc: `apt-get ${sim.verb}${sim.args.length ? ' ' + sim.args.join(' ') : ''}`, cmd: aptGetCmd(sim.verb, sim.args, { ...policy, flags: sim.flags }) });
      return done(true, sim.what === 'install' && !o.upgrade && o.state === 'build-dep' ? cacheResult : {}, `${sim.verb}: changes`);
    }
    return done(false, sim.what === 'install' && o.state === 'build-dep' && !o.upgrade ? cacheResult : {}, `${sim.verb}: nothing to do`);
  }
  const pk = f.pkg;
  if (!pk) return done(false, cacheResult);
  if (o.state === 'absent') {
    const rm = o.names.filter((n) => {
      const i = pk.pkgs[splitSpec(n).name];
      if (!i) return false;
      const v = splitSpec(n).version;
      const versionOk = i.installed && (v === undefined || versionMatches(i.version ?? '', v));
      return versionOk || (!!i.hasFiles && o.purge);
    });
    if (!rm.length) return done(false, {}, `${o.names.join(', ')}: not installed`);
    steps.push({ desc: `remove ${rm.join(' ')}`, cmd: aptGetCmd('remove', rm, { ...policy, flags: [...(o.purge ? ['--purge'] : []), ...(o.force ? ['--force-yes'] : []), ...(o.autoremove ? ['--auto-remove'] : [])] }) });
    return done(true, {}, `removed: ${rm.join(', ')}`);
  }
  // present / latest / fixed
  const install: string[] = [];
  const notes: string[] = [];
  for (const spec of o.names) {
    const { name, version } = splitSpec(spec);
    const i = pk.pkgs[name];
    if (!i?.known && !cacheUpdated) {
      // as Ansible's package_status; check mode too (it reads the same cache)
      throw new Error(`No package matching '${name}' is available`);
    }
    if (!i?.installed && o.onlyUpgrade) continue;
    const versionOk = !!i?.installed && (version === undefined || versionMatches(i.version ?? '', version));
    if (version !== undefined && !versionOk) {
      install.push(`${name}=${version}`);
      notes.push(`${name} ${i?.version ? `${i.version} -> ` : ''}${version}`);
    } else if (!i?.installed) {
      if (!i?.candidate && !cacheUpdated) throw new Error(`no available installation candidate for ${spec}`);
      install.push(name);
      notes.push(`${name} installed`);
    } else if (o.state === 'latest' && i.upgradable && version === undefined) {
      install.push(name);
      notes.push(`${name} ${i.version} -> ${i.candidate}`);
    }
  }
  if (!install.length) return done(false, cacheResult, `${o.names.join(', ')}: installed${o.state === 'latest' ? ', latest version' : ''}`);
  const flags = [
    ...(o.recommends === true ? ['--install-recommends'] : o.recommends === false ? ['--no-install-recommends'] : []),
    ...(o.onlyUpgrade ? ['--only-upgrade'] : []),
    ...(o.state === 'fixed' ? ['--fix-broken'] : []),
    ...baseFlags(o),
    ...(o.held ? ['--allow-change-held-packages'] : []),
    ...(o.autoremove ? ['--auto-remove'] : []),
    ...rel,
  ];
  steps.push({ desc: `install ${install.join(' ')}`, cmd: aptGetCmd('install', install, { ...policy, flags }) });
  const before = o.names.map((n) => splitSpec(n).name).filter((n) => pk.pkgs[n]?.installed).map((n) => `${n} ${pk.pkgs[n].version}`);
  const diff = { path: 'packages (apt)', before: before.join('\n') + '\n', after: notes.join('\n') + '\n' };
  const plan = done(true, cacheResult, notes.join(', '));
  return plan.kind === 'change' ? { ...plan, diff: [diff] } : plan;
}

/** Ansible's result keys: stdout/stderr of the apt-get that ran (the last step). */
export function aptResult(results: ExecResult[]): Record<string, unknown> {
  const last = results[results.length - 1];
  return last ? { stdout: last.stdout, stderr: last.stderr } : {};
}

const schema = object(
  {
    name: typed<string | string[]>({ type: ['string', 'array'], items: { type: 'string' }, aliases: ['package', 'pkg'], description: "Package names (NAME or NAME=VERSION, the version may be a glob); a comma-separated string or a list; '*' with state latest upgrades everything." }),
    state: strEnum(['present', 'absent', 'latest', 'fixed', 'build-dep'], 'present (default): install when missing; latest: also upgrade; absent: remove; fixed: install with --fix-broken; build-dep: the packages\' build dependencies.'),
    update_cache: bool('Run apt-get update first when the cache is older than cache_valid_time (alone: changed when it ran; with packages: reported as cache_updated).', undefined, { aliases: ['update-cache'] }),
    cache_valid_time: int('Refresh the cache only when it is older than this many seconds (default 0: always); implies update_cache.', { minimum: 0 }),
    update_cache_retries: int('Accepted (apt-get update is run once).'),
    update_cache_retry_max_delay: int('Accepted (apt-get update is run once).'),
    purge: bool('With state absent: remove configuration files too (also of packages removed earlier).', false),
    default_release: str('Install from this release (apt-get -t).', { aliases: ['default-release'] }),
    install_recommends: bool('Install recommended packages (default: the apt configuration).', undefined, { aliases: ['install-recommends'] }),
    force: bool('apt-get --force-yes (dangerous).', false),
    clean: bool('apt-get clean first (always changed).', false),
    allow_unauthenticated: bool('apt-get --allow-unauthenticated.', false, { aliases: ['allow-unauthenticated'] }),
    allow_downgrade: bool('apt-get --allow-downgrades.', false, { aliases: ['allow-downgrade', 'allow_downgrades', 'allow-downgrades'] }),
    allow_change_held_packages: bool('apt-get --allow-change-held-packages.', false),
    upgrade: typed<'no' | 'yes' | 'safe' | 'full' | 'dist' | boolean>({ type: ['string', 'boolean'], enum: ['no', 'yes', 'safe', 'full', 'dist', true, false], description: 'Upgrade the system: yes/safe (apt-get upgrade --with-new-pkgs), full/dist (apt-get dist-upgrade); no (default).' }),
    dpkg_options: str('dpkg options, comma-separated, each passed as -o Dpkg::Options::=--OPTION (default force-confdef,force-confold).'),
    deb: str('Not supported by kvplay (an error names it).'),
    autoremove: bool('Remove packages no longer needed (with packages: apt-get --auto-remove; alone: apt-get autoremove).', false),
    autoclean: bool('Alone: apt-get autoclean.', false),
    policy_rc_d: int("Exit code of a temporary /usr/sbin/policy-rc.d while apt runs (101: the packages' services are not started)."),
    only_upgrade: bool('Only upgrade installed packages, never install new ones.', false),
    fail_on_autoremove: bool('apt-get --no-remove: fail rather than remove packages.', false),
    force_apt_get: bool('Accepted: kvplay always uses apt-get.', false),
    lock_timeout: int('Accepted (apt-get waits for the lock as configured).'),
  },
  {
    anyOf: ['name', 'package', 'pkg', 'update_cache', 'update-cache', 'cache_valid_time', 'upgrade', 'autoremove', 'autoclean', 'clean', 'deb'].map((k) => ({ required: [k] })),
    // Ansible's mutually_exclusive: deb, package (name, pkg), upgrade
    allOf: [['name', 'upgrade'], ['package', 'upgrade'], ['pkg', 'upgrade'], ['deb', 'name'], ['deb', 'upgrade']].map(([a, b]) => ({ not: { required: [a, b] } })),
  },
);

export const apt: Module<AptParams, AptFacts> = {
  name: 'apt',
  reasonIsMsg: false,
  doc: "Ansible's apt: install, upgrade, remove Debian packages, refresh the cache, upgrade the system, autoremove; planned from dpkg-query/apt-cache and apt-get simulations.",
  schema,
  facts: (p) => aptFacts(p),
  plan: (p, f, ctx) => planApt(p, f, ctx),
  explain: (p, f) => {
    const o = aptOpts(p);
    const names = o.names.filter((n) => n !== '*').map((n) => splitSpec(n).name);
    const out = [{ cmd: 'stat -c %Y /var/lib/apt/periodic/update-success-stamp', found: f.stamp.stamp ? `cache updated ${Math.max(0, f.stamp.now - f.stamp.stamp)} s ago` : 'never updated' }];
    if (f.pkg) out.push(pkgCheck(names, f.pkg));
    const sim = simCommand(o);
    if (sim && f.sim !== undefined) out.push({ cmd: `apt-get -s ${sim.verb}${sim.args.length ? ' ' + sim.args.join(' ') : ''}`, found: simulationChanges(f.sim.out, sim.what) ? 'it would change packages' : 'nothing to do' });
    return out;
  },
  result: (_p, _f, results) => aptResult(results),
};
