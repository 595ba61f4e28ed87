/**
 * SIGINT / SIGTERM: the first one asks the run to start no new task (running
 * tasks finish, failed hosts are rolled back, the recap prints); a second one
 * exits at once (the journal is consistent: every intent is fsynced before
 * its op).
 */
export function onInterrupt(firstSignal: () => void): () => void {
  let count = 0;
  const handler = (sig: NodeJS.Signals) => {
    count++;
    if (count === 1) {
      process.stderr.write(`\nfleet: ${sig}: finishing running tasks, starting no new ones (again to stop at once)\n`);
      firstSignal();
    } else {
      process.stderr.write(`\nfleet: ${sig} again: stopping now\n`);
      process.exit(130);
    }
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
