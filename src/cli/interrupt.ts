/**
 * Ctrl-C (SIGINT), SIGTERM or SIGHUP during a run. The commands kvplay started do not get the
 * signal: they run on other hosts, or locally in their own process groups. So kvplay stops them
 * (Transport.interrupt: SIGTERM to each running command's tree, SIGKILL a second later), says
 * which tasks were interrupted on which hosts, and exits 128 + the signal (130 for Ctrl-C).
 * A second signal exits at once.
 */
import { constants } from 'node:os';
import type { RunState } from '../engine/state.js';
import type { Reporter } from '../report/events.js';
import { interruptLocal } from '../transport/index.js';

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
/** stopping the remote commands may take this long before kvplay exits anyway */
const STOP_WAIT_MS = 5000;

const within = (ms: number, p: Promise<unknown>) => Promise.race([p.catch(() => undefined), new Promise((r) => setTimeout(r, ms))]);

/** Install the handlers for the duration of a run; returns their removal. */
export function onInterrupt(run: RunState, reporter: Reporter, exit: (code: number) => void = (c) => process.exit(c)): () => void {
  let stopping = false;
  const handler = (sig: NodeJS.Signals) => {
    const code = 128 + (constants.signals[sig] ?? 2);
    if (stopping) return exit(code);
    stopping = true;
    run.aborted = true;
    run.interrupted = { signal: sig, code };
    void stop(run, reporter, sig).finally(() => exit(code));
  };
  for (const s of SIGNALS) process.on(s, handler);
  return () => {
    for (const s of SIGNALS) process.off(s, handler);
  };
}

async function stop(run: RunState, reporter: Reporter, sig: NodeJS.Signals): Promise<void> {
  const emit: Reporter['emit'] = (ev) => {
    try { reporter.emit(ev); } catch { /* the run ended meanwhile */ }
  };
  // said first: the engine reacts to the killed commands (and ends the run) while this runs
  emit({ kind: 'error', msg: `User interrupted execution (${sig})` });
  for (const [host, task] of run.running ?? []) {
    emit({ kind: 'warning', host, msg: `interrupted (${sig}): task '${task}' stopped, its running command is killed` });
  }
  const hosts = [...run.hosts.values()];
  await within(STOP_WAIT_MS, Promise.all([interruptLocal(), ...hosts.map((h) => h.transport?.interrupt?.())]));
  // idle shells end cleanly (their temp dirs go with them)
  await within(2000, Promise.all(hosts.map((h) => h.transport?.close())));
  await within(2000, reporter.close());
}
