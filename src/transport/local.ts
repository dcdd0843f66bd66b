/** Local transport (ansible_connection: local): commands run in /bin/sh on this machine. */
import { spawn } from 'node:child_process';
import { userInfo } from 'node:os';
import type { Become, ExecOptions, ExecResult, Transport } from './types.js';
import { q } from './quote.js';

export function wrapCommand(cmd: string, opts: ExecOptions = {}): string {
  let c = cmd;
  if (opts.env && Object.keys(opts.env).length) {
    c = `export ${Object.entries(opts.env).map(([k, v]) => `${k}=${q(v)}`).join(' ')}; ${cmd}`;
  }
  if (opts.cwd) c = `cd ${q(opts.cwd)} && { ${c}\n}`;
  return c;
}

export class LocalTransport implements Transport {
  constructor(public readonly name: string) {}
  async connect(): Promise<void> {}
  async close(): Promise<void> {}

  private needsSudo(b?: Become | null): b is Become {
    return !!b && b.user !== userInfo().username;
  }

  exec(cmd: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const full = wrapCommand(cmd, opts);
    const sudo = this.needsSudo(opts.become);
    const args = sudo ? ['sudo', '-S', '-p', '', '-u', opts.become!.user, '--', '/bin/sh', '-c', full] : ['/bin/sh', '-c', full];
    return new Promise((resolve) => {
      const child = spawn(args[0], args.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let timedOut = false;
      const timer = opts.timeoutMs ? setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, opts.timeoutMs) : undefined;
      child.stdout.on('data', (d) => out.push(d));
      child.stderr.on('data', (d) => err.push(d));
      child.on('error', (e) => { err.push(Buffer.from(String(e.message))); });
      child.on('close', (code) => {
        if (timer) clearTimeout(timer);
        resolve({ code: timedOut ? 124 : (code ?? 255), stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), ...(timedOut ? { timedOut } : {}) });
      });
      if (sudo && opts.become!.password) child.stdin.write(opts.become!.password + '\n');
      if (opts.stdin !== undefined) child.stdin.end(opts.stdin);
      else child.stdin.end();
    });
  }

  async execMany(cmds: string[], opts: { become?: Become | null } = {}): Promise<ExecResult[]> {
    return Promise.all(cmds.map((c) => this.exec(c, opts)));
  }
}
