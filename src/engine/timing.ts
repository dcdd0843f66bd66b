/**
 * -vvv: the wall time of every remote round trip, as `log` events (level 3) with a `timing`
 * (src/report/events.ts CommandTiming), so a run shows where its time goes on the hosts, like
 * Ansible's `<host> SSH: EXEC ...` lines. The bench (bench/stages.ts) sums them per task and stage.
 * Only at -vvv: below it the transport is used as it is.
 */
import type { CommandTiming, Reporter } from '../report/events.js';
import type { Transport } from '../transport/types.js';

/** Epoch ms with a fraction. */
const now = () => performance.timeOrigin + performance.now();

/** kvplay's own framing lines in a command (locale, exec check, section markers): not what it runs. */
const FRAMING = [
  /^LC_ALL=C; export LC_ALL$/, /^NL='$/, /^'$/, /^exit 0$/, /^esac$/,
  /^kvplay_d=\$\(mktemp -d \/tmp\/kvplay-sections-/, /^trap 'rm -rf "\$kvplay_d"' EXIT$/, /^printf '\\n@@kvplay-section/, /^wait "\$kvplay_p\d+"; kvplay_r=\$\?$/, /^cat "\$kvplay_d\/\d+"$/,
  /^[)}](?: 2>&1)? <\/dev\/null$/, /^\} >\/dev\/null$/, /^\) >"\$kvplay_d\/\d+"/,
];

/**
 * A command as one short line: without kvplay's framing (the command module's exec check, the
 * sections of a probe script), blanks collapsed, at most `max` characters.
 */
export function commandLabel(cmd: string, max = 240): string {
  const keep: string[] = [];
  let inCheck = false;
  for (const raw of cmd.split('\n')) {
    const l = raw.trim();
    if (/^kvplay_exe=/.test(l)) inCheck = true;
    if (inCheck) {
      if (/^if \[ -n "\$kvplay_e" \]/.test(l)) inCheck = false;
      continue;
    }
    if (!l || FRAMING.some((re) => re.test(l))) continue;
    keep.push(l.replace(/^[({] /, ''));
  }
  const one = (keep.length ? keep.join('; ') : cmd).replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

export function emitTiming(reporter: Reporter, host: string, t: CommandTiming): void {
  const what = t.what === 'probe' ? `probe (${t.cmds ?? 1} commands)` : t.what;
  const rc = t.rc !== undefined ? ` rc=${t.rc}` : '';
  reporter.emit({ kind: 'log', level: 3, host, msg: `${what} ${t.ms.toFixed(1)} ms${rc}${t.cmd ? `: ${t.cmd}` : ''}`, timing: t });
}

/**
 * The transport with each exec/execMany timed and reported. `noLog`: the task has no_log, so the
 * command text is not shown (its timing is).
 */
export function timedTransport(t: Transport, reporter: Reporter, host: string, task: string, noLog: boolean): Transport {
  const label = (cmd: string) => (noLog ? undefined : commandLabel(cmd));
  const report = (x: Omit<CommandTiming, 'task' | 'ms'>, start: number) => emitTiming(reporter, host, { ...x, task, ms: now() - start });
  return {
    name: t.name,
    connect: () => t.connect(),
    close: () => t.close(),
    ...(t.interrupt ? { interrupt: () => t.interrupt!() } : {}),
    exec: async (cmd, o) => {
      const at = now();
      try {
        const r = await t.exec(cmd, o);
        report({ what: 'exec', at, rc: r.code, cmd: label(cmd) }, at);
        return r;
      } catch (e) {
        report({ what: 'exec', at, rc: -1, cmd: label(cmd) }, at);
        throw e;
      }
    },
    execMany: async (cmds, o) => {
      const at = now();
      const rs = await t.execMany(cmds, o);
      report({ what: 'probe', at, cmds: cmds.length, rc: Math.max(0, ...rs.map((r) => r.code)), cmd: noLog || !cmds.length ? undefined : cmds.map((c) => commandLabel(c, 120)).join(' | ') }, at);
      return rs;
    },
  };
}
