/**
 * The HTML report's sections (tables, failures, diffs, notes). Every value from the run goes
 * through `esc` (the redactor's text net, then HTML escaping): host output is untrusted text.
 */
import type { Counts, HostStatus } from './events.js';
import { emptyCounts } from './events.js';
import { createPalette } from './color.js';
import { renderDiff } from './diff.js';
import { compactJson, explanationLines, fmtDuration } from './format.js';
import { shownStatus, worstShown, type ResultView, type RunView, type TaskView } from './html-model.js';

/** Redact (text net) then escape for HTML text and double-quoted attribute values. */
export type Esc = (v: unknown) => string;

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** HTML-escape text (also safe inside a double- or single-quoted attribute). NUL becomes U+FFFD. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ENTITIES[c]).replace(/\u0000/g, '\uFFFD');
}

export function makeEsc(net: (s: string) => string = (s) => s): Esc {
  return (v) => escapeHtml(net(typeof v === 'string' ? v : v === undefined || v === null ? '' : typeof v === 'object' ? compactJson(v) : String(v)));
}

const STATUS_ORDER: readonly HostStatus[] = ['ok', 'changed', 'failed', 'unreachable', 'skipped', 'rescued', 'ignored'];

const ms = (n: number | null | undefined) => (typeof n === 'number' && Number.isFinite(n) ? fmtDuration(n) : '–');
const badge = (s: HostStatus, e: Esc, text: string = s) => `<span class="st st-${s}">${e(text)}</span>`;
const firstLine = (s: string) => s.split('\n')[0];

/** Title, run facts and totals by status. */
export function headerSection(v: RunView, e: Esc): string {
  const totals = new Map<HostStatus, number>();
  for (const r of v.results) totals.set(shownStatus(r), (totals.get(shownStatus(r)) ?? 0) + 1);
  const code = v.exitCode;
  const outcome = code === null ? 'unfinished' : code === 0 ? 'ok' : code === 2 ? 'failed' : code === 4 ? 'unreachable' : 'error';
  const started = Number.isFinite(v.start) ? new Date(v.start).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC') : '–';
  const facts: Array<[string, string]> = [
    ['playbook', e(v.playbook ?? '–')],
    ['inventory', e(v.inventory ?? '–')],
    ['started', e(started)],
    ['duration', e(ms(v.durationMs))],
    ['exit code', `<span class="st st-${outcome === 'ok' ? 'ok' : 'failed'}">${e(code ?? '–')}</span>`],
    ['mode', e([v.check ? 'check (nothing changed)' : 'apply', v.diff ? '--diff' : ''].filter(Boolean).join(', '))],
    ['plays / tasks / hosts', e(`${v.plays.length} / ${v.tasks.length} / ${v.hosts.length}`)],
  ];
  const chips = STATUS_ORDER.filter((s) => totals.get(s)).map((s) => badge(s, e, `${s} ${totals.get(s)}`)).join(' ');
  return `<header><h1>kvplay run: ${e(v.playbook ?? '(no playbook)')}</h1>
<dl class="facts">${facts.map(([k, x]) => `<div><dt>${e(k)}</dt><dd>${x}</dd></div>`).join('')}</dl>
<p class="totals">${chips || 'no results'}</p></header>`;
}

/** PLAY RECAP as a table (one row per host), with the time spent on each host. */
export function recapSection(v: RunView, e: Esc): string {
  const hosts = v.recap ? Object.keys(v.recap) : [];
  if (!hosts.length) return '';
  hosts.sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  const keys: (keyof Counts)[] = ['ok', 'changed', 'unreachable', 'failed', 'skipped', 'rescued', 'ignored'];
  const time = new Map<string, number>();
  for (const r of v.results) time.set(r.host, (time.get(r.host) ?? 0) + r.durationMs);
  const spent = (h: string) => time.get(h) ?? 0;
  const rows = hosts.map((h) => {
    const c: Counts = { ...emptyCounts(), ...v.recap![h] };
    const cls = c.failed || c.unreachable ? 'failed' : c.changed ? 'changed' : 'ok';
    const cells = keys.map((k) => `<td class="num${c[k] ? ` st-${k}` : ''}">${e(c[k])}</td>`).join('');
    return `<tr><th scope="row"><span class="st st-${cls}">${e(h)}</span></th>${cells}<td class="num">${e(ms(spent(h)))}</td></tr>`;
  });
  return `<section id="recap"><h2>Play recap</h2><table class="grid"><thead><tr><th>host</th>${keys.map((k) => `<th>${k}</th>`).join('')}<th>time</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></section>`;
}

/** Every failure (failed, unreachable, ignored, rescued) with its full message; links to the result row. */
export function failuresSection(v: RunView, e: Esc): string {
  const bad = v.results.filter((r) => r.status === 'failed' || r.status === 'unreachable' || r.status === 'ignored' || r.status === 'rescued');
  const errs = v.errors.map((x) => `<li class="fail"><span class="st st-failed">error</span> ${x.loc ? `<code>${e(x.loc)}</code> ` : ''}<pre>${e(x.msg)}</pre>${x.hint ? `<p class="hint">hint: ${e(x.hint)}</p>` : ''}</li>`);
  if (!bad.length && !errs.length) return '';
  const items = bad.map((r) => `<li class="fail"><a href="#r${r.id}">${badge(shownStatus(r), e)} <b>${e(r.host)}</b> — ${e(r.task.name)}${r.item !== undefined ? ` (item=${e(r.item)})` : ''}</a><pre>${e(r.reason || r.status)}</pre></li>`);
  return `<section id="failures"><h2>Failures <span class="count">${bad.length + errs.length}</span></h2><ul class="failures">${[...errs, ...items].join('\n')}</ul></section>`;
}

/** Plays and their tasks: module, duration, one status chip per host. */
export function playsSection(v: RunView, e: Esc): string {
  if (!v.plays.length) return '';
  const taskRow = (t: TaskView) => {
    const byHost = new Map<string, ResultView[]>();
    for (const r of t.results) byHost.set(r.host, [...(byHost.get(r.host) ?? []), r]);
    const chips = [...byHost].map(([h, rs]) => `<a class="chip st-${worstShown(rs)}" href="#r${rs[0].id}" title="${e(`${h}: ${worstShown(rs)}`)}">${e(h)}</a>`).join(' ');
    const name = `${t.handler ? '<span class="tag">handler</span> ' : ''}${e(t.name || t.module)}`;
    return `<tr><td>${name}${t.loc ? `<div class="loc">${e(t.loc)}</div>` : ''}</td><td><code>${e(t.module)}</code></td><td class="num">${e(ms(t.durationMs))}</td><td>${chips || '<span class="muted">no host ran it</span>'}</td></tr>`;
  };
  const plays = v.plays.map((p) => `<div class="play"><h3>PLAY [${e(p.name)}] <span class="muted">${e(p.hosts.join(', '))}</span>${p.loc ? ` <span class="loc">${e(p.loc)}</span>` : ''}</h3>
${p.tasks.length ? `<table class="grid tasks"><thead><tr><th>task</th><th>module</th><th>duration</th><th>hosts</th></tr></thead><tbody>${p.tasks.map(taskRow).join('\n')}</tbody></table>` : '<p class="muted">no tasks ran</p>'}</div>`);
  return `<section id="plays"><h2>Plays and tasks</h2>${plays.join('\n')}</section>`;
}

/** ARA-like results table: filters by status, host and text; a click on a row shows its details. */
export function resultsSection(v: RunView, e: Esc): string {
  if (!v.results.length) return '';
  const present = STATUS_ORDER.filter((s) => v.results.some((r) => shownStatus(r) === s));
  const boxes = present.map((s) => `<label class="chip st-${s}"><input type="checkbox" name="status" value="${s}" checked> ${s} <span class="n">${v.results.filter((r) => shownStatus(r) === s).length}</span></label>`).join(' ');
  const hostOpts = v.hosts.map((h) => `<option value="${e(h)}">${e(h)}</option>`).join('');
  const rows = v.results.map((r) => {
    const s = shownStatus(r);
    const msg = r.output !== undefined ? r.output : r.reason;
    return `<tr class="res" id="r${r.id}" data-id="${r.id}" data-status="${s}" data-host="${e(r.host)}" tabindex="0" aria-expanded="false">
<td>${badge(s, e)}${r.check ? ' <span class="tag">check</span>' : ''}</td><td>${e(r.host)}</td><td>${e(r.task.name)}${r.item !== undefined ? ` <span class="muted">(item=${e(r.item)})</span>` : ''}<div class="loc">${e(r.task.play)}</div></td><td><code>${e(r.task.module)}</code></td><td class="num">${e(ms(r.durationMs))}</td><td class="msg">${e(firstLine(msg))}</td></tr>
<tr class="detail" id="d${r.id}"><td colspan="6">${resultDetail(r, e)}</td></tr>`;
  });
  return `<section id="results"><h2>Results <span class="count" id="shown">${v.results.length}</span></h2>
<form class="filters" id="filters">${boxes}
<label>host <select id="f-host"><option value="">all hosts</option>${hostOpts}</select></label>
<label>search <input type="search" id="f-text" placeholder="task, host, message"></label></form>
<table class="grid results"><thead><tr><th>status</th><th>host</th><th>task</th><th>module</th><th>duration</th><th>message</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></section>`;
}

function resultDetail(r: ResultView, e: Esc): string {
  const parts: string[] = [];
  parts.push(`<dl class="kv"><dt>task</dt><dd>${e(r.task.name)} <code>${e(r.task.module)}</code> <span class="loc">${e(r.task.loc)}</span></dd>
<dt>host</dt><dd>${e(r.host)}</dd>${r.item !== undefined ? `<dt>item</dt><dd>${e(r.item)}</dd>` : ''}<dt>duration</dt><dd>${e(ms(r.durationMs))}</dd></dl>`);
  if (r.reason) parts.push(`<h4>message</h4><pre>${e(r.reason)}</pre>`);
  if (r.output !== undefined) parts.push(`<h4>output</h4><pre>${e(r.output)}</pre>`);
  const prog = r.task.progress.filter((p) => p.host === r.host);
  if (prog.length) parts.push(`<h4>progress</h4><p class="progress">${e(`${prog.length} update(s), the last: ${prog[prog.length - 1].text}`)}</p>`);
  if (r.diff) parts.push(`<h4>diff</h4>${diffBlocks(r, e)}`);
  if (r.explain) parts.push(`<h4>explain</h4><pre class="explain">${e(explanationLines(r.explain).join('\n'))}</pre>`);
  if (r.data && Object.keys(r.data).length) parts.push(`<details><summary>result data</summary><pre>${e(pretty(r.data))}</pre></details>`);
  return parts.join('\n');
}

function pretty(v: unknown): string {
  try {
    return JSON.stringify(v, null, 2) ?? String(v);
  } catch {
    return compactJson(v);
  }
}

const plain = createPalette(0);

/** A result's diffs as unified diffs, each line classed (+ added, - removed, @@ hunk). */
function diffBlocks(r: ResultView, e: Esc): string {
  return (r.diff ?? [])
    .map((d) => {
      const lines = renderDiff(d, plain).map((l, i) => {
        const cls = i < 2 ? 'dh' : l.startsWith('@@') ? 'dk' : l.startsWith('+') ? 'da' : l.startsWith('-') ? 'dr' : 'dc';
        return `<span class="${cls}">${e(l)}</span>`;
      });
      return `<pre class="diff">${lines.join('\n')}</pre>`;
    })
    .join('\n');
}

/** Every diff of the run, by task and host. */
export function diffsSection(v: RunView, e: Esc): string {
  const withDiff = v.results.filter((r) => r.diff);
  if (!withDiff.length) return '';
  const blocks = withDiff.map((r) => `<div class="diffblock"><h3><a href="#r${r.id}">${badge(shownStatus(r), e)} ${e(r.host)} — ${e(r.task.name)}</a>${r.item !== undefined ? ` <span class="muted">(item=${e(r.item)})</span>` : ''}</h3>${diffBlocks(r, e)}</div>`);
  return `<section id="diffs"><h2>Diffs <span class="count">${withDiff.length}</span></h2>${blocks.join('\n')}</section>`;
}

/** Warnings, -v log lines, --list-* output and event kinds this version does not know. */
export function notesSection(v: RunView, e: Esc): string {
  const out: string[] = [];
  if (v.warnings.length) out.push(`<h3>Warnings</h3><ul class="notes">${v.warnings.map((w) => `<li>${w.host ? `[${e(w.host)}] ` : ''}<pre>${e(w.msg)}</pre>${w.loc ? ` <span class="loc">${e(w.loc)}</span>` : ''}</li>`).join('')}</ul>`);
  if (v.lists.length) out.push(`<h3>Listings</h3>${v.lists.map((l) => `<p><b>${e(l.what)}</b> of ${e(l.play)}</p><pre>${e((Array.isArray(l.items) ? l.items : []).join('\n'))}</pre>`).join('')}`);
  if (v.logs.length) out.push(`<details><summary>Log (${v.logs.length} lines)</summary><pre class="log">${v.logs.map((l) => e(`${l.host ? `<${l.host}> ` : ''}${l.msg}`)).join('\n')}</pre></details>`);
  if (v.unknown.length) out.push(`<p class="muted">${e(`${v.unknown.length} event(s) of kinds this kvplay does not know were left out: ${[...new Set(v.unknown)].join(', ')}`)}</p>`);
  return out.length ? `<section id="notes"><h2>Notes</h2>${out.join('\n')}</section>` : '';
}
