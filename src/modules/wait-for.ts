/**
 * wait_for: poll a TCP port from the host until a condition holds.
 * started: the port accepts connections; stopped: it refuses them;
 * established: at least min_count ESTABLISHED connections on that port (local
 * or remote side, e.g. BGP sessions on 179); drained: none left.
 */
import { z } from 'zod';
import type { ModuleDef } from './types.ts';
import { num } from './args.ts';

const seconds = num.pipe(z.number().min(0, { message: 'must be 0 or more seconds' }));

const schema = z.strictObject({
  host: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, { message: 'must be a host name or an IP address' })
    .default('127.0.0.1'),
  port: num.pipe(z.number().int().min(1).max(65535)),
  state: z.enum(['started', 'stopped', 'established', 'drained']).default('started'),
  min_count: num.pipe(z.number().int().min(1)).default(1),
  timeout: seconds.default(300),
  delay: seconds.default(0),
  sleep: num.pipe(z.number().positive({ message: 'must be more than 0 seconds' })).default(1),
});

export type WaitForArgs = z.output<typeof schema>;

export const waitFor: ModuleDef<WaitForArgs> = {
  name: 'wait_for',
  kind: 'probe',
  schema,
  async plan(args) {
    return {
      ops: [
        {
          op: 'wait_for',
          host: args.host,
          port: args.port,
          state: args.state,
          minCount: args.min_count,
          timeoutSec: args.timeout,
          delaySec: args.delay,
          sleepSec: args.sleep,
        },
      ],
    };
  },
};
