/**
 * user: Ansible's user module for Linux (useradd/usermod/userdel), planned from one fact script
 * (src/facts/account.ts). What is compared, and the flags, follow Ansible's User class: uid,
 * primary group (by gid), supplementary groups (`append`), comment, home (`move_home`), shell,
 * the password hash (`update_password`), `password_lock`; a missing home directory is created when
 * `create_home`. The hash never reaches a command line kvplay shows: it travels on stdin.
 */
import { posix } from 'node:path';
import { q } from '../util/quote.js';
import type { ExecResult } from '../transport/types.js';
import type { Module, ModuleCtx, Plan, Step } from '../engine/module/types.js';
import { bool, int, object, str, strEnum, type Static, typed } from '../engine/module/schema.js';
import { accountFact, memberOf, parsePasswd, type AccountFacts, type GroupEntry } from '../facts/account.js';

export type UserParams = Static<typeof schema>;

const nameOf = (p: UserParams) => p.name;

/** Ansible's groups: a list (or a comma-separated string), joined then split on ','. */
export function wantedGroups(p: UserParams): string[] | undefined {
  if (p.groups === undefined) return undefined;
  const joined = Array.isArray(p.groups) ? p.groups.join(',') : String(p.groups);
  return [...new Set(joined.split(',').map((x) => x.trim()).filter(Boolean))];
}

function findGroup(f: AccountFacts, g: string): GroupEntry | undefined {
  return f.groups[g] ?? (/^\d+$/.test(g) ? Object.values(f.groups).find((x) => x.gid === Number(g)) : undefined);
}

/** Ansible's check_password_encrypted: does `password` look like a crypt(3) hash? (else a warning in the result) */
export function looksHashed(pw: string): boolean {
  if (pw === '*' || pw === '!' || pw === '*************') return true;
  if (/[:*!]/.test(pw) || !pw.includes('$')) return false;
  const f = pw.split('$');
  if (f.length < 3) return false;
  const last = f[f.length - 1];
  if (/[^a-zA-Z0-9./=]/.test(last)) return false;
  const len: Record<string, number> = { '1': 22, '5': 43, '6': 86 };
  return len[f[1]] === undefined || last.length === len[f[1]];
}
const HASH_WARNING = "The input password appears not to have been hashed. The 'password' argument must be encrypted for this module to work properly.";

const READ_BACK = (name: string): Step => ({ desc: `getent passwd ${name}`, cmd: `getent passwd ${q(name)}` });

/** A command whose last argument before NAME is the password hash, read from stdin (never on kvplay's command line). */
function withHash(args: string[], hash: string, name: string): Pick<Step, 'cmd' | 'stdin' | 'explain'> {
  return {
    cmd: `IFS= read -r h; ${args.join(' ')} -p "$h" ${q(name)}`,
    stdin: hash + '\n',
    explain: `${args.join(' ')} -p '********' ${q(name)}`,
  };
}

/** Pure planning. */
export function planUser(p: UserParams, f: AccountFacts, ctx: Pick<ModuleCtx, 'check'>): Plan {
  const name = nameOf(p);
  const state = p.state ?? 'present';
  const createHome = p.create_home ?? true;
  const result: Record<string, unknown> = { name, state };
  const u = f.user;
  if (state === 'absent') {
    if (!u) return { kind: 'ok', reason: `user ${name}: absent`, result };
    const args = ['userdel', ...(p.force ? ['-f'] : []), ...(p.remove ? ['-r'] : []), q(name)];
    return { kind: 'change', reason: `user ${name}: removed`, steps: [{ desc: `userdel ${name}`, cmd: args.join(' ') }], result: ctx.check ? {} : { ...result, force: !!p.force, remove: !!p.remove }, diff: [{ path: `user ${name}`, before: 'present\n', after: 'absent\n' }] };
  }
  const groups = wantedGroups(p);
  const check = (g: string) => {
    if (!findGroup(f, g)) throw new Error(`Group ${g} does not exist`);
  };
  if (p.password !== undefined) result.password = 'NOT_LOGGING_PASSWORD';
  const warnings = p.password && !looksHashed(p.password) ? { warnings: [HASH_WARNING] } : {};
  if (!u) {
    // create
    if (p.group !== undefined) check(p.group);
    groups?.forEach(check);
    const a = ['useradd'];
    if (p.uid !== undefined) a.push('-u', q(p.uid), ...(p.non_unique ? ['-o'] : []));
    if (p.group !== undefined) a.push('-g', q(p.group));
    else if (f.groups[name]) a.push('-N'); // a group of the user's name exists: no user group
    if (groups?.length) a.push('-G', q(groups.join(',')));
    if (p.comment !== undefined) a.push('-c', q(p.comment));
    if (p.home !== undefined) a.push('-d', q(p.home));
    if (p.shell !== undefined) a.push('-s', q(p.shell));
    if (createHome) {
      a.push('-m');
      if (p.skeleton !== undefined) a.push('-k', q(p.skeleton));
      if (p.umask !== undefined) a.push('-K', q(`UMASK=${p.umask}`));
    } else a.push('-M');
    if (p.system) a.push('-r');
    const steps: Step[] = [];
    if (p.home !== undefined && createHome) steps.push({ desc: `mkdir -p ${posix.dirname(p.home)}`, cmd: `mkdir -p -- ${q(posix.dirname(p.home))}` });
    const hash = p.password === undefined ? undefined : p.password_lock ? `!${p.password}` : p.password;
    steps.push({ desc: `useradd ${name}`, ...(hash === undefined ? { cmd: `${a.join(' ')} ${q(name)}` } : withHash(a, hash, name)) });
    steps.push(READ_BACK(name));
    // check mode: Ansible returns only changed
    return { kind: 'change', reason: `user ${name}: created`, steps, result: ctx.check ? { ...warnings } : { ...result, system: !!p.system, create_home: createHome, ...(groups ? { groups: groups.join(',') } : {}), ...warnings }, diff: [{ path: `user ${name}`, before: 'absent\n', after: 'present\n' }] };
  }
  // modify
  const a = ['usermod'];
  const what: string[] = [];
  if (p.uid !== undefined && u.uid !== p.uid) a.push('-u', q(p.uid), ...(p.non_unique ? ['-o'] : [])), what.push(`uid ${u.uid} -> ${p.uid}`);
  if (p.group !== undefined) {
    check(p.group);
    const g = findGroup(f, p.group)!;
    if (u.gid !== g.gid) a.push('-g', q(g.gid)), what.push(`group ${u.gid} -> ${g.gid}`);
  }
  if (groups !== undefined) {
    const current = memberOf(f, name);
    let need = false;
    if (!groups.length) need = current.length > 0 && !p.append;
    else {
      groups.forEach(check);
      const diff = [...current.filter((g) => !groups.includes(g)), ...groups.filter((g) => !current.includes(g))];
      if (diff.length) {
        if (p.append) {
          if (groups.some((g) => diff.includes(g))) {
            a.push('-a');
            need = true;
          }
        } else need = true;
      }
    }
    if (need) a.push('-G', q(groups.join(','))), what.push(`groups ${current.join(',') || '(none)'} -> ${p.append ? '+' : ''}${groups.join(',') || '(none)'}`);
  }
  if (p.comment !== undefined && u.comment !== p.comment) a.push('-c', q(p.comment)), what.push('comment');
  if (p.home !== undefined && u.home !== p.home) a.push('-d', q(p.home), ...(p.move_home ? ['-m'] : [])), what.push(`home ${u.home} -> ${p.home}`);
  if (p.shell !== undefined && u.shell !== p.shell) a.push('-s', q(p.shell)), what.push(`shell ${u.shell} -> ${p.shell}`);
  if (p.password_lock === true && !f.hash.startsWith('!')) a.push('-L'), what.push('password locked');
  else if (p.password_lock === false && f.hash.startsWith('!')) a.push('-U'), what.push('password unlocked');
  let hash: string | undefined;
  if ((p.update_password ?? 'always') === 'always' && p.password !== undefined && f.hash.replace(/^!+/, '') !== p.password.replace(/^!+/, '')) {
    for (const o of ['-U', '-L']) if (a.includes(o)) a.splice(a.indexOf(o), 1);
    hash = p.password_lock ? `!${p.password}` : p.password;
    what.push('password changed');
  }
  const steps: Step[] = [];
  if (a.length > 1 || hash !== undefined) steps.push({ desc: `usermod ${name}`, ...(hash === undefined ? { cmd: `${a.join(' ')} ${q(name)}` } : withHash(a, hash, name)) });
  const home = p.home ?? u.home;
  // Ansible creates a missing home directory of an existing user (skeleton copied, mode from login.defs' UMASK)
  const homeMissing = p.home !== undefined && p.home !== u.home && p.move_home ? false : !f.homeExists;
  if (createHome && homeMissing) {
    const skel = p.skeleton ?? '/etc/skel';
    const mode = f.umask !== undefined ? (0o777 & ~f.umask).toString(8) : undefined;
    const owner = p.uid ?? u.uid;
    const group = p.group !== undefined ? findGroup(f, p.group)!.gid : u.gid;
    steps.push({
      desc: `create home ${home}`,
      cmd: [`if [ -d ${q(skel)} ]; then mkdir -p -- ${q(posix.dirname(home))} && cp -a -- ${q(skel)} ${q(home)}; else mkdir -p -- ${q(home)}; fi`, ...(mode ? [`chmod ${mode} -- ${q(home)}`] : []), `chown -R ${owner}:${group} -- ${q(home)}`].join(' && '),
    });
    what.push(`home ${home} created`);
  }
  const info = { uid: u.uid, group: u.gid, comment: u.comment, home: u.home, shell: u.shell, ...(p.groups !== undefined ? { groups: (groups ?? []).join(',') } : {}) };
  const res = { ...result, append: !!p.append, move_home: !!p.move_home, ...info, ...warnings };
  if (!steps.length) return { kind: 'ok', reason: `user ${name}: as wanted`, result: res };
  steps.push(READ_BACK(name));
  return { kind: 'change', reason: `user ${name}: ${what.join(', ')}`, steps, result: res, diff: [{ path: `user ${name}`, before: `uid ${u.uid}, gid ${u.gid}, home ${u.home}, shell ${u.shell}\n`, after: `${what.join('\n')}\n` }] };
}

/** After the steps: the account as getent tells it now (Ansible reads it back too). */
export function userResult(results: ExecResult[]): Record<string, unknown> {
  const last = results[results.length - 1];
  const pw = last && last.code === 0 ? parsePasswd(last.stdout.split('\n')[0] ?? '') : undefined;
  return pw ? { uid: pw.uid, group: pw.gid, comment: pw.comment, home: pw.home, shell: pw.shell } : {};
}

const schema = object(
  {
    name: str('The account name.', { aliases: ['user'] }),
    state: strEnum(['present', 'absent'], 'present (default) or absent.'),
    uid: int('The user id.', { minimum: 0 }),
    non_unique: bool('With uid: allow a uid another account has (useradd -o).', false),
    group: str('The primary group (name or gid); it must exist.'),
    groups: typed<string[] | string>({ type: ['array', 'string'], items: { type: 'string' }, description: "Supplementary groups (a list or 'a,b'); [] or '' removes all (unless append). Each must exist." }),
    append: bool('Add the groups to the current ones instead of setting exactly these.', false),
    comment: str('The GECOS field (full name).'),
    home: str('The home directory.'),
    shell: str('The login shell.'),
    password: str("The password HASH for /etc/shadow (e.g. from the password_hash filter), never shown; the result says 'NOT_LOGGING_PASSWORD'."),
    update_password: strEnum(['always', 'on_create'], 'always (default): set the hash when it differs; on_create: only for a new account.'),
    password_lock: bool('Lock (true, usermod -L) or unlock (false) the password.'),
    create_home: bool("Create the home directory (useradd -m); for an existing account a missing home is created.", true, { aliases: ['createhome'] }),
    system: bool('A system account (useradd -r), only when it is created.', false),
    move_home: bool('With a new home: move the contents (usermod -m).', false),
    force: bool('state absent: userdel -f.', false),
    remove: bool('state absent: remove the home directory and mail spool (userdel -r).', false),
    skeleton: str('The skeleton directory for a new home (useradd -k).'),
    umask: str('The umask of a new home directory (useradd -K UMASK=).'),
  },
  { required: ['name'] },
);

export const user: Module<UserParams, { acct: AccountFacts }> = {
  name: 'user',
  reasonIsMsg: false,
  doc: "Ansible's user: create, change or remove a Linux account (useradd/usermod/userdel): uid, groups, home, shell, password hash.",
  schema,
  facts: (p) => ({ acct: accountFact(nameOf(p), p.home) }),
  plan: (p, f, ctx) => planUser(p, f.acct, ctx),
  result: (_p, _f, results) => userResult(results),
};
