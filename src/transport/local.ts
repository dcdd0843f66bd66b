/** Local transport (ansible_connection: local): commands run in /bin/sh on this machine. */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants as osConstants, userInfo } from 'node:os';
import type { Become, ExecOptions, ExecResult, Transport } from './types.js';
import { q } from '../util/quote.js';
import { UnreachableError } from '../util/errors.js';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function wrapCommand(cmd: string, opts: ExecOptions = {}): string {
  let c = cmd;
  if (opts.env && Object.keys(opts.env).length) {
    for (const k of Object.keys(opts.env)) {
      if (!ENV_NAME.test(k)) throw new Error(`invalid environment variable name ${JSON.stringify(k)}`);
    }
    c = `export ${Object.entries(opts.env).map(([k, v]) => `${k}=${q(v)}`).join(' ')}; ${cmd}`;
  }
  if (opts.cwd) c = `cd ${q(opts.cwd)} && { ${c}\n}`;
  return c;
}

/** Local commands running now (any LocalTransport of this process: delegate_to makes ad-hoc ones). */
const running = new Set<ChildProcess>();
let interrupted = false;

/**
 * kvplay interrupted: SIGTERM to each running local command's process group, SIGKILL to what is
 * left after a second; no new local command starts.
 */
export async function interruptLocal(): Promise<void> {
  interrupted = true;
  const kids = [...running];
  const signal = (c: ChildProcess, sig: NodeJS.Signals) => { try { process.kill(-c.pid!, sig); } catch { /* gone */ } };
  for (const c of kids) signal(c, 'SIGTERM');
  const deadline = Date.now() + 1000;
  while (kids.some((c) => running.has(c)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  for (const c of kids) if (running.has(c)) signal(c, 'SIGKILL');
}

export class LocalTransport implements Transport {
  constructor(public readonly name: string) {}
  async connect(): Promise<void> {}
  async close(): Promise<void> {}
  /** Stops every local command of this process (they run in their own process groups: Ctrl-C does not reach them). */
  interrupt(): Promise<void> {
    return interruptLocal();
  }

  private needsSudo(b?: Become | null): b is Become {
    return !!b && b.user !== userInfo().username;
  }

  async exec(cmd: string, opts: ExecOptions = {}): Promise<ExecResult> {
    if (interrupted) throw new UnreachableError(`${this.name}: kvplay was interrupted`);
    const full = wrapCommand(cmd, opts);
    const sudo = this.needsSudo(opts.become) ? opts.become! : null;
    if (sudo?.method === 'su') return { code: 1, stdout: '', stderr: `become_method su is not supported for commands on the controller (${this.name}): kvplay runs them with sudo\n` };
    // With sudo: a random prompt on stderr and a ready marker on stdout tell whether sudo wants
    // the password, so the password is written only when asked for and never reaches the
    // command's stdin (e.g. with NOPASSWD or cached credentials).
    const prompt = `[kvplay-sudo-${randomBytes(8).toString('hex')}]`;
    const ready = `KVPLAY_READY_${randomBytes(8).toString('hex')}`;
    const args = sudo
      ? ['sudo', '-S', '-p', prompt, '-u', sudo.user, '--', '/bin/sh', '-c', `printf %s ${ready}; exec /bin/sh -c "$1"`, 'sh', full]
      : ['/bin/sh', '-c', full];
    return new Promise((resolve) => {
      // detached: own process group, so a timeout can kill the whole tree (sh + its children);
      // killing only sh would leave e.g. `sleep` holding the pipes open until it ends.
      const child = spawn(args[0], args.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
      running.add(child);
      let out = Buffer.alloc(0);
      let err = Buffer.alloc(0);
      let started = !sudo; // command running (past sudo)
      let prompts = 0;
      let failure = '';
      let done = false;
      const finish = (code: number, timedOut: boolean) => {
        running.delete(child);
        if (done) return;
        done = true;
        if (timer) clearTimeout(timer);
        if (failure) return resolve({ code: 1, stdout: '', stderr: failure });
        resolve({ code, stdout: out.toString('utf8'), stderr: err.toString('utf8'), ...(timedOut ? { timedOut } : {}) });
      };
      const killTree = () => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { child.kill('SIGKILL'); } };
      const timer = opts.timeoutMs ? setTimeout(() => {
        killTree();
        finish(124, true); // do not wait for pipes a surviving grandchild may hold
      }, opts.timeoutMs) : undefined;
      const feedStdin = () => {
        if (opts.stdin !== undefined) child.stdin.end(opts.stdin);
        else child.stdin.end();
      };
      child.stdout.on('data', (d: Buffer) => {
        out = Buffer.concat([out, d]);
        if (!started) {
          const i = out.indexOf(ready);
          if (i < 0) return;
          started = true;
          out = out.subarray(i + ready.length);
          err = Buffer.alloc(0); // sudo's prompt/lecture is not command output
          feedStdin();
        }
      });
      child.stderr.on('data', (d: Buffer) => {
        err = Buffer.concat([err, d]);
        if (started || !sudo) return;
        const n = err.toString('utf8').split(prompt).length - 1;
        if (n === prompts) return;
        prompts = n;
        const what = `become (sudo -u ${sudo.user}) on ${this.name} failed`;
        if (!sudo.password) failure = `${what}: become password required (set ansible_become_password or KVPLAY_BECOME_PASSWORD)\n`;
        else if (n > 1) failure = `${what}: incorrect become password\n`;
        else return void child.stdin.write(sudo.password + '\n');
        killTree();
        finish(1, false);
      });
      child.stdin.on('error', () => { /* command exited without reading its stdin */ });
      child.on('error', (e) => { err = Buffer.concat([err, Buffer.from(String(e.message))]); });
      child.on('close', (code, signal) => {
        if (!started && sudo && !failure) {
          const msg = err.toString('utf8').split(prompt).join('').split(sudo.password || '\u0000').join('***').trim();
          failure = `become (sudo -u ${sudo.user}) on ${this.name} failed${msg ? `: ${msg}` : ''}\n`;
        }
        finish(code ?? (signal ? 128 + (osConstants.signals[signal] ?? 0) : 255), false);
      });
      if (!sudo) feedStdin();
    });
  }

  async execMany(cmds: string[], opts: { become?: Become | null } = {}): Promise<ExecResult[]> {
    const out: ExecResult[] = [];
    for (const c of cmds) out.push(await this.exec(c, opts)); // in order, like the ssh transport
    return out;
  }
}
