/**
 * A play's vars_files. Names without templates are read once for the play. A templated name
 * (`vars/{{ env }}.yml`) is rendered for each host with that host's variables — inventory, facts
 * (once gathered), play vars, facts set earlier, extra vars and the host's magic names — as Ansible
 * does (VariableManager renders vars_files per host).
 */
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { pyStr } from '../template/py.js';
import { InputError } from '../util/errors.js';
import { loadYamlFile } from '../yaml/load.js';
import { assignVars, isTemplate, mergeVars, render } from '../template/index.js';
import type { Play, Vars } from '../playbook/model.js';
import type { HostState, RunState } from './state.js';
import { factVars } from './vars.js';

/** A play's vars_files as read in this run: the same for every host, or per host when a name is templated. */
export interface PlayVarsFiles {
  all: Vars;
  byHost: Map<string, Vars>;
}

/** The variables of `play.varsFiles`, in order (a later file wins), names rendered with `vars`. */
function loadVarsFiles(play: Play, vars: Vars): Vars {
  const out = Object.create(null) as Vars;
  for (const vf of play.varsFiles) {
    // the first of the alternatives that exists (Ansible's list form), else Ansible's error at play start
    const names = (vf.alts ?? [vf.path]).map((n) => String(render(n, vars, vf.loc)));
    const p = names.map((n) => resolve(play.dir, n)).find((f) => existsSync(f));
    if (!p) throw new InputError(`vars file ${vf.alts ? pyStr(names) : names[0]} was not found`, vf.loc, `looked in ${play.dir}: Ansible, too, fails the play when it starts`);
    const data = loadYamlFile(p, vf.loc);
    if (data && typeof data === 'object' && !Array.isArray(data)) assignVars(out, data);
    else if (data != null) throw new InputError('a vars file must hold a mapping', vf.loc, 'write "name: value" lines');
  }
  return out;
}

const hasTemplatedVarsFiles = (play: Play) => play.varsFiles.some((vf) => (vf.alts ?? [vf.path]).some((n) => isTemplate(n)));

/** At play start: the vars_files when no name is templated (then they are the same for every host). */
export function playVarsFiles(run: RunState, play: Play): PlayVarsFiles {
  return { all: hasTemplatedVarsFiles(play) ? (Object.create(null) as Vars) : loadVarsFiles(play, mergeVars(play.vars, run.opts.extraVars)), byHost: new Map() };
}

/** For each host of a batch (after its facts are gathered): the vars_files whose names are templated. Throws a located InputError. */
export function hostVarsFiles(run: RunState, play: Play, into: PlayVarsFiles, h: HostState): void {
  if (!hasTemplatedVarsFiles(play)) return;
  const vars = mergeVars(h.invVars, factVars(h.facts), play.vars, h.hostFacts, run.opts.extraVars, {
    inventory_hostname: h.name,
    inventory_hostname_short: h.name.split('.')[0],
    group_names: run.groupsOf(h.name),
    groups: run.groups,
    playbook_dir: run.playbookDir,
  });
  into.byHost.set(h.name, loadVarsFiles(play, vars));
}
