import { readFileSync, readdirSync } from 'node:fs';
const dir = process.argv[2];
const agg = {};
let total = 0;
for (const f of readdirSync(dir)) {
  const p = JSON.parse(readFileSync(dir + '/' + f, 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  p.samples.forEach((id, i) => {
    const n = byId.get(id); const url = n.callFrame.url; const d = p.timeDeltas[i] / 1000;
    let g = url ? url.replace(/.*\/dist\/bundle\//, 'bundle:').replace(/.*node_modules\//, 'nm:').replace(/^node:.*/, 'node-internal') : '(' + n.callFrame.functionName + ')';
    agg[g] = (agg[g] || 0) + d; total += d;
  });
}
const files = readdirSync(dir).length;
console.log('total ms/run', (total / files).toFixed(1));
for (const [k, v] of Object.entries(agg).sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log((v / files).toFixed(1).padStart(7), k);
