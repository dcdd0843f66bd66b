/**
 * Records raw outputs from the VM lab's hosts into test/fixtures/vm/ (for the planning unit tests in
 * test/modules/vm-fixtures.test.ts): the exact fact commands the nfs_export, mount and bridge
 * modules run, plus what the kernel and NetworkManager say. Used by test/lab/vm.test.ts when
 * KVPLAY_RECORD_VM_FIXTURES=1 (after boot, after site.yaml, after the reboot); never in a normal run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../e2e/helpers.js';
import { bridgeFactCmd } from '../../src/modules/bridge/net.js';

export const FIXTURE_DIR = join(ROOT, 'test', 'fixtures', 'vm');
export const recording = process.env.KVPLAY_RECORD_VM_FIXTURES === '1';

type On = (host: string, cmd: string) => Promise<{ code: number; stdout: string; stderr: string }>;

/** name -> command, per role. Names: <what>-<host>-<stage>.txt */
const KVM: [string, string][] = [
  ['bridge-facts', bridgeFactCmd('br0')],
  ['mountinfo', 'cat /proc/self/mountinfo'],
  ['fstab', 'cat /etc/fstab'],
  ['nmcli-con', 'nmcli -t -f NAME,TYPE,DEVICE,AUTOCONNECT connection show'],
  ['nmcli-dev', 'nmcli -t -f DEVICE,TYPE,STATE device'],
  ['showmount', 'showmount -e nfs 2>&1'],
];
const NFS: [string, string][] = [
  ['bridge-facts', bridgeFactCmd('br0')],
  ['exports', 'cat /etc/exports'],
  ['exportfs-v', 'exportfs -v'],
  ['etab', 'cat /var/lib/nfs/etab'],
];

/** Record every command's stdout on every host (a failing command is recorded with its rc and stderr). */
export async function recordFixtures(on: On, stage: string): Promise<void> {
  if (!recording) return;
  mkdirSync(FIXTURE_DIR, { recursive: true });
  const jobs: Promise<void>[] = [];
  for (const [host, cmds] of [['kvm1', KVM], ['kvm2', KVM], ['nfs', NFS]] as const)
    jobs.push((async () => {
      for (const [what, cmd] of cmds) {
        const r = await on(host, cmd);
        const body = r.code === 0 ? r.stdout : `# rc=${r.code}\n# stderr: ${r.stderr.trim()}\n${r.stdout}`;
        writeFileSync(join(FIXTURE_DIR, `${what}-${host}-${stage}.txt`), body);
      }
    })());
  await Promise.all(jobs);
  console.log(`  recorded VM fixtures (${stage}) in ${FIXTURE_DIR}`);
}
