import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactExtraVars } from '../../src/cli/commands/run.ts';

test('the journal keeps the names of -e variables, never their values', () => {
  assert.deepEqual(
    redactExtraVars(['run', 'p.yaml', '-e', 'pw=s3cret', '--extra-vars=token=abc', '-ekey=v', '--extra-vars', 'x=1', '-i', 'inv']),
    ['run', 'p.yaml', '-e', 'pw=(redacted)', '--extra-vars', 'token=(redacted)', '-e', 'key=(redacted)', '--extra-vars', 'x=(redacted)', '-i', 'inv'],
  );
});
