/**
 * The HTML report's inline style and script (no fonts, no network: the page's Content-Security-
 * Policy allows only these two, by hash). The script holds no run data: it reads the DOM.
 */

export const CSS = `
:root{--ok:#2e7d32;--changed:#a15c00;--failed:#c62828;--unreachable:#7f0000;--skipped:#00838f;--rescued:#6a1b9a;--ignored:#8e24aa;
--bg:#fff;--fg:#1d2126;--muted:#68707a;--line:#d9dde2;--soft:#f4f6f8;--code:#f6f8fa}
@media (prefers-color-scheme:dark){:root{--bg:#16191d;--fg:#e3e6ea;--muted:#9aa3ad;--line:#343a41;--soft:#1e2227;--code:#1c2024;
--ok:#5cb860;--changed:#e0a030;--failed:#ef5350;--unreachable:#ff8a80;--skipped:#4dd0e1;--rescued:#ba68c8;--ignored:#ce93d8}}
*{box-sizing:border-box}
body{margin:0;padding:0 1.5rem 3rem;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;background:var(--bg);color:var(--fg)}
header{padding:1rem 0 .5rem;border-bottom:1px solid var(--line)}
h1{font-size:1.35rem;margin:.2rem 0 .6rem;word-break:break-all}
h2{font-size:1.1rem;margin:1.6rem 0 .6rem;border-bottom:1px solid var(--line);padding-bottom:.2rem}
h3{font-size:.98rem;margin:1rem 0 .4rem}
h4{font-size:.85rem;margin:.6rem 0 .2rem;color:var(--muted)}
nav{position:sticky;top:0;background:var(--bg);padding:.4rem 0;border-bottom:1px solid var(--line);z-index:2}
nav a{margin-right:1rem;color:inherit}
a{color:inherit}
.facts{display:flex;flex-wrap:wrap;gap:.4rem 1.6rem;margin:0}
.facts div{min-width:8rem}.facts dt{color:var(--muted);font-size:.78rem}.facts dd{margin:0;word-break:break-all}
.totals{margin:.7rem 0 .2rem}
pre,code{font:12.5px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace}
pre{background:var(--code);border:1px solid var(--line);border-radius:4px;padding:.5rem .7rem;margin:.25rem 0;white-space:pre-wrap;word-break:break-word;max-height:32rem;overflow:auto}
table.grid{border-collapse:collapse;width:100%}
.grid th,.grid td{border-bottom:1px solid var(--line);padding:.3rem .5rem;text-align:left;vertical-align:top}
.grid thead th{background:var(--soft);font-weight:600;font-size:.8rem;color:var(--muted)}
.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
.st{display:inline-block;padding:0 .45rem;border-radius:3px;color:#fff;font-weight:600;font-size:.8rem}
.st.st-ok{background:var(--ok)}.st.st-changed{background:var(--changed)}.st.st-failed{background:var(--failed)}.st.st-unreachable{background:var(--unreachable)}
.st.st-skipped{background:var(--skipped)}.st.st-rescued{background:var(--rescued)}.st.st-ignored{background:var(--ignored)}
td.st-ok{color:var(--ok);font-weight:600}td.st-changed{color:var(--changed);font-weight:600}td.st-failed,td.st-unreachable{color:var(--failed);font-weight:600}
td.st-skipped{color:var(--skipped);font-weight:600}td.st-rescued,td.st-ignored{color:var(--rescued);font-weight:600}
.chip{display:inline-block;border:1px solid var(--line);border-left:4px solid var(--muted);border-radius:3px;padding:0 .4rem;margin:1px 0;text-decoration:none;font-size:.82rem;white-space:nowrap}
.chip.st-ok{border-left-color:var(--ok)}.chip.st-changed{border-left-color:var(--changed)}.chip.st-failed{border-left-color:var(--failed)}
.chip.st-unreachable{border-left-color:var(--unreachable)}.chip.st-skipped{border-left-color:var(--skipped)}.chip.st-rescued{border-left-color:var(--rescued)}.chip.st-ignored{border-left-color:var(--ignored)}
.chip input{margin:0 .2rem 0 0;vertical-align:-2px}
.tag{font-size:.72rem;border:1px solid var(--line);border-radius:3px;padding:0 .3rem;color:var(--muted)}
.muted,.loc{color:var(--muted)}.loc{font-size:.76rem;word-break:break-all}
.count{font-weight:400;color:var(--muted);font-size:.9rem}
.filters{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;margin:.4rem 0 .6rem}
.filters label{cursor:pointer}
.filters select,.filters input[type=search]{font:inherit;padding:.15rem .3rem;background:var(--bg);color:var(--fg);border:1px solid var(--line);border-radius:3px}
tr.res{cursor:pointer}tr.res:hover,tr.res:focus{background:var(--soft);outline:none}
tr.res.open{background:var(--soft)}
td.msg{max-width:28rem;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.js tr.detail{display:none}.js tr.detail.open{display:table-row}
tr.detail>td{background:var(--soft);padding:.4rem 1rem .8rem}
tr.res[hidden],tr.detail[hidden]{display:none}
.kv{display:grid;grid-template-columns:max-content 1fr;gap:.1rem .8rem;margin:.2rem 0}.kv dt{color:var(--muted)}.kv dd{margin:0;word-break:break-all}
.failures{list-style:none;padding:0;margin:0}.failures li{margin:.5rem 0}.failures a{text-decoration:none}
.hint{margin:.1rem 0;color:var(--muted)}
.notes{padding-left:1.2rem}
pre.diff{padding:.3rem 0}pre.diff span{display:inline-block;min-width:100%;padding:0 .7rem}
.diff .dh{font-weight:600;color:var(--muted)}.diff .da{background:rgba(46,160,67,.16)}.diff .dr{background:rgba(248,81,73,.16)}.diff .dk{color:var(--skipped)}
svg text{font:11px system-ui,sans-serif;fill:var(--fg)}
svg .axis{fill:var(--muted)}
svg .tick{stroke:var(--line);stroke-width:1}
svg .lane{fill:transparent}svg .lane.odd{fill:var(--soft)}
svg .bar{stroke:rgba(0,0,0,.25);stroke-width:.5}
svg .barlabel{fill:#fff;font-size:10.5px;pointer-events:none}
svg .fill-ok{fill:var(--ok)}svg .fill-changed{fill:var(--changed)}svg .fill-failed{fill:var(--failed)}svg .fill-unreachable{fill:var(--unreachable)}
svg .fill-skipped{fill:var(--skipped)}svg .fill-rescued{fill:var(--rescued)}svg .fill-ignored{fill:var(--ignored)}
svg a:hover .bar{stroke:var(--fg);stroke-width:1.5}
.chart .remaining{fill:none;stroke:#1e88e5;stroke-width:2}.chart .remaining.end{stroke-dasharray:4 3}
.chart .sample{fill:#1e88e5}
.chart .pass{stroke:var(--muted);stroke-dasharray:3 3}.chart .passlabel{fill:var(--muted);font-size:10px}
.chart .downtime{fill:rgba(198,40,40,.35);stroke:var(--failed)}.chart .dtlabel{fill:var(--failed);font-weight:600}
figure.migration{margin:1rem 0;max-width:900px}figcaption{margin-bottom:.3rem}
footer{margin-top:2rem;color:var(--muted);font-size:.8rem}
`;

export const JS = `
(function () {
  'use strict';
  document.documentElement.classList.add('js');
  var rows = Array.prototype.slice.call(document.querySelectorAll('tr.res'));
  function detail(tr) { return document.getElementById('d' + tr.getAttribute('data-id')); }
  function setOpen(tr, open) {
    tr.classList.toggle('open', open);
    tr.setAttribute('aria-expanded', open ? 'true' : 'false');
    var d = detail(tr);
    if (d) d.classList.toggle('open', open);
  }
  rows.forEach(function (tr) {
    tr.addEventListener('click', function (ev) {
      if (ev.target && ev.target.closest && ev.target.closest('a,summary,input,select')) return;
      setOpen(tr, !tr.classList.contains('open'));
    });
    tr.addEventListener('keydown', function (ev) {
      if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); setOpen(tr, !tr.classList.contains('open')); }
    });
  });
  var form = document.getElementById('filters');
  var host = document.getElementById('f-host');
  var text = document.getElementById('f-text');
  var shown = document.getElementById('shown');
  function apply() {
    var on = {};
    Array.prototype.forEach.call(document.querySelectorAll('input[name=status]'), function (b) { on[b.value] = b.checked; });
    var h = host ? host.value : '';
    var q = text ? text.value.toLowerCase() : '';
    var n = 0;
    rows.forEach(function (tr) {
      var d = detail(tr);
      var hay = (tr.textContent + ' ' + (d ? d.textContent : '')).toLowerCase();
      var show = on[tr.getAttribute('data-status')] !== false && (!h || tr.getAttribute('data-host') === h) && (!q || hay.indexOf(q) >= 0);
      tr.hidden = !show;
      if (d) d.hidden = !show;
      if (show) n++;
    });
    if (shown) shown.textContent = String(n);
  }
  if (form) {
    form.addEventListener('submit', function (ev) { ev.preventDefault(); });
    form.addEventListener('input', apply);
    form.addEventListener('change', apply);
  }
  function openHash() {
    var m = /^#r(\\d+)$/.exec(location.hash);
    var tr = m && document.getElementById('r' + m[1]);
    if (!tr) return;
    if (tr.hidden) {
      Array.prototype.forEach.call(document.querySelectorAll('input[name=status]'), function (b) { b.checked = true; });
      if (host) host.value = '';
      if (text) text.value = '';
      apply();
    }
    setOpen(tr, true);
    tr.scrollIntoView({ block: 'center' });
  }
  window.addEventListener('hashchange', openHash);
  openHash();
})();
`;
