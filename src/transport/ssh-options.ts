/** Options of the SSH transport (src/transport/ssh.ts); createTransport builds them from Ansible's connection variables. */
export interface SshOptions {
  name: string;
  host: string;
  port: number;
  user: string;
  privateKeyPath?: string;
  password?: string;
  /** ssh-agent socket (the CLI passes SSH_AUTH_SOCK); none: no agent. */
  agentSocket?: string;
  /** Host keys are verified against all of these. */
  knownHostsFiles: string[];
  /** Record unknown host keys (never changed ones). */
  acceptNewHostKeys: boolean;
  /** Where accept-new appends; default knownHostsFiles[0]. */
  recordFile?: string;
  /** ProxyJump: connect here first (same auth), then tunnel to host:port. */
  jump?: { host: string; port: number; user: string };
  /** Whole connect (TCP + handshake + auth), and sudo's answer; default 10000. */
  connectTimeoutMs?: number;
}
