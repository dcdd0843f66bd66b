/**
 * Facts of the user and group modules, in one script: the account (getent passwd), its password
 * hash (getent shadow: compared, never shown), every group (getent group: membership is by the
 * members field, as Python's grp.getgrall), the home directory's existence and login.defs' UMASK.
 * Account and group names cannot hold ':' or a newline (shadow-utils rules), so the getent lines
 * are split by line and field.
 */
import { q } from '../util/quote.js';
import type { ExecResult } from '../transport/types.js';
import type { Fact } from '../engine/module/types.js';
import { PROBES, sectionScript, sectionTexts } from './sections.js';

export interface Passwd {
  name: string;
  uid: number;
  gid: number;
  comment: string;
  home: string;
  shell: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

export interface AccountFacts {
  user?: Passwd;
  /** the password field of /etc/shadow ('' when unreadable or empty) */
  hash: string;
  /** every group, by name (null-prototype) */
  groups: Record<string, GroupEntry>;
  /** the home directory (given, else the account's) exists */
  homeExists: boolean;
  /** UMASK of /etc/login.defs (octal), undefined when unset */
  umask?: number;
}

/** A getent passwd line. */
export function parsePasswd(line: string): Passwd | undefined {
  const f = line.split(':');
  if (f.length < 7 || !/^\d+$/.test(f[2]) || !/^\d+$/.test(f[3])) return undefined;
  return { name: f[0], uid: Number(f[2]), gid: Number(f[3]), comment: f[4], home: f[5], shell: f.slice(6).join(':') };
}

/** getent group output -> groups by name. */
export function parseGroups(text: string): Record<string, GroupEntry> {
  const out: Record<string, GroupEntry> = Object.create(null);
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 4 || !f[0] || !/^\d+$/.test(f[2])) continue;
    if (!(f[0] in out)) out[f[0]] = { name: f[0], gid: Number(f[2]), members: f[3] ? f[3].split(',') : [] };
  }
  return out;
}

/** The fact script for account NAME; `home`: the home directory the task names (else the account's). */
export function accountFactCmd(name: string, home?: string): string {
  const n = q(name);
  return sectionScript([
    ['passwd', `getent passwd ${n}`],
    ['shadow', `getent shadow ${n} 2>/dev/null | cut -d: -f2`],
    ['groups', 'getent group'],
    ['home', `${home !== undefined ? `h=${q(home)}` : `h=$(getent passwd ${n} | cut -d: -f6)`}; [ -n "$h" ] && [ -e "$h" ] && echo yes`],
    ['umask', "sed -n 's/^UMASK[[:space:]][[:space:]]*\\([0-9][0-9]*\\)[[:space:]]*$/\\1/p' /etc/login.defs 2>/dev/null | tail -n 1"],
  ], PROBES);
}

export function parseAccountFacts(name: string, out: string): AccountFacts {
  const s = sectionTexts(out);
  const user = (s.passwd ?? '').split('\n').map(parsePasswd).find((u) => u?.name === name);
  const um = (s.umask ?? '').trim();
  return {
    ...(user ? { user } : {}),
    hash: (s.shadow ?? '').split('\n')[0] ?? '',
    groups: parseGroups(s.groups ?? ''),
    homeExists: (s.home ?? '').trim() === 'yes',
    ...(/^[0-7]+$/.test(um) ? { umask: parseInt(um, 8) } : {}),
  };
}

/** The Fact, with an --explain that never shows the password hash. */
export function accountFact(name: string, home?: string): Fact<AccountFacts> {
  return {
    cmd: accountFactCmd(name, home),
    parse: (r: ExecResult) => parseAccountFacts(name, r.stdout),
    explain: (f) => ({
      cmd: `getent passwd ${q(name)}; id ${q(name)}`,
      found: f.user ? `uid ${f.user.uid}, gid ${f.user.gid}, home ${f.user.home}${f.homeExists ? '' : ' (missing)'}, shell ${f.user.shell}; groups ${Object.values(f.groups).filter((g) => g.members.includes(name)).map((g) => g.name).join(',') || '(none)'}` : 'no such user',
    }),
  };
}

/** Groups the user is a listed member of (Ansible's user_group_membership(exclude_primary=False)). */
export function memberOf(f: AccountFacts, name: string): string[] {
  return Object.values(f.groups).filter((g) => g.members.includes(name)).map((g) => g.name);
}
