/**
 * A play's vars_files. Names without templates are read once for the play. A templated name
 * (`vars/{{ env }}.yml`) is rendered for each host with that host's variables — inventory, facts
 * (once gathered), play vars, facts set earlier, extra vars and the host's magic names — as Ansible
 * does (VariableManager renders vars_files per host).
 */
import { resolve } from 'node:path';
import { InputError } from '../util/errors.js';
import { loadYamlFile } from '../yaml/load.js';
import { assignVars, isTemplate, mergeVars, render } from '../template/index.js';
import type { Play, Vars } from '../playbook/model.js';
import type { HostState, RunState } from './state.js';
import { factVars } from './vars.js';

export type PlayVarsFiles = Play & { varsFilesData?: Vars; varsFilesByHost?: Map<string, Vars> };

/** The variables of `play.varsFiles`, in order (a later file wins), names rendered with `vars`. */
export function loadVarsFiles(play: Play, vars: Vars): Vars {
  const out = Object.create(null) as Vars;
  for (const vf of play.varsFiles) {
    const p = resolve(play.dir, String(render(vf.path, vars, vf.loc)));
    const data = loadYamlFile(p, vf.loc);
    if (data && typeof data === 'object' && !Array.isArray(data)) assignVars(out, data);
    else if (data != null) throw new InputError('a vars file must hold a mapping', vf.loc, 'write "name: value" lines');
  }
  return out;
}

export const hasTemplatedVarsFiles = (play: Play) => play.varsFiles.some((vf) => isTemplate(vf.path));

/** At play start: the vars_files when no name is templated (then they are the same for every host). */
export function playVarsFiles(run: RunState, play: PlayVarsFiles): void {
  play.varsFilesByHost = undefined;
  play.varsFilesData = hasTemplatedVarsFiles(play) ? (Object.create(null) as Vars) : loadVarsFiles(play, mergeVars(play.vars, run.opts.extraVars));
}

/** For each host of a batch (after its facts are gathered): the vars_files whose names are templated. Throws a located InputError. */
export function hostVarsFiles(run: RunState, play: PlayVarsFiles, h: HostState): void {
  if (!hasTemplatedVarsFiles(play)) return;
  const vars = mergeVars(h.invVars, factVars(h.facts), play.vars, h.hostFacts, run.opts.extraVars, {
    inventory_hostname: h.name,
    inventory_hostname_short: h.name.split('.')[0],
    group_names: run.groupsOf(h.name),
    groups: run.groups,
    playbook_dir: run.playbookDir,
  });
  (play.varsFilesByHost ??= new Map()).set(h.name, loadVarsFiles(play, vars));
}
