/** Lab bring-up and teardown against the real machine (root only): nothing may be left behind. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createLab, destroyLab, REPO_ROOT, withLab } from './index.ts';
import { isGone, pidsInNetns, procRef } from './procs.ts';
import { run } from './run.ts';
import { ssh } from './ssh-helpers.ts';
import type { Lab } from './lab.ts';
import type { ProcRef } from './types.ts';

const CLI = join(REPO_ROOT, 'test/lab/cli.ts');
const FIXTURE = join(REPO_ROOT, 'test/lab/fixtures/guarded-lab.ts');

interface Footprint {
  dir: string;
  netns: string[];
  links: string[];
  /** holder, init and sshd of each host */
  procs: ProcRef[];
  /** every process in the hosts' network namespaces (sessions, sleep, sshd's preauth children...) */
  all: ProcRef[];
  mountNs: string[];
}

function footprint(lab: Lab): Footprint {
  // holder, init and sshd of each host (sshd's short-lived preauth children may come and go)
  const procs = lab.hosts.flatMap((h) => [h.holderPid, h.initPid, h.pid].map((pid) => procRef(pid)).filter((r): r is ProcRef => r !== null));
  return {
    all: lab.hosts.flatMap((h) => pidsInNetns(h.netns)),
    dir: lab.dir,
    netns: lab.hosts.map((h) => h.netns),
    links: [lab.bridge, ...lab.hosts.map((h) => h.veth)],
    procs,
    mountNs: lab.hosts.map((h) => readlinkSync(`/proc/${h.initPid}/ns/mnt`)),
  };
}

/** Mount namespaces some process of this machine is in. */
function liveMountNamespaces(): Set<string> {
  const out = new Set<string>();
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      out.add(readlinkSync(`/proc/${pid}/ns/mnt`));
    } catch {
      // exited or zombie
    }
  }
  return out;
}

async function assertPresent(f: Footprint): Promise<void> {
  const netns = (await run('ip', ['netns', 'list'])).stdout;
  for (const n of f.netns) assert.match(netns, new RegExp(`^${n}( |$)`, 'm'));
  const links = (await run('ip', ['-o', 'link', 'show'])).stdout;
  for (const l of f.links) assert.match(links, new RegExp(`: ${l}[@:]`));
  assert.equal(f.procs.length, f.netns.length * 3, 'holder, init and sshd per host');
  assert.ok(f.procs.every((p) => !isGone(p)));
  const mounts = readFileSync('/proc/mounts', 'utf8');
  for (const n of f.netns) assert.ok(mounts.includes(`/run/netns/${n} `));
  const live = liveMountNamespaces();
  for (const m of f.mountNs) assert.ok(live.has(m));
  assert.ok(existsSync(f.dir));
}

async function assertGone(f: Footprint): Promise<void> {
  const netns = (await run('ip', ['netns', 'list'])).stdout;
  for (const n of f.netns) assert.doesNotMatch(netns, new RegExp(`^${n}( |$)`, 'm'));
  const links = (await run('ip', ['-o', 'link', 'show'])).stdout;
  for (const l of f.links) assert.doesNotMatch(links, new RegExp(`: ${l}[@:]`));
  for (const p of [...f.procs, ...f.all]) assert.ok(isGone(p), `process ${p.pid} survived`);
  const mounts = readFileSync('/proc/mounts', 'utf8');
  for (const n of f.netns) assert.ok(!mounts.includes(`/run/netns/${n} `), `${n} still mounted`);
  assert.ok(!mounts.includes(f.dir), 'something is mounted under the lab dir');
  const live = liveMountNamespaces();
  for (const m of f.mountNs) assert.ok(!live.has(m), `a host mount namespace (${m}) is still alive`);
  assert.equal(existsSync(f.dir), false);
}

describe('lab lifecycle', () => {
  it('down() leaves no namespace, link, mount or process behind, and can be called again', async () => {
    const lab = await createLab({ name: 'labdown', hosts: 2, teardownOnExit: true });
    const f = footprint(lab);
    await assertPresent(f);
    await lab.down();
    await assertGone(f);
    await lab.down();
    assert.equal(destroyLab({ dir: f.dir }), false);
  });

  it('withLab tears the lab down when its function throws', async () => {
    let f: Footprint | null = null;
    await assert.rejects(
      withLab({ name: 'labthrow', hosts: 1 }, (lab) => {
        f = footprint(lab);
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.ok(f);
    await assertGone(f);
  });

  it('createLab tears down a stale lab of the same name first', async () => {
    const old = await createLab({ name: 'labstale', hosts: 1 });
    const oldProcs = footprint(old).procs;
    const lab = await createLab({ name: 'labstale', hosts: 2, teardownOnExit: true });
    try {
      for (const p of oldProcs) assert.ok(isGone(p), `old process ${p.pid} survived`);
      const names = await Promise.all(lab.hosts.map((h) => ssh(lab, 'root', h, 'hostname')));
      assert.deepEqual(names.map((r) => r.stdout), ['h1\n', 'h2\n']);
      await old.down(); // the replaced lab's down() must not touch the new one
      assert.equal((await ssh(lab, 'root', lab.hosts[1], 'hostname')).stdout, 'h2\n');
    } finally {
      await lab.down();
    }
  });

  it('two labs run side by side on separate subnets', async () => {
    await withLab({ name: 'labpair-a', hosts: 1 }, async (a) => {
      await withLab({ name: 'labpair-b', hosts: 1 }, async (b) => {
        assert.notEqual(a.subnet, b.subnet);
        assert.notEqual(a.bridge, b.bridge);
        assert.equal((await ssh(a, 'root', a.hosts[0], 'hostname')).code, 0);
        assert.equal((await ssh(b, 'root', b.hosts[0], 'hostname')).code, 0);
      });
    });
  });

  it('rejects bad options before creating anything', async () => {
    await assert.rejects(createLab({ name: 'Bad_Name', hosts: 1 }), { code: 'E_USAGE' });
    await assert.rejects(createLab({ name: 'labbad', hosts: 0 }), { code: 'E_USAGE' });
    await assert.rejects(createLab({ name: 'labbad', hosts: 1, dir: '/etc/labbad' }), { code: 'E_USAGE' });
    await assert.rejects(createLab({ name: 'labbad', hosts: 1, groups: { web: ['h7'] } }), { code: 'E_USAGE' });
    assert.deepEqual(pidsInNetns('labbad-h1'), []);
    assert.equal(existsSync(join(REPO_ROOT, '.lab/labbad')), false);
  });

  it('the exit safety net tears the lab down on SIGTERM and on process.exit', async () => {
    for (const mode of ['signal', 'exit']) {
      const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, `labguard-${mode}`, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      const up = new Promise<string>((resolve) => {
        child.stdout.on('data', (b: Buffer) => {
          out += b.toString();
          const m = /^up (.+)$/m.exec(out);
          if (m) resolve(m[1]);
        });
      });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const dir = await up;
      if (mode === 'signal') child.kill('SIGTERM');
      assert.equal(await exited, mode === 'signal' ? 143 : 0);
      assert.equal(existsSync(dir), false, `${dir} left behind (${mode})`);
      assert.deepEqual(pidsInNetns(`labguard-${mode}-h1`), []);
      assert.doesNotMatch((await run('ip', ['netns', 'list'])).stdout, new RegExp(`labguard-${mode}-h1`));
    }
  });

  it('lab:up leaves the lab running after the CLI exits; lab:down removes it', async () => {
    try {
      const up = await run(process.execPath, ['--import', 'tsx', CLI, 'up', '--hosts', '2', '--name', 'labcli'], { timeoutMs: 120_000 });
      assert.equal(up.code, 0, up.stderr);
      assert.match(up.stdout, /inventory: +\S*\.lab\/labcli\/inventory\.yaml/);
      assert.match(up.stdout, /npx fleet ping -i \S+inventory\.yaml --known-hosts \S+known_hosts/);
      const state = JSON.parse(readFileSync(join(REPO_ROOT, '.lab/labcli/state.json'), 'utf8')) as {
        dir: string; hosts: Array<{ address: string; netns: string; procs: ProcRef[] }>;
      };
      const procs = state.hosts.flatMap((h) => h.procs);
      assert.ok(procs.length > 0 && procs.every((p) => procRef(p.pid) !== null && !isGone(p)));
      for (const h of state.hosts) {
        const r = await run('ssh', ['-F', '/dev/null', '-i', join(state.dir, 'id_ed25519'), '-o', `UserKnownHostsFile=${join(state.dir, 'known_hosts')}`,
          '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', `root@${h.address}`, 'hostname']);
        assert.equal(r.code, 0, r.stderr);
      }
      const list = await run(process.execPath, ['--import', 'tsx', CLI, 'list']);
      assert.match(list.stdout, /^labcli\t2 hosts\t198\.1[89]\./m);
      const down = await run(process.execPath, ['--import', 'tsx', CLI, 'down', '--name', 'labcli']);
      assert.equal(down.code, 0, down.stderr);
      assert.ok(procs.every((p) => isGone(p)));
      assert.equal(existsSync(state.dir), false);
      const netns = (await run('ip', ['netns', 'list'])).stdout;
      for (const h of state.hosts) assert.doesNotMatch(netns, new RegExp(`^${h.netns}( |$)`, 'm'));
    } finally {
      destroyLab({ name: 'labcli' });
    }
  });

  it('brings 10 hosts up (timed) and each answers over ssh', async (t) => {
    const started = Date.now();
    await withLab({ name: 'labten', hosts: 10 }, async (lab) => {
      const ms = Date.now() - started;
      t.diagnostic(`10 hosts up in ${ms} ms`);
      const names = await Promise.all(lab.hosts.map((h) => ssh(lab, 'root', h, 'hostname')));
      assert.deepEqual(names.map((r) => r.stdout.trim()), lab.hosts.map((h) => h.name));
      const doc = readFileSync(lab.inventoryPath, 'utf8');
      assert.match(doc, /masters:\n\s+hosts:\n\s+h1:[\s\S]*h2:[\s\S]*workers:\n\s+hosts:\n\s+h3:/);
    });
  });
});
