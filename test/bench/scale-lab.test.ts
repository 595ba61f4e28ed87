/**
 * The scale bench (bench/scale/, `npm run bench:scale`) on a small scale lab
 * (root): 12 hosts as addresses of one network namespace served by 2 sshds.
 * Every address answers SSH on its own port with the lab's host key; fleet
 * apply and fleet --check run through the bench's own code path
 * (runScaleFleet: seed, measure, judge, per-host figures, end-state check)
 * and leave every host directory migrated / untouched; teardown leaves no
 * sshd, namespace, veth, bridge or lab dir, also for a lab whose process was
 * killed (`--down`, from the state file). Durations are never asserted.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadInventory } from '../../src/inventory/index.ts';
import { linkExists, netnsExists } from '../lab/netns.ts';
import { isGone } from '../lab/procs.ts';
import type { ProcRef } from '../lab/types.ts';
import { adoptHostProcesses, removeGroups } from '../../bench/measure.ts';
import { TASKS } from '../../bench/scenario.ts';
import { checkHostRoot, checkScaleHosts } from '../../bench/scale/end-state.ts';
import { hostFigures, type ParsedEvent } from '../../bench/scale/figures.ts';
import { runScaleFleet } from '../../bench/scale/fleet-run.ts';
import { knownHostsName } from '../../bench/scale/inventory.ts';
import { createScaleLab, type ScaleLab } from '../../bench/scale/lab.ts';
import { readScaleState } from '../../bench/scale/lab-state.ts';
import { seedHostRoot, seedScaleHosts } from '../../bench/scale/seed.ts';

const REPO = new URL('../../', import.meta.url).pathname;
const HOSTS = 12;
const SSHDS = 2;

function sshArgs(lab: ScaleLab, knownHosts: string, address: string, port: number, cmd: string): string[] {
  return [
    '-F', '/dev/null', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${knownHosts}`,
    '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'IdentitiesOnly=yes', '-o', 'IdentityAgent=none', '-o', 'ConnectTimeout=10',
    '-i', lab.keyPath, '-p', String(port), `root@${address}`, cmd,
  ];
}

function ssh(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn('ssh', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (b: Buffer) => (stdout += b));
    c.stderr.on('data', (b: Buffer) => (stderr += b));
    c.on('close', (code) => resolve({ code: code ?? 128, stdout, stderr }));
  });
}

/** At most `limit` at once: stays under sshd's MaxStartups (10). */
async function limited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  }));
  return out;
}

function assertGone(sshds: ProcRef[], netns: string, bridge: string, veth: string, dir: string): void {
  assert.ok(sshds.length > 0);
  assert.deepEqual(sshds.filter((r) => !isGone(r)).map((r) => r.pid), [], 'every sshd is gone');
  assert.equal(netnsExists(netns), false, `netns ${netns} is gone`);
  assert.equal(linkExists(bridge), false, `bridge ${bridge} is gone`);
  assert.equal(linkExists(veth), false, `veth ${veth} is gone`);
  assert.equal(existsSync(dir), false, `lab dir ${dir} is gone`);
}

describe(`scale lab: ${HOSTS} hosts on ${SSHDS} sshds`, () => {
  let lab: ScaleLab | null = null;
  const get = (): ScaleLab => {
    assert.ok(lab, 'the lab is up');
    return lab;
  };
  before(async () => {
    lab = await createScaleLab({ name: 'scale-test', hosts: HOSTS, sshds: SSHDS });
    adoptHostProcesses(lab.sshds.map((r) => r.pid));
  });
  after(async () => {
    try {
      await lab?.down();
    } finally {
      removeGroups();
    }
  });

  it('gives host i address i, the port of sshd i mod K and a directory of its own, in the inventory fleet reads', async () => {
    const l = get();
    const inv = await loadInventory(l.inventoryPath);
    assert.equal(inv.hosts.length, HOSTS);
    assert.equal(new Set(l.hosts.map((h) => h.address)).size, HOSTS);
    for (const [i, h] of l.hosts.entries()) {
      const ih = inv.hosts.find((x) => x.name === h.name);
      assert.ok(ih, h.name);
      assert.equal(h.sshd, (i + 1) % SSHDS);
      assert.equal(h.port, h.sshd === 0 ? 22 : 2200 + h.sshd);
      assert.deepEqual([ih.connection.address, ih.connection.port, ih.connection.user], [h.address, h.port, 'root']);
      assert.equal(ih.vars.host_root, join(l.dir, 'hosts', h.name));
      assert.equal(h.root, ih.vars.host_root);
      assert.match(h.address, /^198\.1[89]\./);
    }
  });

  it('every address answers SSH on its port with the lab host key, checked against known_hosts', async () => {
    const l = get();
    const [type, blob] = l.hostKeyPublic.split(' ');
    const kh = readFileSync(l.knownHostsPath, 'utf8').trim().split('\n');
    assert.deepEqual(kh, l.hosts.map((h) => `${knownHostsName(h.address, h.port)} ${type} ${blob}`));
    // What each sshd presents on each address, read without trusting known_hosts.
    for (let j = 0; j < SSHDS; j++) {
      const mine = l.hosts.filter((h) => h.sshd === j);
      const scan = spawnSync('ssh-keyscan', ['-T', '10', '-t', 'ed25519', '-p', String(mine[0]!.port), ...mine.map((h) => h.address)], { encoding: 'utf8' });
      const got = scan.stdout.trim().split('\n').filter((x) => !x.startsWith('#')).sort();
      assert.deepEqual(got, mine.map((h) => `${knownHostsName(h.address, h.port)} ${type} ${blob}`).sort(), scan.stderr);
    }
    // A login on every host lands on its own address and port (sshd's SSH_CONNECTION), host key checked.
    const results = await limited(l.hosts, 4, (h) => ssh(sshArgs(l, l.knownHostsPath, h.address, h.port, 'echo "$SSH_CONNECTION"; echo "$HOME"; ls -A ~')));
    results.forEach((r, i) => {
      const h = l.hosts[i]!;
      assert.equal(r.code, 0, `${h.name}: ${r.stderr}`);
      const [conn, home, ...inHome] = r.stdout.trim().split('\n');
      assert.deepEqual(conn!.split(' ').slice(2), [h.address, String(h.port)], h.name);
      assert.equal(home, '/root');
      assert.deepEqual(inHome, [], "root's home is the lab's empty one");
    });
  });

  it('a host whose key does not match known_hosts is refused (the check is real)', async () => {
    const l = get();
    const dir = mkdtempSync(join(tmpdir(), 'scale-kh-'));
    try {
      const h = l.hosts[1]!;
      const other = readFileSync(join(l.dir, 'id_ed25519.pub'), 'utf8').split(' ');
      writeFileSync(join(dir, 'kh'), `${knownHostsName(h.address, h.port)} ${other[0]} ${other[1]}\n`);
      const r = await ssh(sshArgs(l, join(dir, 'kh'), h.address, h.port, 'true'));
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the end-state check sees a seeded host is not migrated, and a stray file', () => {
    const l = get();
    seedScaleHosts(l.hosts.map((h) => h.root));
    assert.deepEqual(checkScaleHosts(l.hosts, 'seeded'), []);
    const h = l.hosts[0]!;
    assert.ok(checkHostRoot(h.name, h.root, 'applied').length >= 8);
    writeFileSync(join(h.root, 'etc/kubernetes/.kubelet.env.tmp'), 'x');
    assert.deepEqual(checkHostRoot(h.name, h.root, 'seeded'), [`${h.name}: unexpected /etc/kubernetes/.kubelet.env.tmp`]);
    seedHostRoot(h.root);
    assert.deepEqual(checkHostRoot(h.name, h.root, 'seeded'), []);
  });

  it('fleet apply over every host: all 12 tasks done on each, every host directory migrated', async () => {
    const l = get();
    const r = await runScaleFleet(l, { check: false, forks: HOSTS });
    assert.equal(r.ok, true, `${r.error}\n${r.stderrTail}`);
    assert.equal(r.figures.completed, HOSTS);
    assert.deepEqual(r.stateProblems, []);
    assert.deepEqual(checkScaleHosts(l.hosts, 'applied'), []);
    assert.equal(r.figures.perTaskMs.length, TASKS.length);
    assert.ok(r.figures.completionMs && r.figures.allStartedMs !== null && r.figures.runStartMs !== null);
    assert.ok(r.figures.completionMs.max >= r.figures.completionMs.min);
    assert.ok(r.measured.cpuMs > 0 && r.measured.peakTreeRssKiB > 0);
    assert.ok(r.measured.hostCpuMs !== null && r.measured.hostCpuMs > 0, 'the sshds were adopted: host CPU is counted');
  });

  it('fleet --check on freshly seeded hosts: every host done, nothing changed', async () => {
    const l = get();
    const r = await runScaleFleet(l, { check: true, forks: 'default' });
    assert.equal(r.ok, true, `${r.error}\n${r.stderrTail}`);
    assert.equal(r.figures.completed, HOSTS);
    assert.deepEqual(checkScaleHosts(l.hosts, 'seeded'), []);
  });

  it('teardown kills the sshds and removes the namespace, veth, bridge and lab dir', async () => {
    const l = get();
    const state = readScaleState(l.dir);
    assert.ok(state);
    assert.equal(state.sshds.length, SSHDS);
    assert.ok(state.sshds.every((r) => !isGone(r)) && netnsExists(l.netns) && linkExists(l.bridge) && linkExists(state.veth));
    await l.down();
    assertGone(state.sshds, l.netns, l.bridge, state.veth, l.dir);
  });
});

describe('scale lab left behind by a killed process', () => {
  const name = 'scale-test-kill';
  const dir = `/var/tmp/fleet-scale-lab/${name}`;
  after(() => {
    spawnSync(process.execPath, ['--import', 'tsx', 'bench/scale/run.ts', '--down', '--name', name], { cwd: REPO });
  });

  it('npm run bench:scale -- --down removes it from its state file', async () => {
    const script = `import { createScaleLab } from './bench/scale/lab.ts';
const lab = await createScaleLab({ name: '${name}', hosts: 3, sshds: 2 });
process.stdout.write('up\\n');
setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (b: Buffer) => {
        if (b.toString().includes('up')) resolve();
      });
      child.on('exit', (code) => reject(new Error(`the lab process exited (${code}) before the lab was up`)));
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('close', resolve));
    const state = readScaleState(dir);
    assert.ok(state);
    assert.ok(state.sshds.length === 2 && state.sshds.every((r) => !isGone(r)), 'the sshds outlive the killed process');
    assert.ok(netnsExists(state.netns) && linkExists(state.bridge));
    const down = spawnSync(process.execPath, ['--import', 'tsx', 'bench/scale/run.ts', '--down', '--name', name], { cwd: REPO, encoding: 'utf8' });
    assert.equal(down.status, 0, down.stderr);
    assert.match(down.stdout, /down/);
    assertGone(state.sshds, state.netns, state.bridge, state.veth, dir);
  });
});

describe('scale figures from fleet events', () => {
  const ev = (atMs: number, host: string, task: string, status: 'ok' | 'changed' | 'unknown' | 'unreachable'): ParsedEvent => ({
    atMs,
    event: { kind: 'host-task', host, task, status, handler: false, durationMs: 10 },
  });
  const full = (host: string, from: number, last: 'ok' | 'unknown' = 'ok') => TASKS.map((t, i) => ev(from + i, host, t, i === TASKS.length - 1 ? last : 'ok'));

  it('counts hosts with every task done, their completion and first-result times', () => {
    const f = hostFigures([...full('a', 100), ...full('b', 200), ev(50, 'c', TASKS[0], 'unreachable')], ['a', 'b', 'c', 'd'], false);
    assert.equal(f.completed, 2);
    assert.deepEqual(f.completionMs, { min: 111, median: 161, p95: 211, max: 211 });
    assert.equal(f.firstResultMs?.min, 50);
    assert.equal(f.allStartedMs, null, 'host d never had a result');
    assert.equal(f.incomplete.length, 2);
    assert.match(f.incomplete.join('\n'), /c: probe flannel subnet: unreachable/);
    assert.match(f.incomplete.join('\n'), /d: 0 of 12/);
  });

  it('accepts unknown results in check mode only', () => {
    assert.equal(hostFigures(full('a', 0, 'unknown'), ['a'], true).completed, 1);
    assert.equal(hostFigures(full('a', 0, 'unknown'), ['a'], false).completed, 0);
    assert.equal(hostFigures(full('a', 0).slice(1), ['a'], false).completed, 0, 'a missing task');
  });
});
