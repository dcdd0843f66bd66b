/**
 * The sh snippets the SSH transport runs on a host for its own housekeeping (no ssh2 here):
 *
 * - private temp dirs, `<base>/.kvplay-<kind>-<owner pid>-<random>`, mode 0700:
 *     .kvplay-out-  one per persistent shell: each exec()'s stdout/stderr files (owner: the
 *                   shell), in /dev/shm (a tmpfs: creating/truncating files on a disk /tmp costs
 *                   ~0.5 ms a command) when it has 1 GiB free (not a container's 64 MiB one),
 *                   else /tmp
 *     .kvplay-in-   one per connection, in /tmp: large stdin payloads staged over SFTP (owner:
 *                   the connection's sshd process, the login shell's $PPID)
 *   The owner pid lets the next shell of the same user remove the dirs of dead owners (SWEEP),
 *   so nothing outlives a kvplay that was killed (kill -9, Ctrl-C, lost connection).
 * - the shell prelude defining the per-command output redirection (see framing.commandScript);
 * - the kill of a running command's process tree (timeouts, Ctrl-C).
 */
import { q } from '../util/quote.js';

/** Where output dirs may be, in order of preference. */
const OUT_BASES = ['/dev/shm', '/tmp'];
export const STAGE_PREFIX = '/tmp/.kvplay-in-';
/** Output file names are reused after this many commands (after __kv_gc removed them all). */
export const OUT_SLOTS = 256;

/**
 * Removes this user's kvplay temp dirs whose owner process is gone (only what the user owns, no
 * symlinks; a reused pid just keeps a dir for one more sweep), and staging files of kvplay
 * versions before the pid in the name (`.kvplay-in-<hex>`) older than an hour. Builtins only,
 * unless something is stale.
 */
export const SWEEP = `for __kv_s in ${OUT_BASES.map((b) => `${b}/.kvplay-out-*`).join(' ')} ${STAGE_PREFIX}*; do
  [ -O "$__kv_s" ] && [ ! -h "$__kv_s" ] || continue
  __kv_p=\${__kv_s#*/.kvplay-*-}
  case $__kv_p in
  [0-9]*-*) __kv_p=\${__kv_p%%-*}
    case $__kv_p in *[!0-9]*) continue ;; esac
    kill -0 "$__kv_p" 2>/dev/null || rm -rf -- "$__kv_s" ;;
  *) [ -f "$__kv_s" ] && [ -n "$(find "$__kv_s" -prune -mmin +60 2>/dev/null)" ] && rm -f -- "$__kv_s" ;;
  esac
done
`;

/**
 * Sets up a persistent shell's output dir `__kv_d` (empty when it cannot be made: commands then
 * write to the channel directly) and the helpers the framed commands call:
 *   __kv_io N   point __kv_r at the redirection to slot N's files (or nothing)
 *   __kv_out    copy the files to the channel (a `cat` only when one is not empty), then empty them
 *   __kv_gc     remove all output files (before slot numbers are reused: fresh inodes)
 * Appending (O_APPEND) keeps `>>/dev/stderr` in a command from overwriting its `>&2` output.
 * A dir that vanished is made again; one that is not ours (or a symlink) is never written to.
 * The dir goes when the shell exits (EXIT trap), or with the next sweep after a kill.
 */
export function outputPrelude(random: string): string {
  return `__kv_shm() { set -- $(df -Pk /dev/shm 2>/dev/null); [ $# -ge 13 ] && [ "\${11}" -ge 1048576 ] 2>/dev/null; }
__kv_b=/tmp; __kv_shm && __kv_b='${OUT_BASES.join(' ')}'
for __kv_d in $__kv_b; do
  __kv_d=$__kv_d/.kvplay-out-$$-${random}
  mkdir -m 700 "$__kv_d" 2>/dev/null && break
  __kv_d=
done
trap '[ -n "$__kv_d" ] && rm -rf -- "$__kv_d"' EXIT
__kv_io() {
  if [ -n "$__kv_d" ] && { [ -d "$__kv_d" ] && [ -O "$__kv_d" ] && [ ! -h "$__kv_d" ] || mkdir -m 700 "$__kv_d" 2>/dev/null; }; then
    __kv_o=$__kv_d/o$1 __kv_e=$__kv_d/e$1 __kv_r=' >>"$__kv_o" 2>>"$__kv_e"'
  else
    __kv_o= __kv_e= __kv_r=
  fi
}
__kv_out() {
  [ -n "$__kv_o" ] || return 0
  if [ -s "$__kv_o" ]; then cat -- "$__kv_o"; : 2>/dev/null >"$__kv_o"; fi
  if [ -s "$__kv_e" ]; then cat -- "$__kv_e" >&2; : 2>/dev/null >"$__kv_e"; fi
  return 0
}
__kv_gc() { [ -n "$__kv_d" ] && rm -f -- "$__kv_d"/o* "$__kv_d"/e* 2>/dev/null; return 0; }
`;
}

/**
 * Sets `__kv_k` to the pids of all descendants of `pid` (not `pid` itself): the running
 * command's tree. Only processes still below the shell: what an earlier task left running in
 * the background (reparented when its command ended) is not touched. Numbers only: ps's
 * `pid ppid` pairs hold no names.
 */
function descendantsScript(pid: number): string {
  return `__kv_all=$(ps -A -o pid= -o ppid= 2>/dev/null)
__kv_set=' ${pid} ' __kv_more=1
while [ $__kv_more = 1 ]; do
  __kv_more=0
  set -- $__kv_all
  while [ $# -ge 2 ]; do
    case $__kv_set in *" $2 "*) case $__kv_set in *" $1 "*) ;; *) __kv_set="$__kv_set$1 " __kv_more=1 ;; esac ;; esac
    shift 2
  done
done
__kv_k=\${__kv_set# ${pid} }
`;
}

/**
 * Stop the command running in the persistent shell `pid` (Ctrl-C of kvplay): SIGTERM to its
 * tree now, SIGKILL one second later to what is left (detached, so this returns at once and
 * the kill happens even when kvplay exits right after). The shell itself lives on.
 */
export function interruptScript(pid: number): string {
  return `${descendantsScript(pid)}[ -n "$__kv_k" ] && kill -TERM $__kv_k 2>/dev/null
[ -n "$__kv_k" ] && (sleep 1; kill -KILL $__kv_k 2>/dev/null) </dev/null >/dev/null 2>&1 &
exit 0
`;
}

/**
 * A timed-out command: SIGKILL its tree and the shell `pid` (the shell is discarded), print what
 * the command had written to its output files (stdout, stderr) and remove the shell's dir. The
 * shell is stopped first: it must not go on to copy and empty the files, and while it exists the
 * sweep of another connection leaves its dir alone.
 */
export function timeoutKillScript(pid: number, files?: { dir: string; out: string; err: string }): string {
  let s = `kill -STOP ${pid} 2>/dev/null\n${descendantsScript(pid)}kill -KILL $__kv_k 2>/dev/null\n`;
  if (files) s += `cat -- ${q(files.out)} 2>/dev/null; cat -- ${q(files.err)} >&2 2>/dev/null; rm -rf -- ${q(files.dir)}\n`;
  return s + `kill -KILL ${pid} 2>/dev/null\nexit 0\n`;
}
