// `kvplay lab reset --packages git` on the real lab: the package and python3-apt are in the hosts'
// offline repository, git installs on kvm1, Ansible's apt module works there, the same set again
// does not rebuild, a changed set is refused while the lab runs; at the end the extras are dropped
// again (`--packages none`) and a freshly reset lab is left up. Run it holding the lab lock.
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { paths } from '../../src/lab/config.js';
import { run } from '../../src/lab/sys.js';
import { labTest } from '../harness/labgate.js';
import { kvplay } from '../e2e/helpers.js';

const lab = (args: string[]) => kvplay(['lab', ...args]);

labTest('lab reset --packages git: in the repository, installable on the hosts; Ansible apt works; kept; refused while running when changed', async () => {
  try {
    const r = await lab(['reset', '--packages', 'git']);
    assert.is(r.code, 0, r.stdout + r.stderr);
    const pk = readFileSync(`${paths.repo()}/Packages`, 'utf8');
    assert.match(pk, /^Package: git$/m);
    assert.match(pk, /^Package: python3-apt$/m);
    assert.is(readFileSync(paths.repoExtras(), 'utf8'), 'git\n');
    const g = await lab(['ssh', 'kvm1', 'apt-get -q update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q git >/dev/null 2>&1 && git --version']);
    assert.is(g.code, 0, g.stdout + g.stderr);
    assert.match(g.stdout, /^git version /m);
    const a = await run('ansible', ['-i', paths.inventory(), 'kvm1', '-m', 'apt', '-a', 'name=hello state=present'], { timeoutMs: 300_000 });
    assert.is(a.code, 0, a.stdout + a.stderr);
    const again = await lab(['build', '--packages', 'git']);
    assert.is(again.code, 0, again.stderr);
    assert.not.match(again.stdout, /building the local apt repository/);
    const changed = await lab(['up', '--packages', 'ntpsec']);
    assert.is(changed.code, 1, changed.stdout);
    assert.match(changed.stderr, /--packages changes the local repository, which running labs use: default/);
  } finally {
    const back = await lab(['reset', '--packages', 'none']);
    assert.is(back.code, 0, back.stdout + back.stderr);
    assert.is(readFileSync(paths.repoExtras(), 'utf8'), '');
  }
});

labTest.run();
