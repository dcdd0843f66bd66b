import { build } from 'esbuild';
const r = await build({ entryPoints: { kvplay: 'src/cli/main.ts' }, bundle: true, platform: 'node', format: 'esm', target: 'node20', outdir: '/tmp/kvmeta', splitting: true, outExtension: { '.js': '.mjs' }, external: ['cpu-features', '*.node'], metafile: true, write: false, logLevel: 'error', define: { KVPLAY_BUNDLED: 'true' }, minifyWhitespace: !!process.env.MW, minifySyntax: !!process.env.MW });
for (const [f, o] of Object.entries(r.metafile.outputs)) {
  if (!process.argv[2] || f.includes(process.argv[2])) {
  const g = {};
  for (const [i, v] of Object.entries(o.inputs)) { const k = i.startsWith('node_modules/') ? i.split('/').slice(0, 2).join('/') : i; g[k] = (g[k]||0) + v.bytesInOutput; }
  console.log(f, o.bytes, Object.entries(g).sort((a,b)=>b[1]-a[1]).slice(0,30).map(([k,v])=>`${k}:${(v/1024).toFixed(0)}k`).join(' '));
  }
}
