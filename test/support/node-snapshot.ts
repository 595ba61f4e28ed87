/**
 * A byte-level picture of a host's files (type, mode, owner, sha256 of
 * content, symlink target) under some directories, taken without fleet.
 */
export type Exec = (script: string) => Promise<{ code: number | null; stdout: string; stderr: string }>;

export async function snapshotFiles(exec: Exec, dirs: string[], exclude: RegExp[] = []): Promise<Map<string, string>> {
  const script = `for d in ${dirs.map((d) => `'${d}'`).join(' ')}; do [ -e "$d" ] || continue; find "$d" -xdev -printf '%y %m %U %G %p\\t%l\\n'; done | sort`;
  const r = await exec(script);
  if (r.code !== 0) throw new Error(`snapshot failed: ${r.stderr}`);
  const files: string[] = [];
  const out = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    if (!line) continue;
    const [head, target] = line.split('\t');
    const [type, mode, uid, gid, ...rest] = head!.split(' ');
    const path = rest.join(' ');
    if (exclude.some((re) => re.test(path))) continue;
    out.set(path, `${type} ${mode} ${uid} ${gid}${type === 'l' ? ' -> ' + target : ''}`);
    if (type === 'f') files.push(path);
  }
  for (let i = 0; i < files.length; i += 200) {
    const chunk = files.slice(i, i + 200);
    const h = await exec(`sha256sum -- ${chunk.map((f) => `'${f.replace(/'/g, `'\\''`)}'`).join(' ')}`);
    for (const line of h.stdout.split('\n')) {
      const m = /^([0-9a-f]{64}) {2}(.*)$/.exec(line);
      if (m) out.set(m[2]!, `${out.get(m[2]!)} ${m[1]}`);
    }
  }
  return out;
}

export function diffSnapshots(a: Map<string, string>, b: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [k, v] of a) if (b.get(k) !== v) out.push(`${k}: ${v} -> ${b.get(k) ?? 'absent'}`);
  for (const [k, v] of b) if (!a.has(k)) out.push(`${k}: absent -> ${v}`);
  return out;
}
