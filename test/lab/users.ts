/**
 * The lab's shared lower layer for /etc (`<lab>/base/etc`, above the real
 * /etc in every host's overlay): the users deploy and deploy2, their sudo
 * rules and the lab-wide authorized_keys. Built once per lab, so no host runs
 * useradd.
 */
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FleetError } from '../../src/errors/fleet-error.ts';
import { must } from './run.ts';

/** Credentials of the lab's users (every user also accepts the lab key). */
export const LAB_USERS = {
  root: { password: null, sudo: 'is root' },
  /** key login and password login (lab-pw); sudo without a password. */
  deploy: { password: 'lab-pw', sudo: 'NOPASSWD' },
  /** key login; sudo asks for its password, lab-sudo-pw. */
  deploy2: { password: 'lab-sudo-pw', sudo: 'password' },
} as const;

export interface LabUser {
  name: 'deploy' | 'deploy2';
  uid: number;
  gid: number;
  home: string;
}

/**
 * deploy2's password is never cached (timestamp_timeout=0): every sudo asks
 * for it, and sudo writes no timestamp under /run/sudo, so a run with become
 * leaves no trace in a snapshot.
 */
const SUDOERS = `# fleet test lab
Defaults lecture=never
Defaults:deploy2 timestamp_timeout=0
deploy ALL=(ALL:ALL) NOPASSWD: ALL
deploy2 ALL=(ALL:ALL) ALL
`;

/** Make `dir` with the mode and owner of its counterpart under the real /etc (or 0755 root). */
function mkdirLike(dir: string, real: string): void {
  mkdirSync(dir, { recursive: true });
  const st = existsSync(real) ? statSync(real) : null;
  chmodSync(dir, st ? st.mode & 0o7777 : 0o755);
  chownSync(dir, st?.uid ?? 0, st?.gid ?? 0);
}

function copyLike(file: string, real: string): string {
  copyFileSync(real, file);
  const st = statSync(real);
  chmodSync(file, st.mode & 0o7777);
  chownSync(file, st.uid, st.gid);
  return readFileSync(file, 'utf8');
}

function withoutUsers(text: string, names: string[]): string {
  const lines = text.split('\n').filter((l) => l !== '' && !names.includes(l.split(':')[0]));
  return lines.map((l) => `${l}\n`).join('');
}

function freeId(taken: Set<number>, from: number): number {
  let id = from;
  while (taken.has(id)) id++;
  taken.add(id);
  return id;
}

async function hashPassword(password: string): Promise<string> {
  const r = await must('openssl', ['passwd', '-6', '-stdin'], { input: `${password}\n` });
  return r.stdout.trim();
}

/** Write `<baseDir>/etc` and return the lab users. */
export async function writeBaseEtc(baseDir: string, authorizedKeys: string): Promise<LabUser[]> {
  if (!existsSync('/etc/sudoers')) {
    throw new FleetError('E_USAGE', 'lab: sudo is not installed (no /etc/sudoers)', { hint: 'apt-get install sudo' });
  }
  const etc = join(baseDir, 'etc');
  mkdirLike(etc, '/etc');
  const names = ['deploy', 'deploy2'] as const;
  const passwd = withoutUsers(copyLike(join(etc, 'passwd'), '/etc/passwd'), [...names]);
  const group = withoutUsers(copyLike(join(etc, 'group'), '/etc/group'), [...names]);
  const shadow = withoutUsers(copyLike(join(etc, 'shadow'), '/etc/shadow'), [...names]);
  const gshadow = withoutUsers(copyLike(join(etc, 'gshadow'), '/etc/gshadow'), [...names]);
  const uids = new Set(passwd.split('\n').map((l) => Number(l.split(':')[2])));
  const gids = new Set(group.split('\n').map((l) => Number(l.split(':')[2])));
  const users: LabUser[] = [];
  let p = passwd, g = group, s = shadow, gs = gshadow;
  for (const name of names) {
    const id = freeId(new Set([...uids, ...gids]), 2001);
    uids.add(id);
    gids.add(id);
    const user: LabUser = { name, uid: id, gid: id, home: `/home/${name}` };
    users.push(user);
    const hash = await hashPassword(LAB_USERS[name].password);
    p += `${name}:x:${id}:${id}:fleet lab:${user.home}:/bin/bash\n`;
    g += `${name}:x:${id}:\n`;
    s += `${name}:${hash}:19000:0:99999:7:::\n`;
    gs += `${name}:!::\n`;
  }
  writeFileSync(join(etc, 'passwd'), p);
  writeFileSync(join(etc, 'group'), g);
  writeFileSync(join(etc, 'shadow'), s);
  writeFileSync(join(etc, 'gshadow'), gs);
  mkdirLike(join(etc, 'sudoers.d'), '/etc/sudoers.d');
  writeFileSync(join(etc, 'sudoers.d', 'fleet-lab'), SUDOERS, { mode: 0o440 });
  mkdirLike(join(etc, 'ssh'), '/etc/ssh');
  writeFileSync(join(etc, 'ssh', 'lab_authorized_keys'), authorizedKeys, { mode: 0o644 });
  return users;
}
