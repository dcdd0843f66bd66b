/** Process helpers, preflight checks and the lab lock. */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { errCode } from '../util/errors.js';

export class LabError extends Error {
  constructor(message: string, public hint?: string) {
    super(message);
    this.name = 'LabError';
  }
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOpts {
  input?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** stream output to this file descriptor / inherit instead of capturing */
  inherit?: boolean;
  timeoutMs?: number;
}

/** Run a command without a shell; never throws for a non-zero exit. */
export function run(cmd: string, args: string[], opts: RunOpts = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', opts.inherit ? 'inherit' : 'pipe', opts.inherit ? 'inherit' : 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => (stdout += d));
    child.stderr?.on('data', (d) => (stderr += d));
    let timer: NodeJS.Timeout | undefined;
    if (opts.timeoutMs) timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      resolve({ code: 127, stdout, stderr: stderr + String(e) });
    });
    child.on('close', (code, sig) => {
      if (timer) clearTimeout(timer);
      resolve({ code: code ?? (sig ? 128 : 1), stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
  });
}

/** Run a command and throw a LabError with its stderr when it fails. */
export async function runOk(cmd: string, args: string[], opts: RunOpts = {}): Promise<string> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) {
    const tail = (r.stderr || r.stdout).trim().split('\n').slice(-15).join('\n');
    throw new LabError(`command failed (exit ${r.code}): ${cmd} ${args.join(' ')}\n${tail}`);
  }
  return r.stdout;
}

export function runSync(cmd: string, args: string[]): RunResult {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { code: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? String(r.error ?? '') };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function pidAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // a zombie counts as dead
  try {
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return st.slice(st.lastIndexOf(')') + 2, st.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** A JSON file's value; null when it is missing or no JSON. */
export function readJson<T>(file: string): T | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return null;
  }
}

/** The PID recorded in `file` (a number above 1), if any. */
export function readPid(file: string): number | undefined {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n > 1 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** A process's command line, arguments joined by spaces ('' when it is gone). */
export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

/** The PID recorded in `file` when it is alive and still runs a command naming `needle` (guards against PID reuse). */
export function ourPid(file: string, needle: string): number | undefined {
  const pid = readPid(file);
  return pid && pidAlive(pid) && cmdline(pid).includes(needle) ? pid : undefined;
}

/** Tools the lab needs and the Debian package that provides each. */
export const TOOLS: Record<string, string> = {
  'systemd-nspawn': 'systemd-container',
  mmdebstrap: 'mmdebstrap',
  zstd: 'zstd',
  'dpkg-scanpackages': 'dpkg-dev',
  ip: 'iproute2',
  ssh: 'openssh-client',
  'ssh-keygen': 'openssh-client',
  nsenter: 'util-linux',
  mount: 'mount',
  umount: 'mount',
  tar: 'tar',
  'apt-get': 'apt',
  chroot: 'coreutils',
};

/** Tools the VM lab needs besides TOOLS' mmdebstrap, ip, ssh... (not checked for the container lab). */
export const VM_TOOLS: Record<string, string> = {
  'qemu-system-x86_64': 'qemu-system-x86',
  'qemu-img': 'qemu-utils',
  'mkfs.ext4': 'e2fsprogs',
};

function onPath(tool: string): boolean {
  const dirs = (process.env.PATH || '/usr/sbin:/usr/bin:/sbin:/bin').split(':').concat(['/usr/sbin', '/sbin']);
  return dirs.some((d) => d && existsSync(`${d}/${tool}`));
}

/** Throws a LabError when the lab cannot run here: not Linux, not root, a tool missing. */
export function preflight(tools: string[] = Object.keys(TOOLS)): void {
  if (process.platform !== 'linux') throw new LabError(`the lab needs Linux (this is ${process.platform})`);
  if (typeof process.getuid === 'function' && process.getuid() !== 0)
    throw new LabError('the lab needs root (it creates containers, a bridge and mounts)', 'run it as root, e.g. with sudo');
  const missing = tools.filter((t) => !onPath(t));
  if (missing.length) {
    const pkg = (t: string) => TOOLS[t] ?? VM_TOOLS[t];
    const pkgs = [...new Set(missing.map((t) => pkg(t) ?? t))];
    throw new LabError(
      `missing tool${missing.length > 1 ? 's' : ''}: ${missing.map((t) => `${t} (Debian package ${pkg(t) ?? '?'})`).join(', ')}`,
      `apt-get install ${pkgs.join(' ')}`,
    );
  }
}

/**
 * An exclusive lock file holding our PID; a stale lock (dead PID) is taken over. `onWait(holder)` is
 * called once when another live process holds it (so a waiting command can say why it waits).
 */
export async function withLock<T>(path: string, fn: () => Promise<T>, waitMs = 15 * 60_000, onWait?: (holder: number) => void): Promise<T> {
  mkdirSync(dirname(path), { recursive: true });
  const start = Date.now();
  let told = false;
  for (;;) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (e) {
      if (errCode(e) !== 'EEXIST') throw e;
      let holder = 0;
      try {
        holder = Number(readFileSync(path, 'utf8').trim());
      } catch {
        continue;
      }
      if (holder === process.pid) throw new LabError(`lab lock ${path} is already held by this process`);
      if (!pidAlive(holder)) {
        try {
          unlinkSync(path);
        } catch {}
        continue;
      }
      if (Date.now() - start > waitMs) throw new LabError(`another kvplay lab command (PID ${holder}) holds ${path}`);
      if (onWait && !told) {
        told = true;
        onWait(holder);
      }
      await sleep(250);
    }
  }
  try {
    return await fn();
  } finally {
    try {
      unlinkSync(path);
    } catch {}
  }
}

/**
 * Raise a kernel limit (a /proc/sys file holding one number) to at least `min`. Returns the old
 * value when it was raised, null when it was high enough; throws a LabError when it cannot be written.
 */
export function raiseLimit(file: string, min: number): number | null {
  const cur = Number(readFileSync(file, 'utf8').trim());
  if (Number.isFinite(cur) && cur >= min) return null;
  try {
    writeFileSync(file, `${min}\n`);
  } catch (e) {
    throw new LabError(`cannot raise ${file} from ${cur} to ${min}: ${(e as Error).message}`, `sysctl -w ${file.replace('/proc/sys/', '').replace(/\//g, '.')}=${min}`);
  }
  return cur;
}
