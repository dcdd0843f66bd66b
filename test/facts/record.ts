/**
 * Records the raw output of the facts catalog (src/facts/) on a real host, into
 * test/fixtures/facts/<fact>-<case>.txt, for test/facts/catalog.test.ts. Run on the host itself
 * (local transport; as root):  npx tsx test/facts/record.ts
 * On the container lab's hosts (systemd hosts; holding the lab lock):
 *   bash /tmp/brief/lablock.sh npx tsx test/facts/record.ts lab   -> <fact>-<host>.txt
 * Hostile cases are set up first under /tmp/kvplay-facts-fixture (removed afterwards): a symlink
 * whose name and target hold newlines and fake section markers, a file whose content holds them.
 */
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalTransport } from '../../src/transport/local.js';
import { fileFactCmd } from '../../src/facts/file.js';
import { accountFactCmd } from '../../src/facts/account.js';
import { pkgFactCmd } from '../../src/facts/packages.js';
import { serviceFactCmd } from '../../src/facts/service.js';
import { userFileFact } from '../../src/facts/sshfiles.js';
import { zoneFactCmd } from '../../src/facts/firewalld.js';

const OUT = new URL('../fixtures/facts/', import.meta.url).pathname;
export const DIR = '/tmp/kvplay-facts-fixture';
/** a line of host data that looks like the section format (with and without a token) */
export const FAKE = '@@kvplay-section-rc target 0\n@@kvplay-section content #0123456789abcdef';
export const LINK = join(DIR, `li\nnk ${FAKE}`);
export const TARGET = `tar\n${FAKE}\nget`;

if (process.argv[2] === 'lab') {
  const { spawnSync } = await import('node:child_process');
  const bin = new URL('../../bin/kvplay.js', import.meta.url).pathname;
  const lab: Record<string, string> = {
    service: serviceFactCmd('ssh'),
    'packages-apt': pkgFactCmd('auto', ['openssh-server', 'no-such-pkg-kvplay'], false),
    'account-root': accountFactCmd('root'),
    'firewalld-zone': zoneFactCmd(),
  };
  for (const host of ['kvm1', 'nfs']) {
    for (const [name, cmd] of Object.entries(lab)) {
      const r = spawnSync('node', [bin, 'lab', 'ssh', host, cmd], { encoding: 'utf8' });
      writeFileSync(join(OUT, `${name}-${host}.txt`), r.stdout);
      process.stdout.write(`${name}-${host}: rc ${r.status}, ${r.stdout.length} bytes\n`);
    }
  }
  process.exit(0);
}

const t = new LocalTransport('local');
rmSync(DIR, { recursive: true, force: true });
mkdirSync(DIR);
try {
  writeFileSync(join(DIR, TARGET), `line 1\n${FAKE}\nlast line, no newline`);
  symlinkSync(TARGET, LINK);
  const facts: Record<string, string> = {
    'file-symlink-hostile': fileFactCmd(LINK, { content: 'always', access: true }),
    'file-missing': fileFactCmd(join(DIR, 'missing', 'x')),
    'file-dir': fileFactCmd('/etc', { access: true }),
    'account-root': accountFactCmd('root'),
    'account-missing': accountFactCmd('no-such-user-kvplay'),
    'packages-apt': pkgFactCmd('apt', ['bash', 'no-such-pkg-kvplay'], false),
    'service-ssh': serviceFactCmd('ssh'),
    'sshfiles-root': userFileFact('root', '.ssh/kvplay-no-such-file').cmd,
    'firewalld-zone-nobus': zoneFactCmd(),
  };
  for (const [name, cmd] of Object.entries(facts)) {
    const r = await t.exec(cmd);
    writeFileSync(join(OUT, `${name}.txt`), r.stdout);
    process.stdout.write(`${name}: rc ${r.code}, ${r.stdout.length} bytes${r.stderr ? `, stderr ${JSON.stringify(r.stderr.slice(0, 80))}` : ''}\n`);
  }
} finally {
  rmSync(DIR, { recursive: true, force: true });
}
