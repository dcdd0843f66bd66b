/**
 * Transport: how kvplay runs commands on one host. Implementations:
 * ssh.ts (ssh2, one persistent connection + persistent remote shell) and local.ts.
 * Only ssh.ts imports ssh2.
 */

/** Privilege escalation for one command (sudo, or su). */
export interface Become {
  user: string; // target user, e.g. "root"
  password?: string; // never printed
  /** become_method su (default sudo): the ssh transport's become shell is started with `su USER -c` */
  method?: 'su';
}

export interface ExecOptions {
  /** Bytes fed to the command's standard input (default: none, stdin is /dev/null). */
  stdin?: string | Buffer;
  /** Run as another user via sudo. */
  become?: Become | null;
  /** Extra environment variables for this command (values are quoted by the transport). */
  env?: Record<string, string>;
  /** Working directory (quoted by the transport). */
  cwd?: string;
  /** Kill/abandon the command after this many ms (the result then has code 124 and timedOut). */
  timeoutMs?: number;
}

/** Same shape for success and failure. Failure is decided by `code`, never by stderr. Output is never trimmed. */
export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
  timedOut?: boolean;
}

export interface Transport {
  /** Inventory name of the host (for messages). */
  readonly name: string;
  /** Open the connection (idempotent). Throws UnreachableError. */
  connect(): Promise<void>;
  /**
   * Run one POSIX sh command line (already quoted by the caller with src/util/quote.ts).
   * Throws UnreachableError only when the connection is lost/unusable; a failing command resolves with code != 0.
   * The output is the command's own: what a background process it started writes later never
   * shows in another command's result.
   */
  exec(cmd: string, opts?: ExecOptions): Promise<ExecResult>;
  /**
   * Run several commands in one round trip; each gets its own result (code/stdout/stderr).
   * All run even if one fails. Same become for all. For probes written by kvplay: unlike
   * exec(), the output is not isolated from background processes (see ssh framing.ts).
   */
  execMany(cmds: string[], opts?: { become?: Become | null }): Promise<ExecResult[]>;
  /**
   * Stop the commands running now (kvplay interrupted: Ctrl-C, SIGTERM): SIGTERM to each
   * command's process tree, SIGKILL a second later. Resolves once the signals are on their way.
   */
  interrupt?(): Promise<void>;
  /** Close everything (idempotent). */
  close(): Promise<void>;
}
