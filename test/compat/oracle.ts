/**
 * Ansible is the oracle: run the same playbook under ansible-playbook (Debian's ansible-core) and
 * kvplay against the same real sshd host, and compare what users see and parse: the exit code, the
 * PLAY RECAP counts, and the files the playbook writes (registered values dumped with to_json).
 * Each side gets its own output directory as the extra var `out`.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSshd, type Sshd } from '../harness/sshd.js';
import { kvplay, ROOT } from '../e2e/helpers.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as assert from 'uvu/assert';

export type Recap = Record<string, Record<string, number>>;
export interface Outcome {
  code: number;
  recap: Recap;
  files: Record<string, string>;
  out: string;
}

export interface OracleHost {
  sshd: Sshd;
  dir: string;
  inventory: string;
  stop(): Promise<void>;
}

/** One sshd, hosts host1..hostN in group `web`, reachable by both tools (key + known_hosts). */
export async function oracleHosts(n = 1): Promise<OracleHost> {
  const sshd = await startSshd();
  const dir = mkdtempSync(join(tmpdir(), 'kvplay-oracle-'));
  const hosts = Array.from({ length: n }, (_, i) => `host${i + 1}`);
  const inv = {
    all: {
      vars: {
        ansible_host: '127.0.0.1',
        ansible_port: sshd.port,
        ansible_user: 'root',
        ansible_ssh_private_key_file: sshd.clientKey,
        ansible_ssh_common_args: `-o UserKnownHostsFile=${sshd.knownHostsFile} -o StrictHostKeyChecking=yes`,
        ansible_python_interpreter: '/usr/bin/python3',
      },
      children: { web: { hosts: Object.fromEntries(hosts.map((h) => [h, {}])) } },
    },
  };
  const inventory = join(dir, 'inventory.yaml');
  writeFileSync(inventory, JSON.stringify(inv, null, 2));
  return {
    sshd,
    dir,
    inventory,
    stop: async () => {
      await sshd.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function run(cmd: string, args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  return new Promise((res) => {
    const c = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    c.on('error', (e) => (out += `spawn failed: ${e.message}`));
    c.on('close', (code) => res({ code: code ?? -1, out }));
  });
}

/** PLAY RECAP lines of ansible-playbook's output. */
export function parseRecap(out: string): Recap {
  const r: Recap = {};
  const tail = out.slice(out.lastIndexOf('PLAY RECAP'));
  for (const m of tail.matchAll(/^(\S+)\s+:\s+((?:\w+=\d+\s*)+)$/gm)) {
    r[m[1]] = Object.fromEntries([...m[2].matchAll(/(\w+)=(\d+)/g)].map((x) => [x[1], Number(x[2])]));
  }
  return r;
}

function readDir(d: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(d).sort()) out[f] = readFileSync(join(d, f), 'utf8');
  return out;
}

/** Run `playbook` (YAML text) under both tools; `args` are extra CLI args for both. */
export async function both(h: OracleHost, name: string, playbook: string, args: string[] = []): Promise<{ ansible: Outcome; kvplay: Outcome }> {
  const pb = join(h.dir, `${name}.yml`);
  writeFileSync(pb, playbook);
  const outA = join(h.dir, `${name}-ansible`);
  const outK = join(h.dir, `${name}-kvplay`);
  mkdirSync(outA, { recursive: true });
  mkdirSync(outK, { recursive: true });
  const a = await run('ansible-playbook', ['-i', h.inventory, pb, '-e', `out=${outA}`, ...args], { ANSIBLE_NOCOLOR: '1', ANSIBLE_FORCE_COLOR: '0', ANSIBLE_RETRY_FILES_ENABLED: '0', ANSIBLE_LOCALHOST_WARNING: '0' });
  const k = await kvplay(['-i', h.inventory, pb, '-e', `out=${outK}`, ...args]);
  return {
    ansible: { code: a.code, recap: parseRecap(a.out), files: readDir(outA), out: a.out },
    kvplay: { code: k.code, recap: parseRecap(k.stdout), files: readDir(outK), out: k.stdout + k.stderr },
  };
}

/** Both tools gave the same PLAY RECAP, exit code and result files (the usual oracle comparison). */
export function assertSame(r: { ansible: Outcome; kvplay: Outcome }): void {
  const { ansible, kvplay } = r;
  const both = `--- kvplay\n${kvplay.out}\n--- ansible\n${ansible.out}`;
  assert.equal(kvplay.recap, ansible.recap, `PLAY RECAP differs\n${both}`);
  assert.is(kvplay.code, ansible.code, `exit code differs\n${both}`);
  assert.equal(kvplay.files, ansible.files, `files differ\n${both}`);
}
