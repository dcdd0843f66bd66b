/**
 * ssh_keypair: an OpenSSH key pair for a user, generated (ssh-keygen, no passphrase) only when
 * absent; registers public_key. In check mode a missing key gives public_key '' (tasks that use
 * it then predict their change).
 */
import { q } from '../util/quote.js';
import type { Module, ModuleCtx, Plan, Step } from '../engine/module/types.js';
import { bool, int, object, str, strEnum, type Static } from '../engine/module/schema.js';
import { parsePubKey, pubKeyInfo } from './lib/sshfiles.js';
import { userFileFact, type UserFile } from '../facts/sshfiles.js';

export type SshKeypairParams = Static<typeof schema>;

type Facts = { key: UserFile; pub: UserFile };

const TYPE_NAMES: Record<string, string> = { ed25519: 'ssh-ed25519', rsa: 'ssh-rsa', ecdsa: 'ecdsa-sha2-nistp' };

function keyPath(p: SshKeypairParams): string {
  return p.path ?? `.ssh/id_${p.type ?? 'ed25519'}`;
}

export function planKeypair(p: SshKeypairParams, f: Facts, ctx: Pick<ModuleCtx, 'check'>): Plan {
  const type = p.type ?? 'ed25519';
  const key = f.key;
  if (!key.known) {
    if (!ctx.check) throw new Error(`user '${p.user ?? key.user}' does not exist on the host`);
    return { kind: 'change', reason: `key pair for ${p.user}: created (check mode: the user does not exist yet)`, steps: [], result: { public_key: '', filename: key.path } };
  }
  const path = key.path;
  const qp = q(path);
  const pubText = (f.pub.content ?? '').trim();
  const pub = parsePubKey(pubText);
  // Ansible's openssh_keypair keys: public_key without the comment, comment, fingerprint, size
  const result = { filename: path, type, public_key: pubText, ...pubKeyInfo(pubText) };
  if ((p.state ?? 'present') === 'absent') {
    if (!key.st && !f.pub.st) return { kind: 'ok', reason: `${path}: absent`, result: { filename: path, public_key: '' } };
    return { kind: 'change', reason: `${path}: key pair removed`, steps: [{ desc: `remove ${path}`, cmd: `rm -f -- ${qp} ${q(path + '.pub')}` }], result: { filename: path, public_key: '' } };
  }
  const wrongType = pub && !pub.type.startsWith(TYPE_NAMES[type]);
  if (key.st && pub && !wrongType) return { kind: 'ok', reason: `${path}: key pair present (${pub.type})`, result };
  if (key.st && wrongType && !p.force) throw new Error(`${path} holds a ${pub!.type} key, not ${type} (force: true replaces it)`);
  const own = `${key.uid}:${key.gid}`;
  const steps: Step[] = [];
  const dir = path.replace(/\/[^/]*$/, '') || '/';
  if (!key.dir) steps.push({ desc: `mkdir ${dir}`, cmd: `mkdir -p -m 700 -- ${q(dir)} && chown ${own} -- ${q(dir)}` });
  let why: string;
  if (key.st && !wrongType) {
    // private key without (valid) public half: derive it
    steps.push({ desc: `write ${path}.pub`, cmd: `ssh-keygen -y -f ${qp} > ${q(path + '.pub')} && chown ${own} -- ${q(path + '.pub')} && cat -- ${q(path + '.pub')}` });
    why = 'public key re-derived from the private key';
  } else {
    const bits = p.size ? ` -b ${Math.floor(p.size)}` : '';
    const comment = p.comment ?? `${key.user}@$(hostname)`;
    const c = p.comment !== undefined ? q(comment) : `"${key.user}@$(hostname)"`;
    steps.push({
      desc: `ssh-keygen ${path}`,
      cmd: [`rm -f -- ${qp} ${q(path + '.pub')}`, `ssh-keygen -q -t ${type}${bits} -N '' -C ${c} -f ${qp}`, `chown ${own} -- ${qp} ${q(path + '.pub')}`, `cat -- ${q(path + '.pub')}`].join(' && '),
    });
    why = wrongType ? `replaced (was ${pub!.type})` : 'generated';
  }
  return { kind: 'change', reason: `${path}: key pair ${why}`, steps, result: { ...result, public_key: '' } };
}

const schema = object({
  user: str('Owner of the key; a relative path is under this user\'s home (default: the connecting user).'),
  path: str('Private key file, absolute or relative to the home (default .ssh/id_TYPE); the public key is PATH.pub.'),
  type: strEnum(['ed25519', 'rsa', 'ecdsa'], 'Key type (default ed25519).'),
  size: int('Key size in bits (rsa, ecdsa).', { minimum: 256 }),
  comment: str('Key comment (default USER@HOSTNAME).'),
  state: strEnum(['present', 'absent'], 'present (default) or absent (both files removed).'),
  force: bool('Replace an existing key of another type.', false),
});

export const ssh_keypair: Module<SshKeypairParams, Facts> = {
  name: 'ssh_keypair',
  doc: "Generate an OpenSSH key pair for a user when absent (no passphrase); registers public_key.",
  notes: `Generates the key with \`ssh-keygen\` (no passphrase) only when the private key is missing; re-derives a missing .pub; never reads the private key. Registers \`public_key\` (\`''\` in check mode when the key does not exist yet: tasks that use it then predict their change). Relative paths are under the user's home (\`getent passwd\`).`,
  examples: `- ssh_keypair: {user: root}
  register: root_key
`,
  schema,
  facts: (p) => ({ key: userFileFact(p.user, keyPath(p), false), pub: userFileFact(p.user, keyPath(p) + '.pub') }),
  plan: planKeypair,
  result: (_p, _f, results) => {
    const last = results[results.length - 1];
    const line = last?.stdout.split('\n').find((l) => parsePubKey(l));
    return line ? { ...pubKeyInfo(line) } : {};
  },
};
