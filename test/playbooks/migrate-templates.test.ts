/**
 * The migration's handlebars templates (templates/*.hbs): calicoctl.cfg for both
 * datastores (compared with the samples of Calico's docs), and the docker and
 * kubelet drop-ins (systemd syntax: ExecStart= reset before it is set).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { renderTemplate } from '../../src/template/index.ts';

const TEMPLATES = new URL('../../templates/', import.meta.url);
const SAMPLES = new URL('./fixtures/', import.meta.url);

function render(name: string, vars: Record<string, unknown>): string {
  return renderTemplate(readFileSync(new URL(name, TEMPLATES), 'utf8'), vars, { file: name });
}

const base = { inventory_hostname: 'worker2', etcd_endpoints: '', etcd_ca_file: '', etcd_cert_file: '', etcd_key_file: '', kubeconfig: '/root/.kube/config' };

describe('calicoctl.cfg.hbs', () => {
  it('etcdv3 with TLS: the fields of the etcd sample (calicoctl-etcdv3.cfg.yaml)', () => {
    const sample = parse(readFileSync(new URL('calicoctl-etcdv3.cfg.yaml', SAMPLES), 'utf8')) as { spec: Record<string, string> };
    const out = parse(render('calicoctl.cfg.hbs', {
      ...base, calico_datastore: 'etcdv3', etcd_endpoints: sample.spec.etcdEndpoints,
      etcd_key_file: sample.spec.etcdKeyFile, etcd_cert_file: sample.spec.etcdCertFile, etcd_ca_file: sample.spec.etcdCACertFile,
    }));
    assert.deepEqual(out, sample);
  });

  it('etcdv3 without TLS: only the type and the endpoints', () => {
    const out = parse(render('calicoctl.cfg.hbs', { ...base, calico_datastore: 'etcdv3', etcd_endpoints: 'http://10.220.209.201:2379' }));
    assert.deepEqual(out, {
      apiVersion: 'projectcalico.org/v3', kind: 'CalicoAPIConfig', metadata: null,
      spec: { datastoreType: 'etcdv3', etcdEndpoints: 'http://10.220.209.201:2379' },
    });
  });

  it('kubernetes: the KDD sample (calicoctl-kdd.cfg.yaml)', () => {
    const sample = parse(readFileSync(new URL('calicoctl-kdd.cfg.yaml', SAMPLES), 'utf8'));
    assert.deepEqual(parse(render('calicoctl.cfg.hbs', { ...base, calico_datastore: 'kubernetes' })), sample);
  });
});

describe('systemd drop-ins', () => {
  it('docker: resets EnvironmentFile= and keeps the unit\'s other environment files', () => {
    const out = render('docker-no-flannel.conf.hbs', { ...base, docker_envfiles: { stdout_lines: ['EnvironmentFile=-/etc/default/docker'] } });
    const lines = out.split('\n').filter((l) => l && !l.startsWith('#'));
    assert.deepEqual(lines, ['[Service]', 'EnvironmentFile=', 'EnvironmentFile=-/etc/default/docker']);
  });

  it('kubelet: an empty ExecStart= first, then the unit\'s own command line plus --network-plugin=cni', () => {
    const exec = 'ExecStart=/opt/k8s/bin/kubelet \\\n  --hostname-override=worker2 \\\n  --v=2';
    const out = render('kubelet-calico-cni.conf.hbs', { ...base, kubelet_exec: { stdout: exec } });
    const body = out.slice(out.indexOf('[Service]'));
    assert.equal(body, `[Service]\nExecStart=\n${exec} \\\n  --network-plugin=cni\n`);
    // what systemd makes of it: the continuation lines joined into one command line
    const joined = body.split('\n').slice(2).join('\n').replace(/\\\n/g, ' ').replace(/\s+/g, ' ').trim();
    assert.equal(joined, 'ExecStart=/opt/k8s/bin/kubelet --hostname-override=worker2 --v=2 --network-plugin=cni');
  });
});
