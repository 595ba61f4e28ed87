/**
 * Connection settings of a host, read from its vars with the same precedence
 * as other vars. Each setting has a fleet spelling and Ansible spellings:
 *
 *   address          ansible_host, ansible_ssh_host            (default: host name)
 *   port             ansible_port, ansible_ssh_port            (default 22)
 *   user             ansible_user, ansible_ssh_user            (default: current user)
 *   private_key      ansible_ssh_private_key_file, ansible_private_key_file
 *   password         ansible_password, ansible_ssh_pass
 *   passphrase       ansible_ssh_private_key_passphrase        (fleet's name; Ansible has none)
 *   jump_host        ansible_ssh_common_args ('-o ProxyJump=X' or '-J X' only)
 *   connect_timeout  ansible_ssh_timeout                       (seconds, default 10)
 *   become_password  ansible_become_password, ansible_become_pass
 *
 * The highest-precedence vars block that sets any spelling wins. Two spellings
 * with different values in one block are an error. `null` resets to the default.
 * `ansible_connection` other than ssh is refused (fleet only speaks SSH).
 */
import { homedir, userInfo } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { FleetError } from '../errors/fleet-error.ts';
import type { HostConnection } from './types.ts';
import { locate, type YamlPath, type YamlSource } from '../core/yaml-locate.ts';
import { describeType, type VarsBlock } from './walk.ts';

type Field = keyof HostConnection;

interface Setting {
  field: Field;
  names: readonly string[];
  schema: z.ZodType<string | number | undefined>;
  expected: string;
  secret?: boolean;
}

const noSpace = z.string().regex(/^[^\s\0-\x1f]+$/);
const JUMP_RE = /^(?:[^@\s,/]+@)?(?:\[[0-9A-Fa-f:.]+\]|[^\s@:,[\]/]+)(?::(\d{1,5}))?$/;
const jump = z.string().refine((s) => {
  const m = JUMP_RE.exec(s);
  return !!m && (m[1] === undefined || (Number(m[1]) >= 1 && Number(m[1]) <= 65535));
});

/**
 * Options of `ansible_ssh_common_args` that fleet reads or may safely ignore:
 * ProxyJump (`-o ProxyJump=X`, `-oProxyJump=X`, `-J X`) becomes the jump host;
 * host-key options are ignored because fleet always checks host keys strictly
 * against `--known-hosts` (it never turns checking off); anything else is an
 * error rather than silently not doing what the inventory asks.
 */
const IGNORED_SSH_OPTIONS = new Set(['stricthostkeychecking', 'userknownhostsfile', 'globalknownhostsfile', 'loglevel', 'serveraliveinterval', 'serveralivecountmax', 'connecttimeout', 'controlmaster', 'controlpersist', 'controlpath', 'identitiesonly']);

/** The jump host named by `ansible_ssh_common_args` ('' or ProxyJump=none → none). */
export function parseSshCommonArgs(args: string): string | undefined {
  const tokens = args.trim().split(/\s+/).filter(Boolean).map((t) => t.replace(/^(['"])(.*)\1$/, '$2'));
  let value: string | undefined;
  const unsupported = () => new Error(`only '-o ProxyJump=HOST', '-J HOST' and host-key options (ignored: fleet always checks host keys) are supported, got '${args}'`);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    let opt: string | undefined;
    if (t === '-o') opt = tokens[++i];
    else if (t.startsWith('-o')) opt = t.slice(2);
    else if (t === '-J') {
      value = tokens[++i];
      if (value === undefined) throw unsupported();
      continue;
    } else throw unsupported();
    if (opt === undefined) throw unsupported();
    const eq = opt.indexOf('=');
    if (eq <= 0) throw unsupported();
    const key = opt.slice(0, eq).toLowerCase();
    if (key === 'proxyjump') value = opt.slice(eq + 1);
    else if (!IGNORED_SSH_OPTIONS.has(key)) throw unsupported();
  }
  if (value === undefined || value === '' || value.toLowerCase() === 'none') return undefined;
  return value;
}

const seconds = z
  .union([z.number(), z.string().regex(/^\s*\d+(\.\d+)?\s*$/).transform(Number)])
  .pipe(z.number().positive().max(86400));

export const SETTINGS: readonly Setting[] = [
  { field: 'address', names: ['address', 'ansible_host', 'ansible_ssh_host'], schema: noSpace,
    expected: 'a host name or IP address (a string without spaces)' },
  { field: 'port', names: ['port', 'ansible_port', 'ansible_ssh_port'],
    schema: z.union([z.number(), z.string().regex(/^\s*\d+\s*$/).transform(Number)])
      .pipe(z.number().int().min(1).max(65535)),
    expected: 'an integer port from 1 to 65535' },
  { field: 'user', names: ['user', 'ansible_user', 'ansible_ssh_user'], schema: noSpace,
    expected: 'a user name (a string without spaces)' },
  { field: 'privateKeyFile', names: ['private_key', 'ansible_ssh_private_key_file', 'ansible_private_key_file'],
    schema: z.string().min(1), expected: 'a path to a private key file' },
  { field: 'password', names: ['password', 'ansible_password', 'ansible_ssh_pass'], schema: z.string(),
    expected: 'a string (quote it)', secret: true },
  { field: 'passphrase', names: ['passphrase', 'ansible_ssh_private_key_passphrase'], schema: z.string(),
    expected: 'a string (quote it)', secret: true },
  { field: 'jumpHost', names: ['jump_host', 'ansible_ssh_common_args'], schema: z.string(),
    expected: 'a jump host: an inventory host name or [user@]address[:port]' },
  { field: 'connectTimeoutMs', names: ['connect_timeout', 'ansible_ssh_timeout'], schema: seconds,
    expected: 'a positive number of seconds (at most 86400)' },
  { field: 'becomePassword', names: ['become_password', 'ansible_become_password', 'ansible_become_pass'],
    schema: z.string(), expected: 'a string (quote it)', secret: true },
];

/** Var names that hold secrets (redacted in `fleet inventory --json`). */
export const SECRET_VAR_NAMES: ReadonlySet<string> = new Set(
  SETTINGS.filter((s) => s.secret).flatMap((s) => s.names),
);

let cachedUser: string | undefined;
function currentUser(): string {
  if (cachedUser === undefined) {
    try {
      cachedUser = userInfo().username;
    } catch {
      cachedUser = process.env.USER || process.env.LOGNAME || 'root';
    }
  }
  return cachedUser;
}

function expandKeyPath(p: string, inventoryDir: string): string {
  if (p === '~' || p.startsWith('~/')) return (process.env.HOME || homedir()) + p.slice(1);
  if (p.startsWith('~')) throw new Error('~user paths are not supported; write the full path');
  return isAbsolute(p) ? p : resolve(inventoryDir, p);
}

export interface ResolvedConnection {
  connection: HostConnection;
  /** Where the jump host was set, for jump-cycle errors. */
  jumpPath?: YamlPath;
}

/** Connection settings from vars blocks in ascending precedence. */
export function resolveConnection(
  hostName: string,
  levels: readonly VarsBlock[],
  src: YamlSource,
  inventoryDir: string,
): ResolvedConnection {
  const fail = (path: YamlPath, message: string, hint?: string, key = false): never => {
    throw new FleetError('E_INVENTORY', message, { location: locate(src, path, { key }), ...(hint ? { hint } : {}) });
  };
  for (let i = levels.length - 1; i >= 0; i--) {
    const c = levels[i].vars.ansible_connection;
    if (c === undefined) continue;
    if (c !== null && c !== 'ssh' && c !== 'smart' && c !== 'paramiko') {
      const what = typeof c === 'string' ? `'${c}'` : describeType(c);
      fail([...levels[i].path, 'ansible_connection'], `ansible_connection ${what} is not supported (host '${hostName}')`,
        'fleet only connects over SSH; remove ansible_connection or set it to ssh');
    }
    break;
  }
  const conn: HostConnection = { address: hostName, port: 22, user: currentUser(), connectTimeoutMs: 10_000 };
  let jumpPath: YamlPath | undefined;
  for (const s of SETTINGS) {
    // Highest-precedence block that sets any spelling.
    let found: { name: string; value: unknown; path: YamlPath } | undefined;
    for (let i = levels.length - 1; i >= 0 && !found; i--) {
      const { vars, path } = levels[i];
      for (const name of s.names) {
        if (!Object.hasOwn(vars, name)) continue;
        if (found && found.value !== vars[name]) {
          fail([...path, name], `both '${found.name}' and '${name}' are set, with different values`,
            'use one spelling', true);
        }
        found ??= { name, value: vars[name], path: [...path, name] };
      }
    }
    if (!found || found.value === null) continue;
    const { name, value, path } = found;
    const r = s.schema.safeParse(value);
    if (!r.success) {
      const got = s.secret ? (typeof value === 'string' ? 'a string' : describeType(value).replace(/ \(.*\)$/, '')) : describeType(value);
      fail([...path, ...r.error.issues[0].path.map((p) => (typeof p === 'symbol' ? String(p) : p))],
        `'${name}' of host '${hostName}' must be ${s.expected}, got ${got}`);
    }
    const v = r.data;
    switch (s.field) {
      case 'port': conn.port = v as number; break;
      case 'connectTimeoutMs': conn.connectTimeoutMs = Math.max(1, Math.round((v as number) * 1000)); break;
      case 'privateKeyFile':
        try {
          conn.privateKeyFile = expandKeyPath(v as string, inventoryDir);
        } catch (e) {
          fail(path, `'${name}' of host '${hostName}': ${(e as Error).message}`);
        }
        break;
      case 'jumpHost': {
        let target: string | undefined = v as string;
        if (name === 'ansible_ssh_common_args') {
          try {
            target = parseSshCommonArgs(v as string);
          } catch (e) {
            fail(path, `'ansible_ssh_common_args' of host '${hostName}': ${(e as Error).message}`,
              'other ssh arguments are not supported; use jump_host: [user@]address[:port]');
          }
        }
        if (target === undefined || target === '') break;
        if (target.includes(',')) fail(path, `'${name}' of host '${hostName}': multi-hop jumps ('${target}') are not supported`);
        if (!jump.safeParse(target).success) fail(path, `'${name}' of host '${hostName}' must be ${s.expected}, got '${target}'`);
        conn.jumpHost = target;
        jumpPath = path;
        break;
      }
      default:
        conn[s.field as 'address' | 'user' | 'password' | 'passphrase' | 'becomePassword'] = v as string;
    }
  }
  return { connection: conn, ...(jumpPath ? { jumpPath } : {}) };
}
