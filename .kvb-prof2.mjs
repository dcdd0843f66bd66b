import { readFileSync, readdirSync } from 'node:fs';
const dir = process.argv[2];
const agg = {};
const files = readdirSync(dir);
for (const f of files) {
  const p = JSON.parse(readFileSync(dir + '/' + f, 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  p.samples.forEach((id, i) => {
    const n = byId.get(id); const url = n.callFrame.url; const d = p.timeDeltas[i] / 1000;
    if (!url.startsWith('node:')) return;
    const k = url + ' ' + n.callFrame.functionName;
    agg[k] = (agg[k] || 0) + d;
  });
}
for (const [k, v] of Object.entries(agg).sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log((v / files.length).toFixed(1).padStart(7), k);
