/**
 * The environment and the process's own streams (console.* too) are the CLI's: src/cli reads them once and passes
 * options in (RunOptions, ReporterOptions, TransportOptions). Elsewhere only the files below may
 * touch process.env / process.stdout / process.stderr / process.stdin, each for its reason.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = new URL('../..', import.meta.url).pathname;
const ALLOWED: Record<string, string> = {
  'src/cli/': 'the command line: reads the environment once',
  'src/lab/': '`kvplay lab`: a command of its own (src/lab/config.ts: its directories; children get the environment)',
  'src/template/lookups.ts': "lookup('env'): the controller's environment, as Ansible's",
  'src/template/lookups-files.ts': '~ in lookup paths: the controller user\'s HOME, as Ansible',
  'src/template/filters-path.ts': 'expanduser / expandvars filters: the controller\'s environment, as Ansible',
  'src/template/pydate.ts': 'strftime: the controller\'s TZ, as Python',
  'src/guest/build.ts': 'the guest build cache (KVPLAY_CACHE_DIR, as src/lab/config.ts)',
  'src/modules/pause.ts': 'pause: prompts on the terminal',
  'src/report/tty.ts': 'listr2 wraps at process.stdout.columns: the width is read to match it',
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('process.env and the process streams only where allowed', () => {
  const found: string[] = [];
  for (const f of files(join(ROOT, 'src'))) {
    const rel = relative(ROOT, f);
    if (Object.keys(ALLOWED).some((a) => rel.startsWith(a))) continue;
    readFileSync(f, 'utf8').split('\n').forEach((line, i) => {
      const code = line.replace(/\/\*.*?\*\//g, '').replace(/\/\/.*$/, '').replace(/^\s*\*.*$/, '');
      if (/\bprocess\.(env|stdout|stderr|stdin)\b|\bconsole\.(log|error|warn|info)\(/.test(code)) found.push(`${rel}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.equal(found, [], 'read it in src/cli and pass it in as an option');
});

test.run();
