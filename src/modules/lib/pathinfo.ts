/**
 * What a file-writing step reports for the module's result, as Ansible's modules return it: the
 * temp file written (copy's `src` on the target) and the path's information after the step
 * (AnsibleModule.add_path_info: owner, group, uid, gid, mode, state, size), printed by the step
 * itself so no extra round trip is needed. The temp name is NUL-ended (a name may hold a newline);
 * the stat line holds no name but the owner's and group's (which hold neither ':' nor a newline).
 */
import type { ExecResult } from '../../transport/types.js';
import { q } from '../../util/quote.js';
import type { Step } from '../../engine/module/types.js';
import { parseStatLine, REPORT_SRC, STAT_FMT, type StatInfo } from './fileops.js';
import { fmtMode } from '../../util/mode.js';

const REPORT_STAT = 'kvplay_stat=';

/** `step`, then the lstat of `path` printed for reportFrom (the step's own exit code is kept; a failing stat is no failure). */
export function withStatAfter(step: Step, path: string): Step {
  // --explain shows the step as it was (the report is framing)
  return { ...step, cmd: `(\n${step.cmd}\n) || exit $?\nprintf '${REPORT_STAT}'; stat -c ${q(STAT_FMT)} -- ${q(path)} || echo`, explain: step.explain ?? step.cmd };
}

/** What the steps reported (writeStep with report, withStatAfter): the temp file written, the path's lstat after the last step. */
export function reportFrom(results: ExecResult[]): { src?: string; stat?: StatInfo } {
  const out: { src?: string; stat?: StatInfo } = {};
  for (const r of results) {
    let from = 0;
    const i = r.stdout.indexOf(REPORT_SRC);
    const end = i >= 0 ? r.stdout.indexOf('\0', i) : -1;
    if (end > 0) {
      out.src = r.stdout.slice(i + REPORT_SRC.length, end);
      from = end + 1;
    }
    const j = r.stdout.lastIndexOf(REPORT_STAT);
    if (j >= from) {
      try {
        out.stat = parseStatLine(r.stdout.slice(j + REPORT_STAT.length).split('\n')[0]);
      } catch {
        // stat failed (the path went away meanwhile): no information
      }
    }
  }
  return out;
}

/**
 * Ansible's path information of a result (AnsibleModule.add_path_info): owner and mode of the
 * path itself (lstat), its state (link, directory, hard: more than one link, else file) and size.
 * `f`: the followed stat, for the link count.
 */
export function pathInfo(l: StatInfo, f?: StatInfo): Record<string, unknown> {
  const state = l.type === 'link' ? 'link' : l.type === 'directory' ? 'directory' : (f ?? l).nlink > 1 ? 'hard' : 'file';
  return { uid: l.uid, gid: l.gid, owner: l.owner, group: l.group, mode: fmtMode(l.mode), state, size: l.size };
}
