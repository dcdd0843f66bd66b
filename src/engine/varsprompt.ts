/**
 * `vars_prompt:` when a play starts, as Ansible's PlaybookExecutor and Display.do_var_prompt: the
 * entries are templated with the play's variables; a name given with --extra-vars is not asked;
 * on a terminal the question is asked through the CLI's injected `askVar` (echo off when
 * `private`, the default; asked twice with `confirm`); without one, Ansible's warning "Not
 * prompting as we are not in interactive mode" and no answer. An empty answer takes `default`;
 * the value is a string (no answer and no default: "None", as Ansible's to_text(None)), a play
 * variable; `unsafe: true` keeps it from being templated.
 */
import { renderDeep, markUnsafeKey, mergeVars } from '../template/index.js';
import { pyStr } from '../template/py.js';
import { truthy } from '../template/truth.js';
import { boolish } from '../util/truth.js';
import type { Play, Vars } from '../playbook/model.js';
import type { RunState } from './state.js';

const warned = new WeakSet<RunState>();

/** The play with its prompted variables among its vars (the loaded play stays as it is). */
export async function withPrompts(run: RunState, play: Play): Promise<Play> {
  if (!play.varsPrompt?.length) return play;
  const base = mergeVars(play.vars, run.opts.extraVars);
  const got: Vars = Object.create(null);
  for (const { entry, loc } of play.varsPrompt) {
    const e = renderDeep(entry, base, loc) as Record<string, unknown>;
    const name = String(e.name);
    if (Object.prototype.hasOwnProperty.call(run.opts.extraVars, name)) continue;
    const def = e.default ?? null;
    const priv = e.private === undefined ? true : boolish(e.private);
    const prompt = e.prompt;
    const msg = truthy(prompt) && def !== null ? `${pyStr(prompt)} [${pyStr(def)}]: ` : truthy(prompt) ? `${pyStr(prompt)}: ` : `input for ${name}: `;
    let answer: string | null = null;
    const ask = run.opts.askVar;
    if (ask) {
      for (;;) {
        answer = await ask(msg, priv);
        if (!boolish(e.confirm ?? false) || answer === (await ask(`confirm ${msg}`, priv))) break;
        run.reporter.emit({ kind: 'warning', msg: '***** VALUES ENTERED DO NOT MATCH ****' });
      }
      if (priv && answer) run.secrets.add(answer);
    } else if (!warned.has(run)) {
      warned.add(run);
      run.reporter.emit({ kind: 'warning', msg: 'Not prompting as we are not in interactive mode' });
    }
    const value = pyStr(!answer && def !== null ? def : answer);
    got[name] = value;
    // a string cannot carry the mark itself: the key holds it (mergeVars keeps it)
    if (boolish(e.unsafe ?? false)) markUnsafeKey(got, name);
  }
  return { ...play, vars: mergeVars(play.vars, got) };
}
