/**
 * ed25519 keys in OpenSSH format, generated in-process (no ssh-keygen per
 * host). Not ssh2's utils.generateKeyPairSync: in 1.17 it drops a leading zero
 * byte of the public key (about 1 key in 256), which OpenSSH then refuses
 * ("error in libcrypto").
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';

export interface KeyPair {
  /** OpenSSH private key (-----BEGIN OPENSSH PRIVATE KEY-----). */
  private: string;
  /** `ssh-ed25519 AAAA... comment` */
  public: string;
}

/** An SSH wire-format string: uint32 length, then the bytes. */
function sshString(data: Buffer | string): Buffer {
  const b = typeof data === 'string' ? Buffer.from(data) : data;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
}

function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

export function ed25519(comment: string): KeyPair {
  // DER straight from the key generation: Node 20's JWK export of a KeyObject can
  // deadlock (it allocates while holding the key's mutex; a GC then runs a key
  // job's destructor that takes the same mutex: seen here as a hung lab test).
  const { publicKey, privateKey } = generateKeyPairSync('ed25519', {
    publicKeyEncoding: { type: 'spki', format: 'der' },
    privateKeyEncoding: { type: 'pkcs8', format: 'der' },
  });
  // Ed25519 SPKI DER ends with the 32-byte public key, PKCS#8 DER with the 32-byte seed.
  const pub = publicKey.subarray(publicKey.length - 32);
  const seed = privateKey.subarray(privateKey.length - 32);
  const pubBlob = Buffer.concat([sshString('ssh-ed25519'), sshString(pub)]);
  const check = randomBytes(4).readUInt32BE();
  const parts = [uint32(check), uint32(check), sshString('ssh-ed25519'), sshString(pub),
    sshString(Buffer.concat([seed, pub])), sshString(comment)];
  let priv = Buffer.concat(parts);
  const pad = (8 - (priv.length % 8)) % 8;
  priv = Buffer.concat([priv, Buffer.from(Array.from({ length: pad }, (_, i) => i + 1))]);
  const body = Buffer.concat([Buffer.from('openssh-key-v1\0'), sshString('none'), sshString('none'), sshString(''),
    uint32(1), sshString(pubBlob), sshString(priv)]);
  const b64 = body.toString('base64').replace(/.{1,70}/g, '$&\n');
  return {
    private: `-----BEGIN OPENSSH PRIVATE KEY-----\n${b64}-----END OPENSSH PRIVATE KEY-----\n`,
    public: `ssh-ed25519 ${pubBlob.toString('base64')} ${comment}`,
  };
}

/** Write a key pair as PATH (0600) and PATH.pub (0644). */
export function writeKeyPair(path: string, key: KeyPair): void {
  writeFileSync(path, key.private, { mode: 0o600 });
  writeFileSync(`${path}.pub`, `${key.public}\n`, { mode: 0o644 });
}

/** One known_hosts line per host: `ADDRESS ssh-ed25519 AAAA...` (port 22, so no brackets). */
export function knownHostsText(hosts: Array<{ address: string; hostKey: KeyPair }>): string {
  return hosts
    .map((h) => {
      const [type, blob] = h.hostKey.public.split(' ');
      return `${h.address} ${type} ${blob}\n`;
    })
    .join('');
}
