/** One lab host: an overlayfs root over the shared image, booted by systemd-nspawn under a supervisor. */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BRIDGE, HOSTS, HostDef, REPO_MOUNT, filesIn, labDir, machineName, paths } from './config.js';
import { prepareCgroups, removeCgroups } from './cgroup.js';
import { linkExists } from './net.js';
import { LabError, cmdline, ourPid, pidAlive, run, runOk, sleep } from './sys.js';

export const hostPaths = (h: HostDef) =>
  filesIn(paths.hostDir(h), {
    upper: 'upper', work: 'work', root: 'root', prepared: 'prepared', stop: 'stop',
    supervisorPid: 'supervisor.pid', nspawnPid: 'nspawn.pid', console: 'console.log', log: 'supervisor.log',
  });

const supervisorScript = () => join(labDir(), 'supervisor.sh');

/**
 * The supervisor: starts nspawn, enslaves the host-side veth to the bridge, restarts nspawn when it
 * exits with 133 (the container rebooted), stops on any other exit or when the stop file exists.
 */
const SUPERVISOR = `#!/bin/sh
# kvplay lab supervisor: sh supervisor.sh HOSTDIR VETH BRIDGE NSPAWN-ARGS...
hd=$1; veth=$2; br=$3; shift 3
echo $$ > "$hd/supervisor.pid"
for f in $KVPLAY_CGROUP_PROCS; do
  echo $$ > "$f" || { echo "$(date '+%F %T') cannot enter cgroup $f" >> "$hd/supervisor.log"; exit 1; }
done
while :; do
  systemd-nspawn "$@" >>"$hd/console.log" 2>&1 </dev/null &
  pid=$!
  echo $pid > "$hd/nspawn.pid"
  i=0
  while [ $i -lt 600 ]; do
    ip link set "$veth" master "$br" up 2>/dev/null && break
    kill -0 $pid 2>/dev/null || break
    sleep 0.05; i=$((i+1))
  done
  wait $pid; rc=$?
  echo "$(date '+%F %T') nspawn exited $rc" >> "$hd/supervisor.log"
  [ -f "$hd/stop" ] && break
  [ $rc -eq 133 ] || break
done
rm -f "$hd/nspawn.pid"
`;


function children(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const t of readdirSync(`/proc/${pid}/task`))
      for (const c of readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/))
        if (c) out.push(Number(c));
  } catch {}
  return out;
}

export interface HostRuntime {
  supervisorPid?: number;
  nspawnPid?: number;
  /** the container's PID 1 (systemd), as seen from the machine */
  leaderPid?: number;
  running: boolean;
}

/** Processes whose command line starts with `prefix` (fallback when PID files are lost). */
function findProcs(prefix: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    if (cmdline(Number(e)).startsWith(prefix) && pidAlive(Number(e))) out.push(Number(e));
  }
  return out;
}

export function hostRuntime(h: HostDef): HostRuntime {
  const p = hostPaths(h);
  const supervisorPid = ourPid(p.supervisorPid, p.dir) ?? findProcs(`sh ${supervisorScript()} ${p.dir} `)[0];
  const nspawnPid = ourPid(p.nspawnPid, p.root) ?? findProcs(`systemd-nspawn --directory=${p.root} `)[0];
  const leaderPid = nspawnPid ? children(nspawnPid)[0] : undefined;
  return { supervisorPid, nspawnPid, leaderPid, running: !!nspawnPid };
}

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
}

/** Mount points (machine's mount namespace) at or below `dir`, deepest first. */
export function mountsUnder(dir: string): string[] {
  const base = dir.replace(/\/+$/, '');
  const out: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const f = line.split(' ');
    if (f.length < 5) continue;
    const mp = unescapeMount(f[4]);
    if (mp === base || mp.startsWith(base + '/')) out.push(mp);
  }
  return [...new Set(out)].sort((a, b) => b.length - a.length);
}

export async function unmountAll(dir: string): Promise<void> {
  for (const mp of mountsUnder(dir)) {
    let r = await run('umount', [mp]);
    for (let i = 0; r.code !== 0 && i < 10 && mountsUnder(mp).length; i++) {
      await sleep(200);
      r = await run('umount', [mp]);
    }
    if (r.code !== 0 && mountsUnder(mp).includes(mp)) await run('umount', ['-l', mp]);
  }
}

/** Write a file inside a host's tree, never through a symlink of the image. */
function put(root: string, rel: string, content: string, mode = 0o644): void {
  const p = join(root, rel);
  mkdirSync(dirname(p), { recursive: true });
  try {
    if (lstatSync(p).isSymbolicLink() || lstatSync(p).isFile()) unlinkSync(p);
  } catch {}
  writeFileSync(p, content, { mode });
}

export interface LabNet {
  subnet: string;
}

export const hostAddress = (net: LabNet, h: HostDef) => `${net.subnet}.${h.octet}`;

export interface PrepareCtx extends LabNet {
  clientPubKey: string;
  studentPassword: string;
}

/** Host keys (public, "type base64") of a prepared host. */
export function hostKeys(h: HostDef): string[] {
  const dir = join(hostPaths(h).root, 'etc/ssh');
  return ['ssh_host_ed25519_key.pub', 'ssh_host_ecdsa_key.pub']
    .filter((f) => existsSync(join(dir, f)))
    .map((f) => readFileSync(join(dir, f), 'utf8').trim().split(/\s+/).slice(0, 2).join(' '));
}

/**
 * Mount the host's overlay and, for a fresh overlay, write its identity and configuration:
 * hostname, addresses, hosts, resolv.conf, apt source, host keys, root's key, student password.
 */
export async function prepareHost(h: HostDef, ctx: PrepareCtx): Promise<void> {
  const p = hostPaths(h);
  const fresh = !existsSync(p.prepared);
  if (fresh) {
    await unmountAll(p.root);
    if (mountsUnder(p.dir).length) throw new LabError(`cannot unmount ${p.root}: ${mountsUnder(p.dir).join(', ')}`);
    rmSync(p.dir, { recursive: true, force: true }); // a half-prepared overlay from a crash: start over
  }
  for (const d of [p.upper, p.work, p.root]) mkdirSync(d, { recursive: true });
  if (!mountsUnder(p.root).includes(p.root)) {
    const o = `lowerdir=${paths.rootfs()},upperdir=${p.upper},workdir=${p.work}`;
    await runOk('mount', ['-t', 'overlay', 'overlay', '-o', o, p.root]);
  }
  if (!fresh) return;
  const r = p.root;
  const addr = hostAddress(ctx, h);
  put(r, 'etc/hostname', `${h.name}\n`);
  put(
    r,
    'etc/hosts',
    ['127.0.0.1\tlocalhost', `127.0.1.1\t${h.name}.lab ${h.name}`, '::1\tlocalhost ip6-localhost ip6-loopback', '']
      .concat(HOSTS.filter((o) => o !== h).map((o) => `${hostAddress(ctx, o)}\t${o.name}.lab ${o.name}`))
      .concat([`${hostAddress(ctx, h)}\t${h.name}.lab ${h.name}`, `${ctx.subnet}.1\tlabgw.lab labgw`, ''])
      .join('\n'),
  );
  put(
    r,
    'etc/network/interfaces',
    [
      '# written by kvplay lab',
      'source /etc/network/interfaces.d/*',
      '',
      'auto lo',
      'iface lo inet loopback',
      '',
      'auto eth0',
      'iface eth0 inet static',
      `    address ${addr}/24`,
      '',
    ].join('\n'),
  );
  // the lab reaches no name server: resolve from /etc/hosts only, fail fast otherwise
  put(r, 'etc/resolv.conf', '# kvplay lab: no DNS (names are in /etc/hosts)\noptions timeout:1 attempts:1\n');
  put(r, 'etc/machine-id', randomBytes(16).toString('hex') + '\n', 0o444);
  put(r, 'etc/apt/sources.list', `deb [trusted=yes] file:${REPO_MOUNT} ./\n`);
  const sld = join(r, 'etc/apt/sources.list.d');
  if (existsSync(sld)) for (const f of readdirSync(sld)) rmSync(join(sld, f), { force: true });
  put(r, 'etc/apt/apt.conf.d/90kvplay', 'Acquire::Languages "none";\nAPT::Get::Update::SourceListWarnings "false";\n');
  put(r, 'etc/kvplay/host_uuid', `${h.uuid}\n`);
  put(r, 'etc/kvplay/lab', `host=${h.name}\naddress=${addr}\nrole=${h.role}\n`);
  put(r, 'root/.ssh/authorized_keys', ctx.clientPubKey.trim() + '\n', 0o600);
  put(r, 'home/student/.ssh/authorized_keys', ctx.clientPubKey.trim() + '\n', 0o600);
  await runOk('chown', ['-R', '1000:1000', join(r, 'home/student/.ssh')]);
  put(r, 'etc/ssh/sshd_config.d/kvplay-hostkeys.conf', 'HostKey /etc/ssh/ssh_host_ed25519_key\nHostKey /etc/ssh/ssh_host_ecdsa_key\n');
  await Promise.all(
    (['ed25519', 'ecdsa'] as const).map((t) =>
      runOk('ssh-keygen', ['-q', '-t', t, '-N', '', '-C', `root@${h.name}`, '-f', join(r, `etc/ssh/ssh_host_${t}_key`)]),
    ),
  );
  await runOk('chroot', [r, 'chpasswd'], { input: `student:${ctx.studentPassword}\n` });
  if (h.role === 'nfs') mkdirSync(paths.nfsShare(), { recursive: true });
  writeFileSync(p.prepared, new Date().toISOString() + '\n');
}

function nspawnArgs(h: HostDef): string[] {
  const p = hostPaths(h);
  const a = [
    `--directory=${p.root}`,
    `--machine=${machineName(h)}`,
    `--hostname=${h.name}`,
    '--boot',
    '--keep-unit',
    '--register=no',
    `--network-veth-extra=${h.veth}:eth0`,
    '--resolv-conf=off',
    '--timezone=off',
    '--link-journal=no',
    '--kill-signal=SIGRTMIN+4',
    '--console=read-only',
    `--bind-ro=${paths.repo()}:${REPO_MOUNT}`,
    '--bind=/dev/fuse',
  ];
  if (h.role === 'kvm') a.push('--bind=/dev/net/tun');
  if (h.role === 'nfs') a.push(`--bind=${paths.nfsShare()}:/nfsshare`);
  return a;
}

/** Start the host's supervisor (detached) unless its container is already running. */
export async function startHost(h: HostDef): Promise<number | undefined> {
  const rt = hostRuntime(h);
  // a supervisor without a container is between two boots (or about to exit): leave it be
  if (rt.running || rt.supervisorPid) return rt.supervisorPid;
  const p = hostPaths(h);
  rmSync(p.stop, { force: true });
  for (const f of ['/dev/fuse', '/dev/net/tun'])
    if (!existsSync(f)) throw new LabError(`${f} is missing on this machine (the lab hosts need FUSE and TUN)`);
  // leftovers of a crashed container: its veth lives until the kernel has torn its netns down
  for (let i = 0; i < 50 && (await linkExists(h.veth)); i++) await sleep(100);
  if (await linkExists(h.veth)) await run('ip', ['link', 'del', h.veth]);
  rmSync(`/run/systemd/nspawn/propagate/${machineName(h)}`, { recursive: true, force: true });
  // never rewrite a script that running supervisors are reading (sh reads it as it goes)
  let cur = '';
  try {
    cur = readFileSync(supervisorScript(), 'utf8');
  } catch {}
  if (cur !== SUPERVISOR) {
    writeFileSync(supervisorScript() + '.tmp', SUPERVISOR, { mode: 0o755 });
    renameSync(supervisorScript() + '.tmp', supervisorScript());
  }
  const procs = prepareCgroups(h, p.dir);
  const child = spawn('sh', [supervisorScript(), p.dir, h.veth, BRIDGE, ...nspawnArgs(h)], {
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, KVPLAY_CGROUP_PROCS: procs.join(' ') },
  });
  child.unref();
  if (child.pid) writeFileSync(p.supervisorPid, `${child.pid}\n`);
  return child.pid;
}

/**
 * Stop hosts cleanly: mark them stopped (no restart), SIGTERM nspawn (which powers the container off
 * with SIGRTMIN+4), wait; then SIGKILL whatever of the recorded processes is left.
 */
export async function stopHosts(hosts: HostDef[], timeoutMs = 20_000): Promise<void> {
  for (const h of hosts) if (existsSync(hostPaths(h).dir)) writeFileSync(hostPaths(h).stop, '');
  const seen = new Set<number>();
  const termed = new Set<number>();
  const poll = () => {
    let any = false;
    for (const h of hosts) {
      const rt = hostRuntime(h);
      for (const pid of [rt.supervisorPid, rt.nspawnPid, rt.leaderPid]) if (pid) seen.add(pid);
      if (rt.nspawnPid && !termed.has(rt.nspawnPid)) {
        termed.add(rt.nspawnPid);
        try {
          process.kill(rt.nspawnPid, 'SIGTERM');
        } catch {}
      }
      any ||= !!(rt.supervisorPid || rt.nspawnPid);
    }
    return any || [...seen].some(pidAlive);
  };
  const t0 = Date.now();
  while (poll() && Date.now() - t0 < timeoutMs) await sleep(100);
  for (const pid of seen)
    if (pidAlive(pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
  const t1 = Date.now();
  while ([...seen].some(pidAlive) && Date.now() - t1 < 5000) await sleep(50);
  for (const h of hosts) {
    removeCgroups(h, hostPaths(h).dir);
    rmSync(hostPaths(h).nspawnPid, { force: true });
    rmSync(`/run/systemd/nspawn/propagate/${machineName(h)}`, { recursive: true, force: true });
  }
}
