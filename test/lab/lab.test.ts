/** The light lab against real sshd processes (root only): 3 hosts shared by the tests of this suite. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { loadInventory } from '../../src/inventory/index.ts';
import { LAB_USERS, snapshotDiff, tcpAccepts, useLab } from './index.ts';
import { pidsInNetns } from './procs.ts';
import { ssh, sshPassword } from './ssh-helpers.ts';

describe('light lab with 3 hosts', (s) => {
  const handle = useLab(s, { name: 'labtest', hosts: 3 });

  it('answers on every host with its own hostname, host key checked strictly', async () => {
    const { lab } = handle;
    const results = await Promise.all(lab.hosts.map((h) => ssh(lab, 'root', h, 'hostname')));
    assert.deepEqual(results.map((r) => [r.code, r.stdout.trim()]), [[0, 'h1'], [0, 'h2'], [0, 'h3']]);
  });

  it('writes an Ansible-style inventory that fleet loads, and known_hosts for every host', async () => {
    const { lab } = handle;
    assert.equal(lab.hosts.length, 3);
    for (const h of lab.hosts) assert.match(h.address, /^198\.(18|19)\.\d+\.\d+$/);
    const doc = parse(readFileSync(lab.inventoryPath, 'utf8')) as {
      all: { vars: Record<string, string>; children: Record<string, { hosts?: Record<string, { ansible_host: string }> }> };
    };
    assert.equal(doc.all.vars.ansible_user, 'root');
    assert.equal(doc.all.vars.ansible_ssh_private_key_file, lab.keyPath);
    assert.deepEqual(Object.keys(doc.all.children.masters.hosts ?? {}), ['h1']);
    assert.deepEqual(Object.keys(doc.all.children.workers.hosts ?? {}), ['h2', 'h3']);
    const inv = await loadInventory(lab.inventoryPath);
    assert.deepEqual(inv.hosts.map((h) => [h.name, h.connection.address, h.connection.user]),
      lab.hosts.map((h) => [h.name, h.address, 'root']));
    assert.equal(inv.hosts[0].connection.privateKeyFile, lab.keyPath);
    const known = readFileSync(lab.knownHostsPath, 'utf8').trim().split('\n');
    assert.deepEqual(known.map((l) => l.split(' ')[0]), lab.hosts.map((h) => h.address));
  });

  it('keeps a file written in one host private to that host', async () => {
    const { lab } = handle;
    const [h1, h2] = lab.hosts;
    const written = await lab.exec(h1, 'echo private-to-h1 > /etc/lab-probe && mkdir -p /usr/local/lab-probe /root/p /opt/p');
    assert.equal(written.code, 0, written.stderr);
    assert.equal((await ssh(lab, 'root', h1, 'cat /etc/lab-probe')).stdout, 'private-to-h1\n');
    const other = await ssh(lab, 'root', h2, 'ls -d /etc/lab-probe /usr/local/lab-probe /root/p /opt/p 2>/dev/null; echo done');
    assert.equal(other.stdout, 'done\n');
    for (const p of ['/etc/lab-probe', '/usr/local/lab-probe', '/root/p', '/opt/p']) {
      assert.equal(existsSync(p), false, `${p} leaked onto the real machine`);
    }
  });

  it('exec runs a script inside the host and reports code, stdout and stderr', async () => {
    const { lab } = handle;
    const r = await lab.exec('h3', 'hostname; cat; echo oops >&2; ip -4 -o addr show dev eth0 | awk \'{print $4}\'; ip route; exit 3', { input: 'in\n' });
    const h3 = lab.host('h3');
    assert.equal(r.code, 3);
    assert.equal(r.stderr, 'oops\n');
    assert.equal(r.stdout, `h3\nin\n${h3.address}/22\n${lab.subnet} dev eth0 proto kernel scope link src ${h3.address} \n`);
  });

  it('gives each host its own PID namespace with the init as PID 1', async () => {
    const { lab } = handle;
    const r = await lab.exec('h2', "ps -e -o pid=,comm= | awk '{print $1\":\"$2}'");
    const procs = r.stdout.trim().split('\n');
    assert.ok(procs.includes('1:bash'), r.stdout);
    assert.ok(procs.some((p) => p.endsWith(':sshd')), r.stdout);
    assert.ok(procs.length < 10, `only the host's processes are visible: ${r.stdout}`);
  });

  it('gives deploy passwordless sudo and makes deploy2 give its password', async () => {
    const { lab } = handle;
    const h = lab.host('h2');
    const deploy = await ssh(lab, 'deploy', h, 'whoami; sudo -n id -u');
    assert.deepEqual([deploy.code, deploy.stdout], [0, 'deploy\n0\n']);
    const refused = await ssh(lab, 'deploy2', h, 'sudo -n id -u');
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /password is required/);
    const wrong = await ssh(lab, 'deploy2', h, 'echo wrong | sudo -S -p "" id -u');
    assert.notEqual(wrong.code, 0);
    const right = await ssh(lab, 'deploy2', h, `echo ${LAB_USERS.deploy2.password} | sudo -S -p "" id -u`);
    assert.deepEqual([right.code, right.stdout], [0, '0\n']);
  });

  it('lets deploy log in with its password, and refuses a wrong one', async () => {
    const h = handle.lab.host('h3');
    assert.equal(await sshPassword(h, 'deploy', LAB_USERS.deploy.password, 'whoami'), 'deploy\n');
    await assert.rejects(sshPassword(h, 'deploy', 'not-the-password', 'whoami'), /authentication/i);
  });

  it('stopSshd makes connections fail and startSshd restores them with the same host key', async () => {
    const { lab } = handle;
    const h = lab.host('h2');
    const before = h.pid;
    await lab.stopSshd(h);
    assert.equal(h.pid, 0);
    assert.equal(await tcpAccepts(h.address, 22, 1000), false);
    const failed = await ssh(lab, 'root', h, 'true');
    assert.equal(failed.code, 255);
    assert.equal((await lab.exec(h, 'echo still-running')).stdout, 'still-running\n');
    await lab.startSshd(h);
    assert.ok(h.pid > 0 && h.pid !== before);
    assert.equal((await ssh(lab, 'root', h, 'hostname')).stdout, 'h2\n');
  });

  it('killHost kills every process of the host; startSshd boots it again with its disk', async () => {
    const { lab } = handle;
    const h = lab.host('h3');
    assert.equal((await lab.exec(h, 'echo kept > /etc/kept && echo lost > /tmp/lost')).code, 0);
    await lab.killHost(h);
    assert.deepEqual(pidsInNetns(h.netns), []);
    assert.equal(await tcpAccepts(h.address, 22, 1000), false);
    await assert.rejects(lab.exec(h, 'true'), /not running/);
    await lab.startSshd(h);
    const r = await ssh(lab, 'root', h, 'cat /etc/kept; ls /tmp/lost 2>/dev/null; hostname');
    assert.equal(r.stdout, 'kept\nh3\n');
  });

  it('linkDown cuts the host off and linkUp brings it back', async () => {
    const { lab } = handle;
    const h = lab.host('h1');
    await lab.linkDown(h);
    assert.equal(await tcpAccepts(h.address, 22, 1000), false);
    await lab.linkUp(h);
    assert.equal(await tcpAccepts(h.address, 22, 5000), true);
    assert.equal((await ssh(lab, 'root', h, 'hostname')).stdout, 'h1\n');
  });

  it('snapshot is unchanged by ssh logins and sees a write under /etc', async () => {
    const { lab } = handle;
    const h = lab.host('h1');
    const before = await lab.snapshot(h);
    assert.ok(before.size > 100, `snapshot has ${before.size} entries`);
    assert.match(before.get('/etc/ssh/sshd_config') ?? '', /^f 0644 0 0 [0-9a-f]{64}$/);
    assert.match(before.get('/etc') ?? '', /^d 0755 0 0$/);
    for (const user of ['root', 'deploy', 'deploy2']) {
      assert.equal((await ssh(lab, user, h, 'true')).code, 0);
      assert.equal((await ssh(lab, user, h, 'true', ['-tt'])).code, 0);
    }
    assert.equal((await ssh(lab, 'deploy', h, 'sudo -n true')).code, 0);
    assert.equal((await ssh(lab, 'deploy2', h, `echo ${LAB_USERS.deploy2.password} | sudo -S -p "" true`)).code, 0);
    await sshPassword(h, 'deploy', LAB_USERS.deploy.password, 'true');
    const afterLogins = await lab.snapshot(h);
    assert.deepEqual(snapshotDiff(before, afterLogins), []);
    assert.equal((await lab.exec(h, 'echo one > /etc/lab-snap && ln -s lab-snap /etc/lab-snap-link')).code, 0);
    const afterWrite = await lab.snapshot(h);
    assert.deepEqual(snapshotDiff(afterLogins, afterWrite), ['/etc/lab-snap', '/etc/lab-snap-link']);
    assert.equal(afterWrite.get('/etc/lab-snap-link'), 'l 0777 0 0 lab-snap');
    assert.equal((await lab.exec(h, 'chmod 600 /etc/lab-snap')).code, 0);
    const afterChmod = await lab.snapshot(h);
    assert.deepEqual(snapshotDiff(afterWrite, afterChmod), ['/etc/lab-snap']);
    assert.equal((await lab.exec(h, 'echo two > /etc/lab-snap')).code, 0);
    assert.deepEqual(snapshotDiff(afterChmod, await lab.snapshot(h)), ['/etc/lab-snap']);
  });
});
