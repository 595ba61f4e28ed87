/**
 * SSH connections (node-ssh over ssh2): authentication, known_hosts checking,
 * connect timeouts, retries of connections dropped by sshd's MaxStartups, and
 * jump hosts (ProxyJump through forwardOut). The only file importing node-ssh.
 */
import { readFile, stat } from 'node:fs/promises';
import { connect as netConnect } from 'node:net';
import { NodeSSH, type Config } from 'node-ssh';
import ssh2, { type AuthenticationType, type Client, type ClientChannel, type ServerHostKeyAlgorithm } from 'ssh2';
import { FleetError } from '../errors/fleet-error.ts';
import type { ConnectionSpec, HostKeyPolicy } from './types.ts';
import { loadKnownHosts, verifyHostKey } from './host-key.ts';
import { knownHostName, preferredHostKeyAlgorithms } from './known-hosts.ts';
import { connectError, describeTarget, isRetryableConnectError, seconds } from './ssh-errors.ts';
import { SshTransport } from './ssh-transport.ts';
import { coalesceWrites } from '../core/coalesce-writes.ts';

export interface ConnectOptions {
  /** Shared jump-host connections (SshPool passes its own); default: private to this transport. */
  jumps?: JumpConnections;
  /** Tries for connections reset before the SSH banner (sshd MaxStartups). Default 5. */
  maxAttempts?: number;
}

interface OpenConnection {
  client: Client;
  dispose(): void;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Exponential backoff with jitter: about 100, 200, 400, 800 ms (at most 2 s) times 0.5..1.5. */
function backoffMs(attempt: number): number {
  return Math.min(2000, 100 * 2 ** (attempt - 1)) * (0.5 + Math.random());
}

interface Credentials {
  privateKey?: string;
  agent?: string;
  methods: AuthenticationType[];
}

/** Private keys read and checked, by file and passphrase: hosts sharing a key read it once per run. */
const checkedKeys = new Map<string, { size: number; mtimeNs: bigint; text: string }>();

async function readPrivateKey(spec: ConnectionSpec & { privateKeyFile: string }): Promise<string> {
  const file = spec.privateKeyFile;
  try {
    const st = await stat(file, { bigint: true });
    const id = JSON.stringify([file, spec.passphrase ?? null]);
    const hit = checkedKeys.get(id);
    if (hit && hit.size === Number(st.size) && hit.mtimeNs === st.mtimeNs) return hit.text;
    const text = await readFile(file, 'utf8');
    const parsed = ssh2.utils.parseKey(text, spec.passphrase);
    if (parsed instanceof Error) {
      throw new FleetError('E_AUTH', `${spec.name}: cannot use private key ${file}: ${parsed.message}`, { host: spec.name });
    }
    if (Buffer.byteLength(text) === Number(st.size)) checkedKeys.set(id, { size: Number(st.size), mtimeNs: st.mtimeNs, text });
    return text;
  } catch (e) {
    if (e instanceof FleetError) throw e;
    throw new FleetError('E_FILE_NOT_FOUND', `${spec.name}: cannot read private key ${file}: ${(e as Error).message}`, { cause: e, host: spec.name });
  }
}

async function credentials(spec: ConnectionSpec): Promise<Credentials> {
  const methods: AuthenticationType[] = [];
  let privateKey: string | undefined;
  if (spec.privateKeyFile) {
    privateKey = await readPrivateKey({ ...spec, privateKeyFile: spec.privateKeyFile });
    methods.push('publickey');
  }
  const agent = process.env.SSH_AUTH_SOCK || undefined;
  if (agent) methods.push('agent');
  if (spec.password !== undefined) methods.push('password', 'keyboard-interactive');
  return { privateKey, agent, methods };
}

/** A TCP channel to the target through the jump host, within the target's connect timeout. */
function forward(via: Client, spec: ConnectionSpec): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => {
      done = true;
      reject(new FleetError('E_UNREACHABLE', `${describeTarget(spec)} via jump host: connection timed out after ${seconds(spec.connectTimeoutMs)}`, { host: spec.name }));
    }, spec.connectTimeoutMs);
    try {
      via.forwardOut('127.0.0.1', 0, spec.address, spec.port, (err, stream) => {
        if (done) {
          stream?.destroy();
          return;
        }
        done = true;
        clearTimeout(timer);
        if (err) reject(new FleetError('E_UNREACHABLE', `${describeTarget(spec)} via jump host: ${err.message}`, { cause: err, host: spec.name }));
        else resolve(stream);
      });
    } catch (e) {
      done = true;
      clearTimeout(timer);
      reject(new FleetError('E_UNREACHABLE', `${describeTarget(spec)} via jump host: ${(e as Error).message}`, { cause: e, host: spec.name }));
    }
  });
}

async function attempt(spec: ConnectionSpec, policy: HostKeyPolicy, creds: Credentials, via?: Client): Promise<OpenConnection> {
  const entries = await loadKnownHosts(policy.knownHostsFile);
  // A socket of our own (connecting already, which ssh2 waits for): TCP_NODELAY,
  // and its writes coalesced (coalesce-writes.ts).
  const sock = coalesceWrites(via ? await forward(via, spec) : netConnect({ host: spec.address, port: spec.port, noDelay: true }));
  const ssh = new NodeSSH();
  let verifyError: FleetError | undefined;
  const target = { name: spec.name, address: spec.address, port: spec.port };
  const config: Config = {
    sock,
    port: spec.port,
    username: spec.user,
    readyTimeout: spec.connectTimeoutMs,
    keepaliveInterval: 10_000,
    keepaliveCountMax: 3,
    algorithms: {
      serverHostKey: preferredHostKeyAlgorithms(entries, knownHostName(spec.address, spec.port)) as ServerHostKeyAlgorithm[],
    },
    hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
      verifyHostKey(policy, target, key).then(
        () => verify(true),
        (e: unknown) => {
          verifyError = e instanceof FleetError ? e : new FleetError('E_HOST_KEY_UNKNOWN', String(e), { host: spec.name });
          verify(false);
        },
      );
    },
    authHandler: creds.methods.length > 0 ? creds.methods : ['none'],
    ...(creds.privateKey !== undefined ? { privateKey: creds.privateKey, passphrase: spec.passphrase } : {}),
    ...(creds.agent ? { agent: creds.agent } : {}),
    ...(spec.password !== undefined ? { password: spec.password, tryKeyboard: true } : {}),
  };
  try {
    await ssh.connect(config);
  } catch (e) {
    ssh.dispose();
    sock?.destroy();
    throw verifyError ?? e;
  }
  const client = ssh.connection;
  if (!client) throw new FleetError('E_UNREACHABLE', `${describeTarget(spec)}: connection closed right after login`, { host: spec.name });
  client.on('error', () => undefined); // later errors surface through 'close' in SshTransport
  return {
    client,
    dispose: () => {
      ssh.dispose();
      sock?.destroy();
    },
  };
}

async function openConnection(spec: ConnectionSpec, policy: HostKeyPolicy, via: Client | undefined, maxAttempts: number): Promise<OpenConnection> {
  const creds = await credentials(spec);
  for (let n = 1; ; n++) {
    try {
      return await attempt(spec, policy, creds, via);
    } catch (e) {
      if (n < maxAttempts && isRetryableConnectError(e)) {
        await sleep(backoffMs(n));
        continue;
      }
      throw connectError(spec, e, creds.methods);
    }
  }
}

function jumpKey(spec: ConnectionSpec): string {
  const { address, port, user, privateKeyFile, jump } = spec;
  return JSON.stringify([user, address, port, privateKeyFile ?? '', jump ? jumpKey(jump) : '']);
}

function viaJump(spec: ConnectionSpec, e: unknown): FleetError {
  const err = connectError(spec.jump ?? spec, e, []);
  return new FleetError(err.code, `${describeTarget(spec)}: jump host ${err.message}`, { cause: err, host: spec.name, hint: err.hint });
}

/** Jump-host connections, one per distinct jump spec, shared by every host behind it. */
export class JumpConnections {
  private readonly cache = new Map<string, Promise<OpenConnection>>();
  constructor(
    private readonly policy: HostKeyPolicy,
    private readonly maxAttempts = 5,
  ) {}

  get(spec: ConnectionSpec): Promise<Client> {
    const key = jumpKey(spec);
    let conn = this.cache.get(key);
    if (!conn) {
      const opening = (async () => {
        const via = spec.jump ? await this.get(spec.jump).catch((e: unknown) => { throw viaJump(spec, e); }) : undefined;
        return openConnection(spec, this.policy, via, this.maxAttempts);
      })();
      conn = opening;
      this.cache.set(key, opening);
      opening.then(
        (c) => c.client.on('close', () => {
          if (this.cache.get(key) === opening) this.cache.delete(key);
        }),
        () => undefined,
      );
    }
    return conn.then((c) => c.client);
  }

  async closeAll(): Promise<void> {
    const all = [...this.cache.values()];
    this.cache.clear();
    await Promise.all(all.map((p) => p.then((c) => c.dispose(), () => undefined)));
  }
}

/**
 * Open one persistent SSH connection to a host and wrap it as a Transport.
 * Through `spec.jump` when set (its connection comes from options.jumps, or a
 * private one closed with the transport).
 */
export async function connectSsh(spec: ConnectionSpec, policy: HostKeyPolicy, options: ConnectOptions = {}): Promise<SshTransport> {
  const maxAttempts = options.maxAttempts ?? 5;
  const own = !options.jumps && spec.jump ? new JumpConnections(policy, maxAttempts) : undefined;
  const jumps = options.jumps ?? own;
  try {
    const via = spec.jump && jumps ? await jumps.get(spec.jump).catch((e: unknown) => { throw viaJump(spec, e); }) : undefined;
    const conn = await openConnection(spec, policy, via, maxAttempts);
    let released = false;
    return new SshTransport(spec, conn.client, async () => {
      if (released) return;
      released = true;
      conn.dispose();
      await own?.closeAll();
    });
  } catch (e) {
    await own?.closeAll();
    throw e;
  }
}
