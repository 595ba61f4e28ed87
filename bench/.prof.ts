import { createLab } from '../test/lab/index.ts';
import { seedHosts } from './hosts.ts';
import { spawnSync } from 'node:child_process';
const lab = await createLab({ name: 'fleet-bench-prof', hosts: 100, teardownOnExit: true });
try {
  await seedHosts(lab);
  const r = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', '/tmp/fprof', 'bin/fleet.js', 'run', 'bench/playbooks/bench.yaml', '-i', lab.inventoryPath, '--known-hosts', lab.knownHostsPath, '--output', 'json', '--state-dir', '/tmp/fprof-state', '--forks', '100'], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C.UTF-8' } });
  console.log('exit', r.status, r.stdout.trim().split('\n').pop()?.slice(0, 200));
} finally { await lab.down(); }
