/**
 * Per-stage analysis for `npm run bench:lab` (bench/realistic.ts), pure functions over what the
 * runs print: kvplay's `--json` events (with `-vvv`, one `log` event with a `timing` per remote
 * round trip: src/engine/timing.ts) and ansible-playbook's ansible.posix.json callback document.
 *
 *   stage wall    from the stage's play start to the next play's start (the last: to the recap);
 *                 both tools run the stages as plays in the same order (STAGES);
 *   floor         the remote time a run cannot avoid with these commands: per task, the slowest
 *                 host's summed round trips; summed over the stage's tasks; the first stage also
 *                 waits for the slowest SSH handshake (made ahead, before its first task);
 *   own share     stage wall - floor: kvplay's own time (parsing, templating, planning, waiting).
 */

/** The stages of playbooks/site.yaml (and bench/ansible/site.yaml), one play each, in order. */
export const STAGES = ['nfs', 'storage', 'bridge', 'ssh_trust', 'libvirt', 'guest', 'migrate'] as const;

export interface Ev {
  kind: string;
  ts: string;
  play?: string;
  task?: string;
  module?: string;
  host?: string;
  status?: string;
  durationMs?: number;
  handler?: boolean;
  /** recap: counts per host; task_start: the hosts the task runs on */
  hosts?: Record<string, Record<string, number>> | string[];
  timing?: { what: string; task: string; ms: number; rc?: number; cmds?: number; cmd?: string; at: number };
}

export function parseEvents(stdout: string): Ev[] {
  return stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Ev);
}

const ts = (e: Ev) => Date.parse(e.ts);

/** Wall ms per play (stage), from --json events. */
export function kvplayStageMs(events: Ev[]): number[] {
  const starts = events.filter((e) => e.kind === 'play_start').map(ts);
  const end = events.find((e) => e.kind === 'recap') ?? events[events.length - 1];
  return starts.map((s, i) => (i + 1 < starts.length ? starts[i + 1] : ts(end)) - s);
}

export interface Recap { hosts: number; ok: number; changed: number; failed: number; unreachable: number }

export function kvplayRecap(events: Ev[]): Recap {
  const r: Recap = { hosts: 0, ok: 0, changed: 0, failed: 0, unreachable: 0 };
  for (const c of Object.values((events.find((e) => e.kind === 'recap')?.hosts ?? {}) as Record<string, Record<string, number>>)) {
    r.hosts++;
    r.ok += c.ok ?? 0;
    r.changed += c.changed ?? 0;
    r.failed += c.failed ?? 0;
    r.unreachable += c.unreachable ?? 0;
  }
  return r;
}

/** "host: task" of every changed result. */
export function kvplayChanged(events: Ev[]): string[] {
  return events.filter((e) => e.kind === 'host_result' && e.status === 'changed').map((e) => `${e.host}: ${e.task}`);
}

interface AnsibleDoc {
  plays?: { play: { name: string; duration: { start: string; end?: string } }; tasks: { task: { name: string; duration?: { start: string; end?: string } }; hosts: Record<string, { changed?: boolean; skipped?: boolean }> }[] }[];
  stats?: Record<string, { ok?: number; changed?: number; failures?: number; unreachable?: number }>;
}

/** The ansible.posix.json document in stdout (warnings may come before it). */
export function parseAnsibleJson(stdout: string): AnsibleDoc {
  const i = stdout.indexOf('{');
  if (i < 0) throw new Error(`no JSON in ansible-playbook output: ${stdout.slice(0, 300)}`);
  return JSON.parse(stdout.slice(i)) as AnsibleDoc;
}

/** Wall ms per play, from the json callback's play and task times. */
export function ansibleStageMs(doc: AnsibleDoc): number[] {
  const plays = doc.plays ?? [];
  const starts = plays.map((p) => Date.parse(p.play.duration.start));
  const endOf = (p: NonNullable<AnsibleDoc['plays']>[number]) => {
    const ends = [p.play.duration.end, ...p.tasks.map((t) => t.task.duration?.end)].filter((x): x is string => !!x).map(Date.parse);
    return ends.length ? Math.max(...ends) : Date.parse(p.play.duration.start);
  };
  return plays.map((p, i) => (i + 1 < plays.length ? starts[i + 1] : endOf(p)) - starts[i]);
}

export function ansibleRecap(doc: AnsibleDoc): Recap {
  const r: Recap = { hosts: 0, ok: 0, changed: 0, failed: 0, unreachable: 0 };
  for (const s of Object.values(doc.stats ?? {})) {
    r.hosts++;
    r.ok += s.ok ?? 0;
    r.changed += s.changed ?? 0;
    r.failed += s.failures ?? 0;
    r.unreachable += s.unreachable ?? 0;
  }
  return r;
}

export function ansibleChanged(doc: AnsibleDoc): string[] {
  const out: string[] = [];
  for (const p of doc.plays ?? []) for (const t of p.tasks) for (const [h, r] of Object.entries(t.hosts)) if (r.changed && !r.skipped) out.push(`${h}: ${t.task.name}`);
  return out;
}

/** Where remote time goes, by kind of work (first runs: apt, services, firewalld, migration ...). */
export function categoryOf(module: string, task: string): string {
  if (module === 'package' || module === 'apt' || module === 'dnf') return 'apt';
  if (module === 'service' || module === 'systemd') return 'services';
  if (module === 'firewalld') return 'firewalld';
  if (module === 'migrate' || module === 'cold_migrate') return 'migration';
  if (module === 'wait_for' || module === 'libvirt_domain' || module === 'domain_xml' || module === 'guest_image' || /qemu-img/.test(task)) return 'guest';
  if (module === 'setup') return 'facts';
  return 'checks and other';
}

export interface RemoteCmd { stage: string; task: string; host: string; ms: number; what: string; cmd: string }

export interface StageProfile {
  stage: string;
  wallMs: number;
  /** remote critical path (see the file comment) */
  floorMs: number;
  /** the floor by category (categoryOf) */
  byCategory: Record<string, number>;
  tasks: number;
}

/**
 * From one `--json -vvv` run: per stage its wall time, floor and floor by category, and every
 * remote round trip (for the top list). The connect ahead counts into the first stage's floor.
 */
export function remoteProfile(events: Ev[]): { stages: StageProfile[]; cmds: RemoteCmd[]; connectMs: number } {
  const walls = kvplayStageMs(events);
  const stages: StageProfile[] = [];
  const cmds: RemoteCmd[] = [];
  let stage: StageProfile | undefined;
  let task: { name: string; module: string; hosts?: Set<string>; perHost: Map<string, number> } | undefined;
  let connectMs = 0;
  let play = -1;
  const closeTask = () => {
    if (!task || !stage) return;
    const m = Math.max(0, ...task.perHost.values());
    stage.floorMs += m;
    const cat = categoryOf(task.module, task.name);
    stage.byCategory[cat] = (stage.byCategory[cat] ?? 0) + m;
    stage.tasks++;
    task = undefined;
  };
  for (const e of events) {
    if (e.kind === 'play_start') {
      closeTask();
      play++;
      stage = { stage: STAGES[play] ?? e.play ?? `play ${play + 1}`, wallMs: walls[play] ?? NaN, floorMs: 0, byCategory: {}, tasks: 0 };
      stages.push(stage);
    } else if (e.kind === 'task_start') {
      closeTask();
      task = { name: e.task ?? '', module: e.module ?? '', ...(Array.isArray(e.hosts) ? { hosts: new Set(e.hosts) } : {}), perHost: new Map() };
    } else if (e.kind === 'task_end') closeTask();
    else if (e.kind === 'log' && e.timing) {
      const t = e.timing;
      if (t.what === 'connect') {
        connectMs = Math.max(connectMs, t.ms);
        continue;
      }
      // work done ahead for a later task (facts read ahead) is not on this task's path
      if (task && e.host && t.task === task.name && (!task.hosts || task.hosts.has(e.host))) task.perHost.set(e.host, (task.perHost.get(e.host) ?? 0) + t.ms);
      cmds.push({ stage: stage?.stage ?? '', task: t.task, host: e.host ?? '', ms: t.ms, what: t.what, cmd: t.cmd ?? '' });
    }
  }
  closeTask();
  if (stages[0]) {
    stages[0].floorMs += connectMs;
    stages[0].byCategory.connect = connectMs;
  }
  return { stages, cmds, connectMs };
}

/** The n slowest remote round trips. */
export function topCommands(cmds: RemoteCmd[], n = 15): RemoteCmd[] {
  return [...cmds].sort((a, b) => b.ms - a.ms).slice(0, n);
}
