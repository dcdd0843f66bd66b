/**
 * Round trip of one trivial command: fresh ssh2 exec channel vs the persistent remote shell,
 * on one connection to a loopback sshd (test/harness/sshd.ts; needs root + openssh-server).
 * bench/run.ts calls measureRtt() for the floor; standalone:
 *   npx tsc -p . && node dist/bench/transport-rtt.js [iterations=200]
 */
import { pathToFileURL } from 'node:url';
import { startSshd, sshOptionsFor, type Sshd } from '../test/harness/sshd.js';
import { SshTransport } from '../src/transport/ssh.js';

export interface Dist { median: number; p90: number; min: number }
export interface Rtt {
  iterations: number;
  /** TCP + handshake + auth, ms (one sample) */
  connectMs: number;
  /** a fresh exec channel per command (open + exec + exit-status + close) */
  channel: Dist;
  /** one command framed over the persistent `sh` */
  shell: Dist;
  /** five commands in one write to the persistent shell */
  many5: Dist;
  /** extra commands, each timed alone over the persistent shell */
  probes: { label: string; d: Dist }[];
}

async function timeIt(n: number, f: () => Promise<unknown>): Promise<Dist> {
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await f();
    xs.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  xs.sort((a, b) => a - b);
  return { median: xs[Math.floor(n / 2)], p90: xs[Math.floor(n * 0.9)], min: xs[0] };
}

/** Measure on a fresh connection to `sshd` (which this does not stop). */
export async function measureRtt(sshd: Sshd, n = 200, probes: { label: string; cmd: string }[] = []): Promise<Rtt> {
  const t = new SshTransport(sshOptionsFor(sshd));
  try {
    const c0 = process.hrtime.bigint();
    await t.connect();
    const connectMs = Number(process.hrtime.bigint() - c0) / 1e6;
    await t.exec('true'); // opens the persistent shell
    await t.execRaw('true');
    const channel = await timeIt(n, () => t.execRaw('true'));
    const shell = await timeIt(n, () => t.exec('true'));
    const many5 = await timeIt(n, () => t.execMany(['true', 'echo x', 'false', 'id -u', 'pwd']));
    const ps: Rtt['probes'] = [];
    for (const p of probes) {
      const r = await t.exec(p.cmd);
      if (r.code !== 0) throw new Error(`probe ${p.label} failed: rc=${r.code} ${r.stderr}`);
      ps.push({ label: p.label, d: await timeIt(Math.max(20, Math.floor(n / 4)), () => t.exec(p.cmd)) });
    }
    return { iterations: n, connectMs, channel, shell, many5, probes: ps };
  } finally {
    await t.close();
  }
}

export function rttLines(r: Rtt): string[] {
  const f = (d: Dist) => `median ${d.median.toFixed(2)} ms  p90 ${d.p90.toFixed(2)} ms  min ${d.min.toFixed(2)} ms`;
  return [
    `connect (TCP + handshake + auth): ${r.connectMs.toFixed(0)} ms`,
    `fresh exec channel:   ${f(r.channel)}  (${r.iterations} iterations)`,
    `persistent shell:     ${f(r.shell)}`,
    `execMany of 5:        ${f(r.many5)}`,
    `speed-up shell vs channel: ${(r.channel.median / r.shell.median).toFixed(1)}x`,
    ...r.probes.map((p) => `${p.label}: ${f(p.d)}  = ${(p.d.median / r.shell.median).toFixed(1)}x shell RTT`),
  ];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const sshd = await startSshd();
  try {
    console.log(rttLines(await measureRtt(sshd, Number(process.argv[2] ?? 200))).join('\n'));
  } finally {
    await sshd.stop();
  }
}
