/**
 * Checking the scale lab's hosts after a run, on the local file system: after
 * an apply every host directory must hold exactly the migrated state, after a
 * check run exactly the seeded one. "Exactly": the paths bench/scenario.ts
 * checks have the content hash, mode and kind it wants (its
 * seededFingerprint / appliedFingerprint, the same lines a light lab host is
 * checked against), and the directory holds nothing else (no temporary file
 * left by a write, no extra directory).
 */
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { appliedFingerprint, CHECKED_PATHS, seededFingerprint } from '../scenario.ts';

export type WantedState = 'seeded' | 'applied';

/** One line per checked path, in scenario.ts's format: `<path> file <mode> <sha256>`, `<path> dir <mode>`, `<path> other`, `<path> absent`. */
export function fingerprintHostRoot(root: string): string[] {
  return CHECKED_PATHS.map((p) => {
    let st;
    try {
      st = lstatSync(join(root, p));
    } catch {
      return `${p} absent`;
    }
    const mode = (st.mode & 0o7777).toString(8);
    if (st.isFile()) return `${p} file ${mode} ${createHash('sha256').update(readFileSync(join(root, p))).digest('hex')}`;
    if (st.isDirectory()) return `${p} dir ${mode}`;
    return `${p} other`;
  });
}

/** Every entry under root, as `/a/b` paths (what `find root -mindepth 1` lists). */
export function treeOf(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    let names: string[];
    try {
      names = readdirSync(join(root, rel));
    } catch {
      return;
    }
    for (const n of names.sort()) {
      const p = `${rel}/${n}`;
      out.push(p);
      if (lstatSync(join(root, p)).isDirectory()) walk(p);
    }
  };
  walk('');
  return out;
}

/** The tree wanted lines imply: the paths not absent, and their parent directories. */
export function expectedTree(wanted: readonly string[]): string[] {
  const set = new Set<string>();
  for (const line of wanted) {
    const [path, kind] = line.split(' ');
    if (!path || kind === 'absent') continue;
    const parts = path.split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i++) set.add(`/${parts.slice(0, i).join('/')}`);
  }
  return [...set].sort();
}

export function wantedFingerprint(host: string, state: WantedState): string[] {
  return state === 'applied' ? appliedFingerprint(host) : seededFingerprint();
}

/** What is wrong with one host: "<host>: ..." lines, empty when it holds exactly `state`. */
export function checkHostRoot(host: string, root: string, state: WantedState): string[] {
  const problems: string[] = [];
  const want = wantedFingerprint(host, state);
  const got = fingerprintHostRoot(root);
  want.forEach((line, i) => {
    if (got[i] !== line) problems.push(`${host}: want '${line}', got '${got[i] ?? '(nothing)'}'`);
  });
  const tree = new Set(treeOf(root));
  const wantTree = new Set(expectedTree(want));
  for (const p of tree) if (!wantTree.has(p)) problems.push(`${host}: unexpected ${p}`);
  for (const p of wantTree) if (!tree.has(p)) problems.push(`${host}: missing ${p}`);
  return problems;
}

/** Problems of every host (empty when all hold exactly `state`). */
export function checkScaleHosts(hosts: ReadonlyArray<{ name: string; root: string }>, state: WantedState): string[] {
  return hosts.flatMap((h) => checkHostRoot(h.name, h.root, state));
}
