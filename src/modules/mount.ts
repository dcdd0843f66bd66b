/**
 * mount (ansible.posix.mount): an fstab entry (edited atomically with a backup) and the live
 * mount, compared with what is wanted (source, type, visible options) and remounted when they
 * differ. systemctl daemon-reload after an fstab edit where systemd is PID 1.
 */
import { q } from '../util/quote.js';
import type { ExplainCheck, Fact, Module, ModuleCtx, Plan, Step } from '../engine/module/types.js';
import type { Diff } from '../report/events.js';
import { editFacts, editResult, planEdit, type EditFacts } from './lib/edit.js';
import { backupProp, bool, object, str, strEnum, type Static } from '../engine/module/schema.js';
import { formatFstab, fstabFields, normMountPath, parseMountinfo, type FstabEntry, type LiveMount } from '../facts/fstab.js';

export type MountParams = Static<typeof schema>;

type Facts = EditFacts & { live: LiveMount | undefined; dir: boolean; systemd: boolean };

const NEEDS_REMOUNT_BY_UMOUNT = /^(fuse|nfs|cifs|smb|sshfs|9p)/;

function optsOf(p: MountParams): string {
  let o = (p.opts ?? 'defaults').trim() || 'defaults';
  if (p.boot === false && !o.split(',').includes('noauto')) o = o === 'defaults' ? 'noauto' : `${o},noauto`;
  return o;
}

/** --explain: the live mount as `findmnt` shows it. */
function liveCheck(path: string, m: LiveMount | undefined): ExplainCheck {
  return { cmd: `findmnt ${q(path)}`, found: m ? `${m.src} mounted, type ${m.fstype}, options ${m.opts.join(',')}` : 'not mounted' };
}

/** `mount PATH` reads the rest from the fstab line: --explain says what that line holds. */
function mountExplain(qp: string, fstab: string, want?: { src: string; fstype: string; opts: string }): string {
  return want ? `mount ${qp}   # = mount -t ${q(want.fstype)} -o ${q(want.opts)} ${q(want.src)} ${qp}, from its ${fstab} line` : `mount ${qp}`;
}

export function planMount(p: MountParams, f: Facts, ctx: ModuleCtx): Plan {
  const path = normMountPath(p.path);
  if (!path.startsWith('/')) throw new Error(`path '${p.path}' must be absolute`);
  const fstab = p.fstab ?? '/etc/fstab';
  const qp = q(path);
  const live = f.live;
  const steps: Step[] = [];
  const what: string[] = [];
  let diff: Diff[] | undefined;
  const umount: Step = { desc: `umount ${path}`, cmd: `umount ${qp}` };
  const reloadSd: Step = { desc: 'systemctl daemon-reload', cmd: 'if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi', explain: 'systemctl daemon-reload' };
  if (p.state === 'mounted' || p.state === 'present') {
    if (!p.src || !p.fstype) throw new Error(`state ${p.state} needs src and fstype`);
    const want = { src: p.src, path, fstype: p.fstype, opts: optsOf(p), dump: p.dump ?? '0', passno: p.passno ?? '0' };
    const e = planEdit({ path: fstab, create: true, backup: p.backup }, f, (old) => editFstab(old, want, 'present'), ctx);
    if (e.kind === 'change') {
      steps.push(...e.steps, ...(f.systemd ? [reloadSd] : []));
      what.push(e.reason.replace(`${fstab}: `, ''));
      diff = e.diff;
    }
    if (p.state === 'mounted') {
      if (!live) {
        if (!f.dir) { steps.push({ desc: `mkdir ${path}`, cmd: `mkdir -p -- ${qp}` }); what.push(`created ${path}`); }
        steps.push({ desc: `mount ${path}`, cmd: `mount ${qp}`, explain: mountExplain(qp, fstab, want) });
        what.push('mounted');
      } else {
        const d = mountDiffs(live, p.src, p.fstype, want.opts);
        if (d.length) {
          const byUmount = d.some((x) => x.startsWith('source') || x.startsWith('type')) || NEEDS_REMOUNT_BY_UMOUNT.test(live.fstype) || NEEDS_REMOUNT_BY_UMOUNT.test(p.fstype);
          steps.push(...(byUmount ? [umount, { desc: `mount ${path}`, cmd: `mount ${qp}`, explain: mountExplain(qp, fstab, want) }] : [{ desc: `remount ${path}`, cmd: `mount -o ${q(`remount,${want.opts}`)} ${qp}` }]));
          what.push(`remounted (${d.join(', ')})`);
        }
      }
    }
  } else if (p.state === 'unmounted') {
    if (live) { steps.push(umount); what.push('unmounted'); }
  } else if (p.state === 'absent') {
    if (live) { steps.push(umount); what.push('unmounted'); }
    const e = planEdit({ path: fstab, create: false, backup: p.backup }, f, (old) => editFstab(old, { src: '', path, fstype: '', opts: '', dump: '', passno: '' }, 'absent'), ctx);
    if (e.kind === 'change') {
      steps.push(...e.steps, ...(f.systemd ? [reloadSd] : []));
      what.push(e.reason.replace(`${fstab}: `, ''));
      diff = e.diff;
    }
  } else if (p.state === 'remounted') {
    if (!live) {
      steps.push({ desc: `mount ${path}`, cmd: `mount ${qp}` });
      what.push('mounted (was not mounted)');
    } else if (NEEDS_REMOUNT_BY_UMOUNT.test(live.fstype)) {
      steps.push(umount, { desc: `mount ${path}`, cmd: `mount ${qp}` });
      what.push('remounted');
    } else {
      steps.push({ desc: `remount ${path}`, cmd: `mount -o ${q(p.opts ? `remount,${p.opts}` : 'remount')} ${qp}` });
      what.push('remounted');
    }
  }
  // Ansible's keys (name, src, fstype, opts, dump, passno, boot, fstab; its defaults filled in), and kvplay's live
  const result = { name: path, src: p.src, fstype: p.fstype, opts: optsOf(p), dump: p.dump ?? '0', passno: p.passno ?? '0', boot: p.boot === false ? 'no' : 'yes', fstab, live: live ? { src: live.src, fstype: live.fstype } : null };
  if (!steps.length) return { kind: 'ok', reason: `${path}: ${live ? `mounted from ${live.src}` : 'not mounted'}, fstab as wanted`, result };
  // Ansible: backup_file '' when the fstab was written without a backup (a backup's name replaces it)
  return { kind: 'change', reason: `${path}: ${what.join('; ')}`, steps, ...(diff ? { diff } : {}), result: { ...result, backup_file: '' } };
}

const schema = object(
  {
    path: str('Mount point (absolute), e.g. /kvm/disk. Alias: name.', { aliases: ['name'] }),
    src: str('Device or remote source: nfs:/nfsshare, root@nfs:/nfsshare (sshfs), /dev/sdb1, UUID=...'),
    fstype: str('File system type: nfs, nfs4, fuse.sshfs, ext4, ... Alias: type (ansible.posix.mount).', { aliases: ['type'] }),
    opts: str('Mount options, comma separated (default: defaults), e.g. allow_other,reconnect,IdentityFile=/root/.ssh/id_ed25519,_netdev.'),
    dump: str('fstab dump field (default 0).'),
    passno: str('fstab pass field (default 0).'),
    state: strEnum(['mounted', 'present', 'unmounted', 'absent', 'remounted'], 'mounted: in fstab and mounted (mount point created); present: fstab only; unmounted: unmount only; absent: unmount and remove from fstab (the directory is kept); remounted: always remount.'),
    fstab: str('fstab file (default /etc/fstab).'),
    backup: backupProp,
    boot: bool('false adds noauto (not mounted at boot).', true),
  },
  { required: ['path', 'state'] },
);

export const mount: Module<MountParams, Facts> = {
  name: 'mount',
  doc: 'Mount a file system and keep it in /etc/fstab (nfs, fuse.sshfs, local): fstab edited atomically, live mount compared and remounted when it differs.',
  notes: `Facts: /etc/fstab, /proc/self/mountinfo (the mount visible at \`path\`), the mount point, systemd as PID 1. The fstab line of the mount point is added or replaced (atomic write, backup), followed by \`systemctl daemon-reload\` where systemd is PID 1. The live mount is compared with the wanted one: source, type (nfs ≈ nfs4) and the options the kernel shows (ro/rw, nosuid, nodev, noexec, atime flags; FUSE \`allow_other\`, \`default_permissions\`; NFS \`vers\`, \`proto\`, \`hard\`/\`soft\`, \`sec\`); options it cannot show (\`_netdev\`, \`reconnect\`, \`IdentityFile=…\`) are not compared. A difference means unmount + mount for FUSE/NFS, \`mount -o remount\` otherwise. \`absent\` unmounts even when there is no fstab line. Difference from Ansible: \`absent\` keeps the mount point directory; no \`ephemeral\`. Aliases \`ansible.posix.mount\`, \`ansible.builtin.mount\`.`,
  examples: `- mount:
    path: /kvm/disk
    src: root@nfs:/nfsshare
    fstype: fuse.sshfs
    opts: allow_other,reconnect,IdentityFile=/root/.ssh/id_ed25519,StrictHostKeyChecking=yes,_netdev
    state: mounted
`,
  schema,
  facts: (p) => {
    const path = normMountPath(p.path);
    const f: Record<string, Fact<unknown>> = {
      ...editFacts({ path: p.fstab ?? '/etc/fstab' }),
      live: { cmd: 'cat /proc/self/mountinfo', parse: (r) => parseMountinfo(r.stdout, path), explain: (m) => liveCheck(path, m as LiveMount | undefined) },
      dir: { cmd: `[ -d ${q(path)} ]`, parse: (r) => r.code === 0, explain: (v) => ({ cmd: `test -d ${q(path)} && echo yes`, found: v ? 'yes: the mount point exists' : 'no: the mount point is missing' }) },
      systemd: { cmd: '[ -d /run/systemd/system ]', parse: (r) => r.code === 0, explain: (v) => ({ cmd: 'test -d /run/systemd/system && echo yes', found: v ? 'yes: systemd runs (it reads /etc/fstab too)' : 'no systemd' }) },
    };
    return f;
  },
  plan: planMount,
  result: (_p, _f, results) => editResult(results),
};

/** The fstab edit (pure): the entry for `want.path` present as given, or absent. */
export function editFstab(old: string | null, want: FstabEntry, state: 'present' | 'absent'): { text: string | null; msg: string } {
  const text = old ?? '';
  const lines = text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  const path = normMountPath(want.path);
  const idx = lines.map((l, i) => (normMountPath(fstabFields(l)?.path ?? '\0') === path ? i : -1)).filter((i) => i >= 0);
  if (state === 'absent') {
    if (!idx.length) return { text: old, msg: `${path}: no fstab entry` };
    return { text: lines.filter((_, i) => !idx.includes(i)).join(''), msg: `${path}: fstab entry removed` };
  }
  const line = formatFstab(want);
  if (idx.length === 1) {
    const cur = fstabFields(lines[idx[0]])!;
    if (cur.src === want.src && cur.fstype === want.fstype && cur.opts === want.opts && cur.dump === want.dump && cur.passno === want.passno) {
      return { text: old, msg: `${path}: fstab entry as wanted` };
    }
  }
  if (idx.length) {
    lines[idx[0]] = line;
    for (const i of idx.slice(1)) lines[i] = '';
    return { text: lines.join(''), msg: `${path}: fstab entry updated` };
  }
  let out = lines.join('');
  if (out && !out.endsWith('\n')) out += '\n';
  return { text: out + line, msg: `${path}: fstab entry added` };
}

const FLAG_PAIRS: Record<string, string> = { suid: 'nosuid', dev: 'nodev', exec: 'noexec' };
const SHOWN = new Set(['nosuid', 'nodev', 'noexec', 'noatime', 'relatime', 'strictatime', 'nodiratime', 'sync', 'dirsync', 'mand']);

function isNfs(t: string): boolean {
  return t === 'nfs' || t === 'nfs4';
}

function normSrc(s: string): string {
  return s.replace(/(.):(\/.*?)\/+$/, '$1:$2');
}

/**
 * Differences between the live mount and the wanted one ([] = as wanted). Options the kernel
 * does not show (_netdev, reconnect, IdentityFile=..., x-systemd.*) cannot be compared and
 * are ignored.
 */
export function mountDiffs(live: LiveMount, src: string, fstype: string, opts: string): string[] {
  const out: string[] = [];
  if (normSrc(live.src) !== normSrc(src)) out.push(`source ${live.src} -> ${src}`);
  const typeOk = live.fstype === fstype || (isNfs(live.fstype) && isNfs(fstype)) || (fstype === 'sshfs' && live.fstype === 'fuse.sshfs');
  if (!typeOk) out.push(`type ${live.fstype} -> ${fstype}`);
  const has = new Set(live.opts);
  const kv = new Map(live.opts.filter((o) => o.includes('=')).map((o) => [o.slice(0, o.indexOf('=')), o.slice(o.indexOf('=') + 1)] as [string, string]));
  const want = opts.split(',').map((o) => o.trim()).filter(Boolean);
  const ro = want.includes('ro');
  if (ro && !has.has('ro')) out.push('rw -> ro');
  if (!ro && has.has('ro')) out.push('ro -> rw');
  for (const o of want) {
    if (SHOWN.has(o) && !has.has(o)) out.push(`+${o}`);
    else if (o in FLAG_PAIRS && has.has(FLAG_PAIRS[o])) out.push(`${FLAG_PAIRS[o]} -> ${o}`);
    else if (live.fstype.startsWith('fuse') && (o === 'allow_other' || o === 'default_permissions') && !has.has(o)) out.push(`+${o}`);
    else if (isNfs(live.fstype)) {
      const [k, v] = o.split('=');
      if ((k === 'hard' || k === 'soft') && !has.has(k)) out.push(`+${k}`);
      if ((k === 'vers' || k === 'nfsvers') && v && !(kv.get('vers') ?? '').startsWith(v)) out.push(`vers=${kv.get('vers')} -> ${v}`);
      if ((k === 'proto' || k === 'sec') && v && kv.get(k) !== v) out.push(`${k}=${kv.get(k)} -> ${v}`);
    }
  }
  return out;
}
