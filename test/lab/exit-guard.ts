/**
 * Safety net: labs created with teardownOnExit are torn down when the process
 * exits, or on SIGINT / SIGTERM / SIGHUP (then the process exits with 128 + signal).
 */
interface Downable {
  name: string;
  downSync(): void;
}

const live = new Set<Downable>();
let installed = false;

function downAll(): void {
  for (const lab of [...live]) {
    live.delete(lab);
    try {
      lab.downSync();
    } catch (e) {
      process.stderr.write(`lab ${lab.name}: teardown at exit failed: ${(e as Error).message}\n`);
    }
  }
}

const SIGNALS = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 } as const;

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', downAll);
  for (const [sig, n] of Object.entries(SIGNALS)) {
    process.on(sig, () => {
      downAll();
      process.exit(128 + n);
    });
  }
}

/** Watch a lab; returns the function that stops watching it (call it once it is down). */
export function guardLab(lab: Downable): () => void {
  install();
  live.add(lab);
  return () => {
    live.delete(lab);
  };
}
