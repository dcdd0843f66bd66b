/**
 * Round trip of one trivial command: fresh ssh2 exec channel vs the persistent remote shell,
 * on one connection to a throwaway loopback sshd (test/harness/sshd.ts; needs root + openssh-server).
 *   node --import tsx bench/transport-rtt.ts [iterations=200]
 */
import { startSshd, sshOptionsFor } from '../test/harness/sshd.js';
import { SshTransport } from '../src/transport/ssh.js';

const N = Number(process.argv[2] ?? 200);

async function timeIt(f: () => Promise<unknown>): Promise<{ median: number; p90: number }> {
  const xs: number[] = [];
  for (let i = 0; i < N; i++) {
    const t0 = process.hrtime.bigint();
    await f();
    xs.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  xs.sort((a, b) => a - b);
  return { median: xs[Math.floor(N / 2)], p90: xs[Math.floor(N * 0.9)] };
}

const sshd = await startSshd();
const t = new SshTransport(sshOptionsFor(sshd));
try {
  const c0 = Date.now();
  await t.connect();
  const connectMs = Date.now() - c0;
  await t.exec('true'); // opens the persistent shell
  await t.execRaw('true');
  const channel = await timeIt(() => t.execRaw('true'));
  const shell = await timeIt(() => t.exec('true'));
  const many = await timeIt(() => t.execMany(['true', 'echo x', 'false', 'id -u', 'pwd']));
  console.log(`connect (TCP + handshake + auth): ${connectMs} ms`);
  console.log(`fresh exec channel:   median ${channel.median.toFixed(2)} ms  p90 ${channel.p90.toFixed(2)} ms  (${N} iterations)`);
  console.log(`persistent shell:     median ${shell.median.toFixed(2)} ms  p90 ${shell.p90.toFixed(2)} ms`);
  console.log(`execMany of 5:        median ${many.median.toFixed(2)} ms  p90 ${many.p90.toFixed(2)} ms`);
  console.log(`speed-up: ${(channel.median / shell.median).toFixed(1)}x`);
} finally {
  await t.close();
  await sshd.stop();
}
