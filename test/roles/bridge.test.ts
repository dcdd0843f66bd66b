/**
 * The bridge switch script on a real lab host, on a private veth pair (never the host's SSH
 * path): the iproute2 backend end to end through the module (switch, confirm, idempotent), and
 * the rollback when the controller does not confirm in time. Needs root and the lab.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureLab } from '../../src/lab/index.js';
import { labTest } from '../harness/labgate.js';
import { switchSteps } from '../../src/modules/bridge/script.js';
import { kvplay, writePlaybook } from '../e2e/helpers.js';

const HOST = 'kvm2';
let SSHCFG = '';
let INV = '';

function on(cmd: string, input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const c = execFile('ssh', ['-F', SSHCFG, HOST, cmd], (err, stdout, stderr) => res({ code: err ? ((err as any).code ?? 1) : 0, stdout, stderr }));
    c.stdin?.on('error', () => {}); // EPIPE when ssh exits before reading: its result tells
    c.stdin?.end(input ?? '');
  });
}

const CLEAN = [
  'ip link del kvpbr9 2>/dev/null',
  'ip link del kvp9a 2>/dev/null',
  'systemctl disable kvplay-bridge-kvpbr9.service >/dev/null 2>&1',
  'rm -f /etc/systemd/system/kvplay-bridge-kvpbr9.service /etc/kvplay/bridge-kvpbr9.sh',
  'rm -rf /run/kvplay/bridge-kvpbr9',
  'systemctl daemon-reload',
  ':',
].join('; ');
const SETUP = 'ip link add kvp9a type veth peer name kvp9b && ip link set kvp9b up && ip addr add 192.0.2.9/24 dev kvp9a && ip link set kvp9a up';

/** Lab tests need root and the lab's tools: without them every test is reported as skipped (and no hook runs). */
labTest.before(async () => {
  const lab = await ensureLab();
  SSHCFG = lab.sshConfigPath;
  INV = lab.inventoryPath;
  await on(CLEAN);
});

labTest.after(async () => {
  await on(CLEAN);
});

labTest('no confirmation within the timeout: the switch is rolled back', async () => {
  assert.is((await on(SETUP)).code, 0);
  const mac = (await on('cat /sys/class/net/kvp9a/address')).stdout.trim();
  const [start, wait] = switchSteps({ br: 'kvpbr9', nic: 'kvp9a', mac, addrs: [{ cidr: '192.0.2.9/24', family: 'inet' }], stp: false, fd: 0, backend: 'iproute2', timeout: 3, systemd: true });
  assert.is((await on(start.cmd, String(start.stdin))).code, 0);
  const w = await on(wait.cmd);
  assert.is(w.stdout.trim(), 'switched', w.stderr);
  const during = await on('basename "$(readlink /sys/class/net/kvp9a/master)"; ip -br -4 addr show kvpbr9; systemctl is-enabled kvplay-bridge-kvpbr9.service');
  assert.match(during.stdout, /^kvpbr9\nkvpbr9\s+UP\s+192\.0\.2\.9\/24\s*\nenabled\n$/);
  // the controller stays silent: wait for the script's verdict (its 3 s are 30 sleeps of 0.1 s: longer on a busy host)
  const verdict = await on('for i in $(seq 1 600); do s=$(cat /run/kvplay/bridge-kvpbr9/status); [ "$s" = switched ] || { echo "$s"; exit 0; }; sleep 0.1; done; echo "still $s after 60 s"');
  assert.is(verdict.stdout.trim(), 'rolled-back', verdict.stderr);
  const after = await on('cat /run/kvplay/bridge-kvpbr9/status; ip link show kvpbr9 >/dev/null 2>&1 && echo bridge-left; ip -br -4 addr show kvp9a; test -e /etc/kvplay/bridge-kvpbr9.sh && echo script-left; systemctl is-enabled kvplay-bridge-kvpbr9.service 2>/dev/null; :');
  assert.match(after.stdout, /^rolled-back\nkvp9a@kvp9b\s+UP\s+192\.0\.2\.9\/24\s*\n$/);
  assert.match((await on('cat /run/kvplay/bridge-kvpbr9/log')).stdout, 'no confirmation from the controller within 3s: rolling back');
  await on(CLEAN);
});

labTest('the module (iproute2 backend): switch + confirm, then ok; the boot script is written', async () => {
  assert.is((await on(SETUP)).code, 0);
  const dir = mkdtempSync(join(tmpdir(), 'kvplay-br-'));
  try {
    const pb = writePlaybook(dir, 'br.yaml', [
      `- hosts: ${HOST}`,
      '  gather_facts: false',
      '  tasks:',
      '    - bridge: {name: kvpbr9, interface: kvp9a, rollback_timeout: 10}',
    ].join('\n'));
    const check = await kvplay([pb, '-i', INV, '--check'], { json: true });
    assert.is(check.code, 0);
    assert.match(check.stdout, 'kvpbr9: created over kvp9a (iproute2), 192.0.2.9/24 moved');
    const r = await kvplay([pb, '-i', INV], { json: true });
    assert.is(r.code, 0, r.stdout);
    assert.match(r.stdout, '"status":"changed"');
    assert.is((await on('cat /run/kvplay/bridge-kvpbr9/status')).stdout.trim(), 'committed');
    assert.match((await on('cat /etc/kvplay/bridge-kvpbr9.sh')).stdout, 'ip link set kvp9a master kvpbr9');
    const again = await kvplay([pb, '-i', INV], { json: true });
    assert.is(again.code, 0);
    assert.match(again.stdout, 'kvpbr9: bridge over kvp9a with 192.0.2.9/24 (iproute2)');
    assert.not.match(again.stdout, '"status":"changed"');
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await on(CLEAN);
  }
});

test.run();
