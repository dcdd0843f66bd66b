/**
 * become_method from ansible.cfg and --become-method (issue 11): sudo or su are kept for the run
 * (below the keyword and ansible_become_method); another method is no startup error, as Ansible
 * fails only a task that becomes with it: a warning names it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAnsibleCfg } from '../../src/cli/ansiblecfg.js';
import { parseCli } from '../../src/cli/args.js';

function cfgWith(text: string) {
  const dir = mkdtempSync(join(tmpdir(), 'kvbm'));
  const cwd = join(dir, 'project');
  mkdirSync(cwd);
  mkdirSync(join(dir, 'home'));
  writeFileSync(join(cwd, 'ansible.cfg'), text);
  try {
    return loadAnsibleCfg({ env: {}, cwd, home: join(dir, 'home') });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('ansible.cfg become_method su is kept; --become-method wins', () => {
  const cfg = cfgWith('[privilege_escalation]\nbecome_method = su\n');
  assert.is(cfg.settings.becomeMethod, 'su');
  assert.equal(cfg.warnings, []);
  assert.is(parseCli(['pb.yml'], cfg.settings).becomeMethod, 'su');
  assert.is(parseCli(['pb.yml', '--become-method', 'sudo'], cfg.settings).becomeMethod, 'sudo');
});

test('ansible.cfg become_method kvplay lacks: a warning naming it and its line, not an error', () => {
  const cfg = cfgWith('[privilege_escalation]\nbecome = true\nbecome_method = doas\n');
  assert.is(cfg.settings.becomeMethod, 'doas');
  assert.equal(cfg.warnings.length, 1);
  assert.match(cfg.warnings[0], /become_method 'doas' \(.*ansible\.cfg:3:\d+\) is not supported/);
});

test.run();
