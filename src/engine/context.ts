/**
 * The execution context of one task on one host: keywords resolved through
 * play -> blocks/includes -> task (become, check_mode, no_log, ignore_errors, environment,
 * delegate_to), and the transport to use (the host's, or the delegate's), created lazily.
 */
import { createTransport, becomeFor, type TransportOptions } from '../transport/index.js';
import { LocalTransport } from '../transport/local.js';
import type { Become, ExecOptions, Transport } from '../transport/types.js';
import { isUnsafeKey, renderDeep, varValue, withVar } from '../template/index.js';
import { boolish } from '../util/truth.js';
import { q } from '../util/quote.js';
import { InputError } from '../util/errors.js';
import type { Cond, Play, Task, Vars } from '../playbook/model.js';
import type { HostState, RunState } from './state.js';
import { SECRET_VAR } from './state.js';
import { BECOME_METHODS } from '../playbook/keywords.js';
import { emitTiming, timedTransport } from './timing.js';

/** Keywords inherited from enclosing blocks and dynamic includes. */
export interface Inh {
  when: Cond[];
  tags: string[];
  vars: Vars[];
  become?: boolean;
  becomeUser?: string;
  becomeMethod?: string;
  environment?: unknown;
  ignoreErrors?: boolean | string;
  noLog?: boolean | string;
  checkMode?: boolean;
  delegateTo?: string;
  /** the dynamic includes this task runs under (outermost first): a bound against endless recursion */
  includes?: string[];
  /** in the `block:` of a block with a rescue: a failure here is `rescued` (src/engine/block.ts) */
  rescuable?: boolean;
  /** the enclosing block has an `always:` still to run (Ansible's any_errors_fatal then waits) */
  alwaysNext?: boolean;
  /** any_errors_fatal of the enclosing blocks */
  anyErrorsFatal?: boolean;
  /** `notify:` of the enclosing blocks */
  notify?: string[];
  ignoreUnreachable?: boolean | string;
  /** `throttle:` of the enclosing blocks and includes */
  throttle?: number | string;
}

export const ROOT_INH: Inh = { when: [], tags: [], vars: [] };

/** Block/include keywords pushed onto the inherited ones (inner wins). */
export function pushInh(inh: Inh, t: Task): Inh {
  return {
    ...inh,
    when: [...inh.when, ...(t.kind === 'block' || t.kind === 'include' ? t.when : [])],
    tags: [...inh.tags, ...t.tags],
    vars: t.vars ? [...inh.vars, t.vars] : inh.vars,
    become: t.become ?? inh.become,
    becomeUser: t.becomeUser ?? inh.becomeUser,
    becomeMethod: t.becomeMethod ?? inh.becomeMethod,
    environment: t.environment ?? inh.environment,
    ignoreErrors: t.ignoreErrors ?? inh.ignoreErrors,
    noLog: t.noLog ?? inh.noLog,
    ...(inh.includes ? { includes: inh.includes } : {}),
    checkMode: t.checkMode ?? inh.checkMode,
    delegateTo: t.delegateTo ?? inh.delegateTo,
    throttle: t.throttle ?? inh.throttle,
  };
}

export interface ExecContext {
  when: Cond[];
  check: boolean;
  diff: boolean;
  noLog: boolean;
  ignoreErrors: boolean;
  become: Become | null;
  transport(): Promise<Transport>;
  /** The same context for one loop item: become, environment and delegate_to templated with the item's variables. */
  forItem(itemVars: Vars): ExecContext;
}

/** Connection vars of a host, templated (ansible_host may be "{{ ... }}"). */
function connVars(run: RunState, h: HostState, vars: Vars): Vars {
  const out: Vars = {};
  for (const [k, v] of Object.entries(h.invVars)) {
    if (k.startsWith('ansible_') || k.startsWith('kvplay_')) out[k] = isUnsafeKey(h.invVars, k) ? v : renderDeep(v, vars);
  }
  if (run.opts.user && out.ansible_user === undefined) out.ansible_user = run.opts.user;
  if (run.opts.privateKeyFile && out.ansible_ssh_private_key_file === undefined && out.ansible_private_key_file === undefined) out.ansible_ssh_private_key_file = run.opts.privateKeyFile;
  return out;
}

const transportOptions = (run: RunState): TransportOptions => {
  const { knownHostsFiles, acceptNewHostKeys, connectTimeoutMs, agentSocket } = run.opts;
  return { knownHostsFiles, acceptNewHostKeys, connectTimeoutMs, agentSocket };
};

/** Handshakes under way, by transport (hostTransport). */
const handshakes = new WeakMap<Transport, Promise<void>>();

/** The host's transport (connected once, kept for the whole run). */
export async function hostTransport(run: RunState, h: HostState, vars: Vars, task?: string): Promise<Transport> {
  if (!h.transport) {
    const cv = connVars(run, h, vars);
    for (const [k, v] of Object.entries(cv)) if (SECRET_VAR.test(k) && typeof v === 'string' && v) run.secrets.add(v);
    h.transport = createTransport(h.name, cv, transportOptions(run));
  }
  if (!h.connected) {
    const tr = h.transport;
    // one handshake at a time per transport: a second caller (the read-ahead, src/engine/prefetch.ts) waits for it
    let pending = handshakes.get(tr);
    if (!pending) {
      pending = (async () => {
        // the handshake's deadline starts when it gets a slot, not while it waits for one
        await run.connectSlots.acquire();
        try {
          const at = performance.timeOrigin + performance.now();
          await tr.connect();
          if (h.transport === tr) h.connected = true;
          if (run.opts.verbosity >= 3) emitTiming(run.reporter, h.name, { what: 'connect', task: task ?? run.running?.get(h.name) ?? '', at, ms: performance.timeOrigin + performance.now() - at });
        } finally {
          run.connectSlots.release();
        }
      })().finally(() => handshakes.delete(tr));
      handshakes.set(tr, pending);
    }
    await pending;
    return tr;
  }
  return h.transport;
}

/** A new connection to the host, not shared (the caller closes it). */
export async function ownTransport(run: RunState, h: HostState, vars: Vars): Promise<Transport> {
  const tr = createTransport(h.name, connVars(run, h, vars), transportOptions(run));
  await run.connectSlots.acquire();
  try {
    await tr.connect();
  } finally {
    run.connectSlots.release();
  }
  return tr;
}

/** A transport that connects when first used (for modules that usually run nothing on the host). */
export function lazyTransport(name: string, get: () => Promise<Transport>): Transport {
  let tr: Promise<Transport> | undefined;
  const real = () => (tr ??= get());
  return {
    name,
    connect: async () => void (await real()),
    close: async () => undefined, // the connection is the host's (or the delegate's), closed with it
    exec: async (cmd, o) => (await real()).exec(cmd, o),
    execMany: async (cmds, o) => (await real()).execMany(cmds, o),
  };
}

/** A transport that adds environment variables to every command. */
function withEnv(t: Transport, env: Record<string, string>): Transport {
  const merge = (o?: ExecOptions): ExecOptions => ({ ...(o ?? {}), env: { ...env, ...(o?.env ?? {}) } });
  return {
    name: t.name,
    connect: () => t.connect(),
    close: () => t.close(),
    exec: (cmd, o) => t.exec(cmd, merge(o)),
    execMany: (cmds, o) => {
      const prefix = Object.entries(env).map(([k, v]) => `export ${k}=${q(v)}; `).join('');
      return t.execMany(cmds.map((c) => prefix + c), o);
    },
  };
}

/** A boolean keyword (become, no_log, ignore_errors), templated, then Ansible's boolean(). */
const boolKw = (v: unknown, vars: Vars): boolean => (v === undefined || v === null ? false : boolish(typeof v === 'boolean' ? v : renderDeep(v, vars)));

/**
 * `own`: the connection to the host instead of its shared one (an async job runs on its own,
 * src/engine/async.ts).
 */
export function execContext(run: RunState, play: Play, h: HostState, t: Task, inh: Inh, vars: Vars, own?: () => Promise<Transport>): ExecContext {
  const checkMode = t.checkMode ?? inh.checkMode ?? play.checkMode;
  const check = checkMode === undefined ? run.opts.check : checkMode;
  // become and environment are templated when first used, so a loop task gets them per item (forItem), as Ansible does
  let conn: { become: Become | null; env?: Record<string, string> } | undefined;
  const connection = () => (conn ??= { become: taskBecome(run, play, t, inh, vars), env: taskEnv(play, t, inh, vars) });
  const delegate = t.delegateTo ?? inh.delegateTo;
  return {
    when: inh.when,
    check,
    diff: t.diff ?? run.opts.diff,
    noLog: boolKw(t.noLog ?? inh.noLog ?? play.noLog, vars),
    ignoreErrors: boolKw(t.ignoreErrors ?? inh.ignoreErrors ?? play.ignoreErrors, vars),
    get become() {
      return connection().become;
    },
    forItem: (itemVars) => execContext(run, play, h, t, inh, itemVars, own),
    transport: async () => {
      const { env } = connection();
      let tr: Transport;
      if (delegate !== undefined) {
        const name = String(renderDeep(delegate, vars));
        const dh = run.hosts.get(name);
        if (dh) tr = await hostTransport(run, dh, vars, t.name);
        else if (name === 'localhost' || name === '127.0.0.1') tr = new LocalTransport('localhost');
        else throw new InputError(`delegate_to host '${name}' is not in the inventory`, t.loc, 'add it to the inventory or use localhost');
      } else tr = own ? await own() : await hostTransport(run, h, vars);
      if (env) tr = withEnv(tr, env);
      // -vvv: each remote round trip's wall time (src/engine/timing.ts)
      return run.opts.verbosity >= 3 ? timedTransport(tr, run.reporter, h.name, t.name, boolKw(t.noLog ?? inh.noLog ?? play.noLog, vars)) : tr;
    },
  };
}

/** The task's become: keywords (become, become_user, become_method) and ansible_become_* vars, templated. */
function taskBecome(run: RunState, play: Play, t: Task, inh: Inh, vars: Vars): Become | null {
  const becomeRaw = t.become ?? inh.become ?? play.become ?? run.opts.become;
  const becomeOn = becomeRaw === undefined ? undefined : boolKw(becomeRaw, vars);
  const userRaw = t.becomeUser ?? inh.becomeUser ?? play.becomeUser;
  // --become-user / ansible.cfg become_user: below the keyword and ansible_become_user
  const becomeUser = userRaw === undefined || userRaw === null ? (vars.ansible_become_user === undefined ? run.opts.becomeUser : undefined) : String(renderDeep(userRaw, vars, t.loc));
  const methodRaw = t.becomeMethod ?? inh.becomeMethod ?? play.becomeMethod ?? (vars.ansible_become_method === undefined ? run.opts.becomeMethod : undefined);
  const method = methodRaw === undefined || methodRaw === null ? undefined : String(renderDeep(methodRaw, vars, t.loc));
  // as Ansible: an unknown method fails only a task that becomes
  if (method !== undefined && !BECOME_METHODS.has(method) && (becomeOn ?? boolish(vars.ansible_become))) throw new InputError(`Invalid become method specified: '${method}'`, t.loc, `kvplay becomes with: ${[...BECOME_METHODS].join(', ')}`);
  // the -K password is data, never a template
  const hv = run.opts.becomePassword && vars.ansible_become_password === undefined ? withVar(vars, 'ansible_become_password', run.opts.becomePassword, true) : vars;
  const become = becomeFor(renderConn(hv), { become: becomeOn, become_user: becomeUser, ...(method !== undefined && BECOME_METHODS.has(method) ? { become_method: method } : {}) });
  if (become?.password) run.secrets.add(become.password);
  return become;
}

/** The task's environment: keyword, templated (with the loop variables when per item). */
function taskEnv(play: Play, t: Task, inh: Inh, vars: Vars): Record<string, string> | undefined {
  const envRaw = t.environment ?? inh.environment ?? play.environment;
  let env: Record<string, string> | undefined;
  if (envRaw !== undefined) {
    const e = renderDeep(envRaw, vars);
    if (!e || typeof e !== 'object' || Array.isArray(e)) throw new InputError("'environment' must be a mapping", t.loc, 'e.g. environment: {LANG: C}');
    env = Object.create(null) as Record<string, string>;
    for (const [k, v] of Object.entries(e as Vars)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new InputError(`invalid environment variable name '${k}'`, t.loc, 'names are letters, digits and _');
      env[k] = String(v);
    }
  }
  return env;
}

function renderConn(hv: Vars): Vars {
  const out: Vars = {};
  for (const k of ['ansible_become', 'ansible_become_user', 'ansible_become_method', 'ansible_become_password', 'ansible_become_pass', 'ansible_user']) {
    if (hv[k] !== undefined) out[k] = varValue(hv, k);
  }
  return out;
}
