/**
 * fleet's command line. Commands return an exit code; errors are printed as
 * one clear message (file:line:col where there is a file) and mapped to exit
 * codes here and only here: 0 ok, 2 a host failed, 3 a host unreachable,
 * 4 bad input, 1 internal error, 130 interrupted.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { isFleetError, FleetError } from '../errors/fleet-error.ts';
import { EXIT, exitCodeForError } from './exit-codes.ts';
import { errorLine } from './error-line.ts';
import * as run from './commands/run.ts';
import * as rollback from './commands/rollback.ts';
import * as inventory from './commands/inventory.ts';
import * as validate from './commands/validate.ts';
import * as ping from './commands/ping.ts';
import { runsCommand, showCommand } from './commands/runs.ts';

type Handler<A> = (argv: A) => Promise<number>;

function wrap<A>(h: Handler<A>): (argv: A) => Promise<void> {
  return async (argv) => {
    process.exitCode = await h(argv);
  };
}

export async function main(argv = hideBin(process.argv)): Promise<number> {
  let failure: unknown;
  const parser = yargs(argv)
    .scriptName('fleet')
    .usage('$0 <command> [options]\n\nSSH fleet orchestration with exact dry-run diffs and per-host rollback.')
    .command(run.command, run.describe, run.builder, wrap(run.handler as Handler<unknown>))
    .command(rollback.command, rollback.describe, rollback.builder, wrap(rollback.handler as Handler<unknown>))
    .command(runsCommand.command, runsCommand.describe, runsCommand.builder, wrap(runsCommand.handler as Handler<unknown>))
    .command(showCommand.command, showCommand.describe, showCommand.builder, wrap(showCommand.handler as Handler<unknown>))
    .command(inventory.command, inventory.describe, inventory.builder, wrap(inventory.handler as Handler<unknown>))
    .command(validate.command, validate.describe, validate.builder, wrap(validate.handler as Handler<unknown>))
    .command(ping.command, ping.describe, ping.builder, wrap(ping.handler as Handler<unknown>))
    .example('$0 run playbooks/migrate-flannel-to-calico.yaml -i inventory.yaml --check', 'exact per-host diffs, nothing touched')
    .example('$0 run playbooks/migrate-flannel-to-calico.yaml -i inventory.yaml', 'parallel, rolling, verified')
    .example('$0 rollback <run-id> --host node3', 'put one host back as it was')
    .demandCommand(1, 'name a command (fleet --help lists them)')
    .strict()
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      // Throw: yargs runs the command's handler after a failed validation
      // unless fail() throws (an unknown option such as a mistyped --check
      // must never run the playbook for real).
      throw err ?? new FleetError('E_USAGE', msg);
    });
  // yargs renders the whole help text after starting every command, to cache
  // it for a later showHelp that fleet never asks for: 20-40 ms of CPU at startup.
  const usage = (parser as unknown as { getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: () => void } } })
    .getInternalMethods?.().getUsageInstance?.();
  if (usage && typeof usage.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => undefined;
  try {
    await parser.parseAsync();
  } catch (e) {
    failure = e;
  }
  if (failure) {
    if (isFleetError(failure)) {
      process.stderr.write(errorLine(failure));
      if (failure.code === 'E_USAGE') process.stderr.write('run fleet --help for usage\n');
    } else {
      process.stderr.write(`fleet: internal error: ${(failure as Error)?.stack ?? String(failure)}\n`);
    }
    return exitCodeForError(failure);
  }
  return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
}
