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

/** A command as one short line (its first 240 characters, blanks collapsed). */
export function commandLabel(cmd: string): string {
  const one = cmd.replace(/\s+/g, ' ').trim();
  return one.length > 240 ? `${one.slice(0, 239)}…` : one;
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
      report({ what: 'probe', at, cmds: cmds.length, rc: Math.max(0, ...rs.map((r) => r.code)), cmd: cmds.length ? label(cmds.map((c) => c.split('\n')[0]).join(' ; ')) : undefined }, at);
      return rs;
    },
  };
}
