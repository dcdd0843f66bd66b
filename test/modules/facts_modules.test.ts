/**
 * service_facts, package_facts (src/modules/service_facts.ts, package_facts.ts) and setup's
 * gather_subset/filter (src/modules/setup.ts): pure parsers from recorded output, and (where the
 * tools are here) the module's view of this machine checked against python3-apt itself.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { parseServiceFacts, planServiceFacts } from '../../src/modules/service_facts.js';
import { managersOf, parseInstalledSources, parsePackageFacts, parseReleases, parseSections, planPackageFacts } from '../../src/modules/package_facts.js';
import { filterFacts, selectSubsets, subsetOf } from '../../src/modules/setup.js';
import { run } from './helpers.js';
import { requires } from '../harness/gate.js';
import { sectionsOutput } from '../harness/sections.js';

const SYSV = sectionsOutput({ mgrs: 'sysv', sysv: ' [ + ]  cron\n [ - ]  ssh\n [ ? ]  hwclock.sh', initd: 'initd' });
const SYSTEMD = ['\n@@kvplay-section mgrs', 'systemd', '\n@@kvplay-section-rc mgrs 0',
  '\n@@kvplay-section units',
  '  UNIT                  LOAD      ACTIVE   SUB     DESCRIPTION',
  '  cron.service          loaded    active   running Regular background program processing daemon',
  '● nope.service          not-found inactive dead    nope.service',
  '  ssh.service           loaded    inactive dead    OpenBSD Secure Shell server',
  '',
  'LOAD   = Reflects whether the unit definition was properly loaded.',
  '\n@@kvplay-section-rc units 0',
  '\n@@kvplay-section files',
  'UNIT FILE                 STATE           VENDOR PRESET',
  'cron.service              enabled         enabled',
  'nope.service              disabled        enabled',
  'ssh.service               enabled         enabled',
  'getty@.service            enabled         enabled',
  '',
  '4 unit files listed.',
  '\n@@kvplay-section-rc files 0',
  '\n@@kvplay-section states',
  'getty@.service\t',
  '\n@@kvplay-section-rc states 0',
].join('\n');

test('service_facts: SysV `service --status-all` and systemd units/unit files, as Ansible parses them', () => {
  const sysv = parseServiceFacts(SYSV);
  assert.equal(JSON.parse(JSON.stringify(sysv.services)), {
    cron: { name: 'cron', state: 'running', source: 'sysv' },
    ssh: { name: 'ssh', state: 'stopped', source: 'sysv' },
  });
  const sd = parseServiceFacts(SYSTEMD).services;
  assert.equal(sd['cron.service'], { name: 'cron.service', state: 'running', status: 'enabled', source: 'systemd' });
  assert.equal(sd['nope.service'], { name: 'nope.service', state: 'stopped', status: 'not-found', source: 'systemd' }, 'a bad state is kept');
  assert.equal(sd['ssh.service'], { name: 'ssh.service', state: 'stopped', status: 'enabled', source: 'systemd' });
  assert.equal(sd['getty@.service'], { name: 'getty@.service', state: 'unknown', status: 'enabled', source: 'systemd' });
  assert.is(Object.getPrototypeOf(sd), null);
  // `service` missing /etc/init.d with rc 4 (RHEL 9): nothing from SysV
  assert.equal(Object.keys(parseServiceFacts(sectionsOutput({ mgrs: 'sysv', sysv: { out: '', rc: 4 }, initd: '' })).services), []);
  const none = planServiceFacts(parseServiceFacts(sectionsOutput({ mgrs: '' })));
  assert.equal(none.result, { skipped: true, msg: 'Failed to find any services. This can be due to privileges or some other configuration issue.' });
  assert.equal(Object.keys(planServiceFacts(sysv).result!), ['ansible_facts']);
});

const APT_OUT = [
  '\n@@kvplay-section mgrs', 'apt', '\n@@kvplay-section-rc mgrs 0',
  '\n@@kvplay-section apt-native', 'amd64', '\n@@kvplay-section-rc apt-native 0',
  '\n@@kvplay-section apt-installed',
  'bash\t5.2.15-2+b8\tamd64\tshells\tii ',
  'zip\t3.0-13\tamd64\tutils\tii ',
  'gone\t1.0\tamd64\tutils\trc ',
  'libx\t2.0\ti386\tlibs\tii ',
  '\n@@kvplay-section-rc apt-installed 0',
  '\n@@kvplay-section apt-releases',
  'Package files:',
  ' 100 /var/lib/dpkg/status',
  '     release a=now',
  ' 500 http://deb.debian.org/debian bookworm/main amd64 Packages',
  '     release v=12.15,o=Debian,a=oldstable,n=bookworm,l=Debian,c=main,b=amd64',
  '     origin deb.debian.org',
  '\n@@kvplay-section-rc apt-releases 0',
  '\n@@kvplay-section apt-show',
  'Package: zip', 'Version: 3.0-13', 'Architecture: amd64', 'Section: archive',
  '\n@@kvplay-section-rc apt-show 0',
  '\n@@kvplay-section apt-policy',
  'bash:', '  Installed: 5.2.15-2+b8', '  Version table:', ' *** 5.2.15-2+b8 100', '        100 /var/lib/dpkg/status',
  'zip:', '  Installed: 3.0-13', '  Version table:', '     3.0-13+deb12u1 500', '        500 http://deb.debian.org/debian-security bookworm-security/main amd64 Packages',
  ' *** 3.0-13 500', '        500 http://deb.debian.org/debian bookworm/main amd64 Packages', '        100 /var/lib/dpkg/status',
  'libx:i386:', '  Version table:', ' *** 2.0 500', '        500 http://deb.debian.org/debian bookworm/main amd64 Packages',
  '\n@@kvplay-section-rc apt-policy 0',
].join('\n');

test('package_facts (apt): python-apt\'s view: installed only, foreign arch as name:arch, origin of the installed version, the cache\'s section', () => {
  const f = parsePackageFacts(APT_OUT, ['apt', 'rpm'], 'first');
  assert.is(f.found, 1);
  assert.equal(Object.keys(f.packages), ['bash', 'zip', 'libx:i386']);
  assert.equal(f.packages.bash, [{ name: 'bash', version: '5.2.15-2+b8', arch: 'amd64', category: 'shells', origin: '', source: 'apt' }]);
  assert.equal(f.packages.zip, [{ name: 'zip', version: '3.0-13', arch: 'amd64', category: 'archive', origin: 'Debian', source: 'apt' }]);
  assert.is(f.packages['libx:i386'][0].origin, 'Debian');
  assert.equal([...parseReleases(APT_OUT).entries()][1], ['http://deb.debian.org/debian bookworm/main amd64 Packages', 'Debian']);
  assert.equal(parseInstalledSources(APT_OUT).get('zip'), ['http://deb.debian.org/debian bookworm/main amd64 Packages', '/var/lib/dpkg/status']);
  assert.is(parseSections(APT_OUT).get('zip\t3.0-13\tamd64'), 'archive');
});

test('package_facts (rpm), managers and strategy; the failure when nothing answers', () => {
  const out = sectionsOutput({ mgrs: 'rpm', rpm: 'bash\t5.1.8\t6.el9\t(none)\tx86_64\nkernel\t5.14.0\t70.el9\t\tx86_64\nkernel\t5.14.0\t71.el9\t\tx86_64' });
  const f = parsePackageFacts(out, ['apt', 'rpm'], 'first');
  assert.equal(f.packages.bash, [{ name: 'bash', version: '5.1.8', release: '6.el9', epoch: null, arch: 'x86_64', source: 'rpm' }]);
  assert.is(f.packages.kernel.length, 2, 'every installed version, as a list');
  const both = APT_OUT.replace('\napt\n', '\napt\nrpm\n') + out; // both managers answer
  assert.equal(Object.keys(parsePackageFacts(both, ['apt', 'rpm'], 'first').packages).includes('kernel'), false, 'first: apt answered');
  assert.equal(Object.keys(parsePackageFacts(both, ['apt', 'rpm'], 'all').packages).includes('kernel'), true);
  assert.equal(managersOf({}), ['apt', 'rpm']);
  assert.equal(managersOf({ manager: ['rpm'] }), ['rpm']);
  assert.throws(() => managersOf({ manager: 'zypper' }), /^Unsupported package managers requested: zypper$/);
  assert.throws(() => managersOf({ manager: 'portage' }), /portage is not supported by kvplay/);
  assert.throws(() => planPackageFacts({}, { packages: Object.create(null), found: 0 }), /^Could not detect a supported package manager from the following list: \['apt', 'rpm'\]/);
});

test('setup gather_subset: min always, all by default, !x excludes, only exclusions mean all but those; Ansible\'s error for a bad name', () => {
  const facts = { distribution: 'Debian', processor_count: 2, memtotal_mb: 1, interfaces: ['lo', 'eth-0'], eth_0: {}, lo: {}, default_ipv4: {} };
  assert.is(subsetOf('processor_count', facts), 'hardware');
  assert.is(subsetOf('eth_0', facts), 'network');
  assert.is(subsetOf('distribution', facts), 'min');
  assert.equal([...selectSubsets(undefined)].sort(), ['hardware', 'min', 'network', 'virtual']);
  assert.equal([...selectSubsets(['!all'])], ['min']);
  assert.equal([...selectSubsets(['!all', '!min'])], []);
  assert.equal([...selectSubsets(['network'])].sort(), ['min', 'network']);
  assert.equal([...selectSubsets(['!hardware'])].sort(), ['min', 'network', 'virtual']);
  assert.equal([...selectSubsets(['distribution'])], ['min']);
  assert.throws(() => selectSubsets(['bogus']), /^Bad subset 'bogus' given to Ansible\. gather_subset options allowed: all, /);
  assert.equal(Object.keys(filterFacts({ distribution: 1, distribution_version: 2, os_family: 3 }, ['ansible_distribution*'])), ['distribution', 'distribution_version']);
});

const localTest = requires({ tools: ['ip', 'hostname'] });
localTest('setup on this machine: gather_subset !all keeps only min facts (and gather_subset, module_setup); filter applies last', async () => {
  const r = await run('setup', { gather_subset: ['!all'] });
  const f = r.data.ansible_facts as Record<string, unknown>;
  assert.ok('ansible_distribution' in f && 'ansible_pkg_mgr' in f);
  assert.not.ok('ansible_interfaces' in f || 'ansible_processor_count' in f || 'ansible_memtotal_mb' in f);
  assert.equal(f.gather_subset, ['!all']);
  assert.is(f.module_setup, true);
  const n = await run('setup', { gather_subset: 'network', filter: 'ansible_default_ipv4' });
  assert.equal(Object.keys(n.data.ansible_facts as object), ['ansible_default_ipv4']);
});

// python3-apt is the oracle for the apt side of package_facts (Ansible's package_facts uses it)
const aptTest = requires({ tools: ['dpkg-query', 'apt-cache'], files: ['/usr/lib/python3/dist-packages/apt/__init__.py'] });
aptTest('package_facts on this machine equals python3-apt\'s view (Ansible\'s package_facts)', async () => {
  const r = await run('package_facts', { manager: 'apt' });
  assert.is(r.status, 'ok', r.reason);
  const mine = (r.data.ansible_facts as { packages: Record<string, unknown[]> }).packages;
  const py = spawnSync('/usr/bin/python3', ['-c', `
import apt, json
c = apt.Cache()
out = {}
for pk in c.keys():
    if c[pk].is_installed:
        a = c[pk].installed
        out[pk] = [dict(name=pk, version=a.version, arch=a.architecture, category=a.section, origin=a.origins[0].origin, source='apt')]
print(json.dumps(out))
`], { encoding: 'utf8', maxBuffer: 1e8 });
  assert.is(py.status, 0, py.stderr);
  assert.equal(JSON.parse(JSON.stringify(mine)), JSON.parse(py.stdout));
});

test.run();
