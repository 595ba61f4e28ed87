/** Text shared by the reporters: diffs, service changes, per-host summaries, the recap. */
import type { FileDiff, HostRecap, ServiceChange, TaskEffects, TaskStatus } from '../events/types.ts';

export interface Paint {
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  magenta(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

const wrap = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`;
export const colors: Paint = {
  red: wrap(31, 39), green: wrap(32, 39), yellow: wrap(33, 39), cyan: wrap(36, 39),
  magenta: wrap(35, 39), dim: wrap(2, 22), bold: wrap(1, 22),
};
const id = (s: string) => s;
export const noColors: Paint = { red: id, green: id, yellow: id, cyan: id, magenta: id, dim: id, bold: id };

export function useColor(stream: NodeJS.WriteStream): boolean {
  if (process.env.NO_COLOR) return false;
  if (process.env.FORCE_COLOR && process.env.FORCE_COLOR !== '0') return true;
  return !!stream.isTTY;
}

export function paintStatus(p: Paint, status: TaskStatus | string, text = status): string {
  switch (status) {
    case 'ok': return p.green(text);
    case 'changed': return p.yellow(text);
    case 'failed': case 'unreachable': case 'failed-to-rollback': return p.red(text);
    case 'skipped': return p.cyan(text);
    case 'unknown': return p.magenta(text);
    case 'rolled-back': return p.magenta(text);
    default: return text;
  }
}

export function formatDiff(p: Paint, d: FileDiff, indent = '    '): string[] {
  const out: string[] = [];
  const head = d.before === d.after ? `${d.path}` : `${d.path} (${d.before} -> ${d.after})`;
  out.push(indent + p.bold(head));
  if (d.attrs) out.push(indent + `  attributes: ${d.attrs.before} -> ${d.attrs.after}`);
  if (d.binary) out.push(indent + `  binary content: ${d.binary.beforeBytes} -> ${d.binary.afterBytes} bytes`);
  if (d.unified) {
    for (const line of d.unified.split('\n')) {
      if (line === '' || line.startsWith('\\')) continue;
      const colored = line.startsWith('+++') || line.startsWith('---') ? p.bold(line)
        : line.startsWith('+') ? p.green(line)
        : line.startsWith('-') ? p.red(line)
        : line.startsWith('@@') ? p.cyan(line) : line;
      out.push(indent + '  ' + colored);
    }
  }
  return out;
}

export function formatService(s: ServiceChange): string {
  if (s.action === 'daemon-reload') return 'systemctl daemon-reload';
  const state = `${s.name}: ${s.before.active}/${s.before.enabled} -> ${s.after.active}/${s.after.enabled}`;
  return s.action ? `${state} (${s.action})` : state;
}

/** A long script shows its first lines only (--output json carries it whole). */
function shortCommand(cmd: string, indent: string): string {
  const lines = cmd.replace(/\n+$/, '').split('\n');
  if (lines.length <= 4) return lines.join(`\n${indent}  `);
  return [...lines.slice(0, 3), `... (${lines.length - 3} more lines)`].join(`\n${indent}  `);
}

export function formatEffects(p: Paint, fx: TaskEffects, check: boolean, indent = '    '): string[] {
  const out: string[] = [];
  for (const d of fx.diffs) out.push(...formatDiff(p, d, indent));
  for (const s of fx.services) out.push(indent + p.bold('service ') + formatService(s));
  for (const c of fx.commands) out.push(indent + (check ? 'would run: ' : 'ran: ') + shortCommand(c, indent));
  return out;
}

export function hostSummary(host: string, r: HostRecap, check: boolean): string {
  const verb = check ? 'to run' : 'run';
  return `${host}: ${r.filesChanged} file${r.filesChanged === 1 ? '' : 's'} changed, ${r.servicesChanged} service${r.servicesChanged === 1 ? '' : 's'} changed, ${r.commandsRun} command${r.commandsRun === 1 ? '' : 's'} ${verb}`;
}

export function formatRecap(p: Paint, recap: Record<string, HostRecap>): string[] {
  const names = Object.keys(recap);
  const width = Math.max(4, ...names.map((n) => n.length));
  const cols: Array<[keyof HostRecap, string]> = [
    ['ok', 'ok'], ['changed', 'changed'], ['failed', 'failed'], ['unreachable', 'unreachable'],
    ['skipped', 'skipped'], ['unknown', 'unknown'], ['rolledBack', 'rolled-back'],
  ];
  const out = [p.bold(`${'HOST'.padEnd(width)}  ${cols.map(([, h]) => h).join('  ')}  state`)];
  for (const n of names) {
    const r = recap[n]!;
    const cells = cols.map(([k, h]) => String(r[k]).padStart(h.length));
    out.push(`${paintStatus(p, r.state === 'ok' ? (r.changed ? 'changed' : 'ok') : r.state, n.padEnd(width))}  ${cells.join('  ')}  ${paintStatus(p, r.state, r.state)}`);
  }
  return out;
}

export function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}
