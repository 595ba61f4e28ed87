/** How the CLI prints an error: `fleet: error [CODE]: file:line:col: message` (usage errors without the code). */
import type { FleetError } from '../errors/fleet-error.ts';

export function errorLine(e: FleetError): string {
  return `fleet: error${e.code === 'E_USAGE' ? '' : ` [${e.code}]`}: ${e.describe()}\n`;
}
