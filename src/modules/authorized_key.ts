/**
 * authorized_key (ansible.posix.authorized_key): public keys in a user's authorized_keys,
 * matched by key blob (comments and options do not make a key different, unless key_options
 * is given). ~/.ssh is created 0700 and the file 0600, owned by the user.
 */
import { pathInfo, reportFrom, withStatAfter } from './lib/pathinfo.js';
import type { Module, ModuleCtx, Plan } from '../engine/module/types.js';
import { backupProp, bool, object, str, strEnum, type Static } from '../engine/module/schema.js';
import { lines, parsePubKey, userFileDiff, writeUserFile, type PubKey } from './lib/sshfiles.js';
import { userFileFact, type UserFile } from '../facts/sshfiles.js';

export type AuthorizedKeyParams = Static<typeof schema>;

export function wantedKeys(key: string): PubKey[] {
  const out: PubKey[] = [];
  for (const l of key.split('\n')) {
    if (/^\s*(#|$)/.test(l)) continue;
    const k = parsePubKey(l);
    if (!k) throw new Error(`not an OpenSSH public key: '${l.length > 60 ? l.slice(0, 57) + '...' : l}'`);
    out.push(k);
  }
  return out;
}

function format(k: PubKey, options: string | undefined, comment: string | undefined): string {
  return [options, k.type, k.blob, comment ?? k.comment].filter((x) => x !== undefined && x !== '').join(' ') + '\n';
}

/** Pure edit of authorized_keys text. */
export function editAuthorizedKeys(old: string, keys: PubKey[], state: 'present' | 'absent', o: { key_options?: string; comment?: string } = {}): { text: string; msg: string } {
  const ls = lines(old);
  const done: string[] = [];
  for (const k of keys) {
    const idx = ls.map((l, i) => (parsePubKey(l)?.blob === k.blob ? i : -1)).filter((i) => i >= 0);
    if (state === 'absent') {
      if (idx.length) { for (const i of idx) ls[i] = ''; done.push(`removed ${k.type} key`); }
      continue;
    }
    const line = format(k, o.key_options ?? k.options, o.comment);
    if (!idx.length) {
      const last = ls.map((l, i) => (l ? i : -1)).filter((i) => i >= 0).pop();
      if (last !== undefined && !ls[last].endsWith('\n')) ls[last] += '\n';
      ls.push(line);
      const shown = o.comment ?? k.comment; // the comment as written (the task's, else the key's own)
      done.push(`added ${k.type} key${shown ? ` (${shown})` : ''}`);
      continue;
    }
    const cur = parsePubKey(ls[idx[0]])!;
    const optsDiffer = o.key_options !== undefined && (cur.options ?? '') !== o.key_options;
    const commentDiffers = o.comment !== undefined && cur.comment !== o.comment;
    if (optsDiffer || commentDiffers) { ls[idx[0]] = line; done.push(`updated ${k.type} key ${optsDiffer ? 'options' : 'comment'}`); }
    for (const i of idx.slice(1)) { ls[i] = ''; done.push('removed a duplicate'); }
  }
  return { text: ls.join(''), msg: done.join(', ') };
}

export function planAuthorizedKey(p: AuthorizedKeyParams, f: UserFile, ctx: Pick<ModuleCtx, 'check' | 'diff'>): Plan {
  const state = p.state ?? 'present';
  if (p.exclusive) throw new Error('exclusive: true is not supported (remove other keys with state: absent)');
  if (!String(p.key ?? '').trim()) {
    // a key registered by an earlier task that did not run (check mode)
    if (ctx.check) return { kind: 'change', reason: `${p.user}: key ${state === 'absent' ? 'removed' : 'added'} (check mode: the key is not known yet, assuming an earlier task creates it)`, steps: [] };
    throw new Error('key is empty');
  }
  const keys = wantedKeys(p.key);
  if (!f.known) {
    if (ctx.check) return { kind: 'change', reason: `${p.user}: keys added (check mode: the user does not exist yet)`, steps: [] };
    throw new Error(`user '${p.user}' does not exist on the host`);
  }
  const old = f.content ?? '';
  const r = editAuthorizedKeys(old, keys, state, { key_options: p.key_options, comment: p.comment });
  // as ansible.posix.authorized_key: its parameters and `keyfile`, with a given path's information
  // (which replaces `state`); in check mode nothing more than changed
  const result = ctx.check
    ? {}
    : {
        user: p.user, key: p.key, path: p.path ?? null, manage_dir: p.manage_dir ?? true, state, key_options: p.key_options ?? null,
        exclusive: p.exclusive ?? false, comment: p.comment ?? null, validate_certs: true, follow: false, keyfile: f.path,
        ...(p.path !== undefined && f.st ? pathInfo(f.st) : {}),
      };
  if (r.text === old) return { kind: 'ok', reason: `${f.path}: ${state === 'present' ? 'key(s) present' : 'key(s) absent'}`, result };
  if (!f.dir && p.manage_dir === false) throw new Error(`${f.path}: directory missing (manage_dir: false)`);
  const steps = writeUserFile(f, r.text, 0o600, p.backup);
  if (p.path !== undefined) steps[steps.length - 1] = withStatAfter(steps[steps.length - 1], f.path);
  return { kind: 'change', reason: `${f.path}: ${r.msg}`, steps, diff: ctx.diff ? [userFileDiff(f, r.text)] : undefined, result };
}

const schema = object(
  {
    user: str('The user whose authorized_keys is edited.'),
    key: str('One or more public keys (one per line): "ssh-ed25519 AAAA... comment".'),
    state: strEnum(['present', 'absent'], 'present (default) or absent.'),
    path: str('authorized_keys file (absolute, or relative to the home; default .ssh/authorized_keys).'),
    key_options: str('Options put before the key, e.g. from="10.0.0.0/24",no-pty; given options are enforced.'),
    comment: str('Comment to put after the key (default: the key\'s own).'),
    manage_dir: bool('Create ~/.ssh (0700, owned by the user) when missing.', true),
    exclusive: bool('Not supported: only false is accepted.', false),
    backup: backupProp,
  },
  { required: ['user', 'key'] },
);

export const authorized_key: Module<AuthorizedKeyParams, { file: UserFile }> = {
  name: 'authorized_key',
  reasonIsMsg: false,
  doc: "Add or remove public keys in a user's authorized_keys (matched by key, not by comment).",
  notes: `Keys are matched by their base64 blob (a different comment is not a different key); \`key_options\`/\`comment\` are enforced when given. ~/.ssh is created 0700 and the file 0600, owned by the user; written atomically. An empty key (registered by a task that did not run in check mode) predicts a change in check mode and fails otherwise. \`exclusive\` is not supported. Alias \`ansible.posix.authorized_key\`.`,
  examples: `- authorized_key: {user: root, key: "{{ hostvars[item].root_key.public_key }}"}
  loop: "{{ groups.kvm_hosts }}"
`,
  schema,
  facts: (p) => ({ file: userFileFact(p.user, p.path ?? '.ssh/authorized_keys') }),
  plan: (p, f, ctx) => planAuthorizedKey(p, f.file, ctx),
  result: (_p, _f, results) => {
    const r = reportFrom(results);
    return r.stat ? pathInfo(r.stat) : {};
  },
};
