/**
 * How the real CLI fails against three lab hosts: an unreachable host (exit 3,
 * the others finish), a failing task (exit 2), a changed or unknown host key,
 * and bad input (exit 4, file:line:col, and no host contacted at all).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { useLab, type Lab } from '../lab/index.ts';
import {
  explain, fleetRun, hostFile, hostSh, hostTask, hostTasks, recapOf, removeDir, runEnd, runFleet, tempDir, writePlaybook,
} from './helpers.ts';

const HOSTS = ['h1', 'h2', 'h3'];

/** OpenSSH's SHA256 fingerprint of a public key blob (base64 as in known_hosts). */
function fingerprint(blobBase64: string): string {
  return `SHA256:${createHash('sha256').update(Buffer.from(blobBase64, 'base64')).digest('base64').replace(/=+$/, '')}`;
}

/** The lab's known_hosts line of a host: [address, type, blob]. */
function knownLine(lab: Lab, host: string): [string, string, string] {
  const address = lab.host(host).address;
  const line = readFileSync(lab.knownHostsPath, 'utf8').split('\n').find((l) => l.split(' ')[0] === address);
  assert.ok(line, `no known_hosts line for ${host}`);
  const [a, t, b] = line.split(' ');
  return [a!, t!, b!];
}

/** Lines "Accepted publickey ..." in a host's sshd log (sshd logs at INFO for this file). */
async function logins(lab: Lab, host: string): Promise<number> {
  const out = await hostSh(lab, host, 'grep -c "Accepted publickey" /var/log/lab-sshd.log || true');
  return Number(out.trim());
}

describe('failures through the CLI (it-fail)', (s) => {
  const h = useLab(s, { name: 'it-fail', hosts: 3 });
  let dir = '';
  let state = '';
  let pb = '';
  before(() => {
    dir = tempDir('it-fail');
    state = join(dir, 'state');
    pb = writePlaybook(dir, 'site.yaml', `
- hosts: all
  tasks:
    - name: marker
      copy: { dest: /opt/marker, content: "{{ inventory_hostname }}\\n" }
    - name: after marker
      command: { argv: [cp, /opt/marker, /opt/marker2] }
`);
  });
  after(() => removeDir(dir));
  const clean = async (): Promise<void> => {
    await Promise.all(HOSTS.map((x) => hostSh(h.lab, x, 'rm -f /opt/marker /opt/marker2')));
  };

  it('a host whose sshd is down is unreachable (exit 3); the others finish', async () => {
    const { lab } = h;
    await clean();
    await lab.stopSshd('h2');
    try {
      const r = fleetRun(lab, pb, state);
      assert.equal(r.code, 3, explain(r));
      assert.equal(runEnd(r).result, 'unreachable');
      const t = hostTask(r, 'marker', 'h2');
      assert.equal(t.status, 'unreachable');
      assert.match(t.msg ?? '', new RegExp(`h2 .*${lab.host('h2').address.replace(/\./g, '\\.')}:22.*refused`));
      assert.deepEqual(hostTasks(r, 'after marker', 'h2'), []);
      assert.equal(recapOf(r).h2!.state, 'unreachable');
      assert.equal(recapOf(r).h2!.unreachable, 1);
      for (const host of ['h1', 'h3']) {
        assert.equal(recapOf(r)[host]!.state, 'ok');
        assert.equal(await hostFile(lab, host, '/opt/marker2'), `${host}\n`);
      }
      assert.equal(await hostFile(lab, 'h2', '/opt/marker'), null);
    } finally {
      await lab.startSshd('h2');
    }
  });

  it('a failing task fails its host (exit 2), the others go on', async () => {
    const { lab } = h;
    await clean();
    const fail = writePlaybook(dir, 'fail.yaml', `
- hosts: all
  tasks:
    - name: maybe false
      command: 'false'
      when: inventory_hostname == 'h2'
    - name: next
      copy: { dest: /opt/marker, content: "next\\n" }
`);
    const r = fleetRun(lab, fail, state);
    assert.equal(r.code, 2, explain(r));
    assert.equal(runEnd(r).result, 'failed');
    assert.equal(hostTask(r, 'maybe false', 'h2').status, 'failed');
    assert.equal(hostTask(r, 'maybe false', 'h2').msg, 'non-zero exit code 1');
    assert.equal(hostTask(r, 'maybe false', 'h1').status, 'skipped');
    assert.deepEqual(hostTasks(r, 'next').map((e) => e.host).sort(), ['h1', 'h3']);
    assert.equal(await hostFile(lab, 'h1', '/opt/marker'), 'next\n');
    assert.equal(await hostFile(lab, 'h2', '/opt/marker'), null);
    assert.equal(recapOf(r).h2!.state, 'failed');
  });

  it('a changed host key: that host is unreachable with both fingerprints, the others run', async () => {
    const { lab } = h;
    await clean();
    const keyFile = join(dir, 'wrong');
    const kg = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile], { encoding: 'utf8' });
    assert.equal(kg.status, 0, kg.stderr);
    const wrongBlob = readFileSync(`${keyFile}.pub`, 'utf8').split(' ')[1]!;
    const [addr, , realBlob] = knownLine(lab, 'h1');
    const kh = join(dir, 'known_hosts.changed');
    writeFileSync(kh, [`${addr} ssh-ed25519 ${wrongBlob}`, knownLine(lab, 'h2').join(' '), knownLine(lab, 'h3').join(' '), ''].join('\n'));

    const r = fleetRun({ inventoryPath: lab.inventoryPath, knownHostsPath: kh }, pb, state);
    assert.equal(r.code, 3, explain(r));
    const t = hostTask(r, 'marker', 'h1');
    assert.equal(t.status, 'unreachable', explain(r));
    assert.ok(t.msg?.includes(fingerprint(wrongBlob)), `expected fingerprint missing: ${t.msg}`);
    assert.ok(t.msg?.includes(fingerprint(realBlob)), `presented fingerprint missing: ${t.msg}`);
    assert.match(t.msg ?? '', /HOST KEY CHANGED/);
    assert.equal(recapOf(r).h1!.state, 'unreachable');
    assert.equal(await hostFile(lab, 'h1', '/opt/marker'), null);
    for (const host of ['h2', 'h3']) assert.equal(await hostFile(lab, host, '/opt/marker2'), `${host}\n`);
    // The known_hosts file is left as it was.
    assert.ok(readFileSync(kh, 'utf8').startsWith(`${addr} ssh-ed25519 ${wrongBlob}\n`));
  });

  it('an unknown host key fails without --accept-new-host-keys; with it the key is recorded', async () => {
    const { lab } = h;
    await clean();
    const kh = join(dir, 'known_hosts.partial');
    writeFileSync(kh, [knownLine(lab, 'h1').join(' '), knownLine(lab, 'h2').join(' '), ''].join('\n'));
    const target = { inventoryPath: lab.inventoryPath, knownHostsPath: kh };

    const r1 = fleetRun(target, pb, state);
    assert.equal(r1.code, 3, explain(r1));
    const t = hostTask(r1, 'marker', 'h3');
    assert.equal(t.status, 'unreachable');
    assert.equal(await hostFile(lab, 'h1', '/opt/marker2'), 'h1\n');
    assert.match(t.msg ?? '', /unknown host key/);
    assert.ok(t.msg?.includes(fingerprint(knownLine(lab, 'h3')[2])), t.msg);
    assert.equal(await hostFile(lab, 'h3', '/opt/marker'), null);
    assert.equal(readFileSync(kh, 'utf8').split('\n').filter(Boolean).length, 2);

    const r2 = fleetRun(target, pb, state, ['--accept-new-host-keys']);
    assert.equal(r2.code, 0, explain(r2));
    assert.equal(await hostFile(lab, 'h3', '/opt/marker2'), 'h3\n');
    const [addr, type, blob] = knownLine(lab, 'h3');
    const recorded = readFileSync(kh, 'utf8').split('\n').filter(Boolean);
    assert.equal(recorded.length, 3, recorded.join('\n'));
    assert.equal(recorded.filter((l) => l === `${addr} ${type} ${blob}`).length, 1, recorded.join('\n'));

    // Known now: a run without the flag connects.
    const r3 = fleetRun(target, pb, state);
    assert.equal(r3.code, 0, explain(r3));
  });

  it('bad input (YAML syntax, unknown module, unknown key, unknown argument): exit 4, file:line:col, no host contacted', async () => {
    const { lab } = h;
    // sshd logs each login at INFO: turn it on to see whether fleet connects.
    await Promise.all(HOSTS.map(async (x) => {
      await hostSh(lab, x, "sed -i 's/^LogLevel .*/LogLevel INFO/' /etc/ssh/sshd_config");
      await lab.stopSshd(x);
      await lab.startSshd(x);
    }));
    const cases: Array<{ name: string; text: string; where: string; message: RegExp; code: string }> = [
      {
        name: 'yaml.yaml',
        text: '- hosts: all\n  tasks:\n    - name: x\n      debug: { msg: "a"\n    - name: y\n',
        where: '5:5', message: /Flow map/, code: 'E_YAML',
      },
      {
        name: 'module.yaml',
        text: '- hosts: all\n  tasks:\n    - name: x\n      debgu: { msg: a }\n',
        where: '4:7', message: /unknown module 'debgu' \(did you mean 'debug'\?\)/, code: 'E_VALIDATION',
      },
      {
        name: 'key.yaml',
        text: '- hosts: all\n  tasks:\n    - name: x\n      debug: { msg: a }\n      whn: true\n',
        where: '5:7', message: /unknown key 'whn' \(did you mean 'when'\?\)/, code: 'E_VALIDATION',
      },
      {
        name: 'arg.yaml',
        text: '- hosts: all\n  tasks:\n    - name: x\n      copy: { dest: /opt/x, content: a, mod: "0644" }\n',
        where: '4:41', message: /unknown argument 'mod' for module 'copy' \(did you mean 'mode'\?\)/, code: 'E_VALIDATION',
      },
    ];
    const before = await Promise.all(HOSTS.map((x) => logins(lab, x)));
    for (const [i, c] of cases.entries()) {
      const file = writePlaybook(dir, `bad/${c.name}`, c.text);
      const r = fleetRun(lab, file, state, i % 2 ? ['--check'] : []);
      assert.equal(r.code, 4, `${c.name}: ${explain(r)}`);
      assert.deepEqual(r.events, [], `${c.name}: no run may start`);
      assert.ok(r.stderr.includes(`[${c.code}]: ${file}:${c.where}: `), `${c.name}: ${r.stderr}`);
      assert.match(r.stderr, c.message);
    }
    assert.deepEqual(await Promise.all(HOSTS.map((x) => logins(lab, x))), before, 'a host was contacted');

    // The observation works: a good run logs one login per host.
    const ok = fleetRun(lab, pb, state);
    assert.equal(ok.code, 0, explain(ok));
    const afterGood = await Promise.all(HOSTS.map((x) => logins(lab, x)));
    for (const [i, n] of afterGood.entries()) assert.ok(n > before[i]!, `${HOSTS[i]}: ${n} logins, was ${before[i]}`);

    // `fleet validate` on the same files says the same without a run.
    const v = runFleet(['validate', join(dir, 'bad', 'module.yaml')]);
    assert.equal(v.code, 4, v.stderr);
    assert.match(v.stderr, /module\.yaml:4:7: unknown module 'debgu'/);
  });
});
