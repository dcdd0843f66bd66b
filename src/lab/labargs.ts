/** Options of `kvplay lab COMMAND`: which lab(s) it works on. Pure (unit-tested). */
import { DEFAULT_LAB, labNameProblem, parsePackageList } from './config.js';
import { classNames } from './class.js';
import { LabError } from './sys.js';

export interface LabArgs {
  /** the labs the command works on (one, unless --count or --all) */
  names: string[];
  /** --all (down): every lab with a state dir here */
  all: boolean;
  /** --count N: a class (names PREFIX1..PREFIXN) */
  count?: number;
  subnet?: string;
  /** --packages a,b (up, reset, build): the extra packages of the local repository ([] for `none`) */
  packages?: string[];
  /** what follows the options (ssh: HOST [CMD...]) */
  rest: string[];
}

/** Which options each command takes. */
const ALLOWED: Record<string, string[]> = {
  up: ['--name', '--count', '--prefix', '--subnet', '--packages'],
  down: ['--name', '--count', '--prefix', '--all'],
  reset: ['--name', '--packages'],
  status: ['--name'],
  ssh: ['--name'],
  build: ['--packages'],
  list: [],
};
const TAKES_VALUE = new Set(['--name', '--count', '--prefix', '--subnet', '--packages']);

/**
 * Parse the options after the command word. `defaultLab` is the lab used without --name (the CLI
 * passes KVPLAY_LAB). For ssh, options end at the host name (the remote command is left alone).
 */
export function parseLabArgs(cmd: string, args: string[], defaultLab = DEFAULT_LAB): LabArgs {
  const allowed = ALLOWED[cmd] ?? [];
  const v: Record<string, string> = Object.create(null);
  let all = false;
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('--')) {
      if (cmd === 'ssh') break;
      throw new LabError(`unexpected argument ${JSON.stringify(a)}`);
    }
    const eq = a.indexOf('=');
    const flag = eq > 0 ? a.slice(0, eq) : a;
    if (!allowed.includes(flag))
      throw new LabError(`unknown option ${flag}`, allowed.length ? `it takes ${allowed.join(', ')}` : 'it takes no options');
    if (flag === '--all') {
      all = true;
      continue;
    }
    if (!TAKES_VALUE.has(flag)) continue;
    const val = eq > 0 ? a.slice(eq + 1) : args[++i];
    if (val === undefined || val === '') throw new LabError(`${flag} needs a value`);
    if (flag in v) throw new LabError(`${flag} given twice`);
    v[flag] = val;
  }
  const rest = args.slice(i);
  const exclusive = ['--name', '--count', '--all'].filter((f) => (f === '--all' ? all : f in v));
  if (exclusive.length > 1) throw new LabError(`${exclusive.join(' and ')} exclude each other`);
  if ('--prefix' in v && !('--count' in v)) throw new LabError(`--prefix goes with --count`, `e.g. kvplay lab ${cmd} --count 8 --prefix student`);
  if ('--subnet' in v && '--count' in v) throw new LabError(`--subnet is for one lab; a class gets free subnets`);
  let names: string[];
  let count: number | undefined;
  if ('--count' in v) {
    count = Number(v['--count']);
    if (!/^\d+$/.test(v['--count']) || count < 1 || count > 254) throw new LabError(`--count must be a whole number from 1 to 254, got ${JSON.stringify(v['--count'])}`);
    names = classNames(count, v['--prefix'] ?? 'lab');
  } else names = all ? [] : [v['--name'] ?? defaultLab];
  for (const n of names) {
    const bad = labNameProblem(n);
    if (bad) throw new LabError(bad, 'lab names: a lowercase letter, then letters, digits, dashes (e.g. student1)');
  }
  return { names, all, count, subnet: v['--subnet'], ...('--packages' in v ? { packages: parsePackageList(v['--packages']) } : {}), rest };
}
