/**
 * systemd: unit state through systemctl.
 *
 * Ops come in this order: daemon-reload, mask/unmask, enable/disable, then
 * start/stop/restart/reload. `daemon_reload: true` is always an op, so a task
 * asking for it always reports changed (unlike Ansible, which reports ok):
 * fleet cannot tell whether systemd's view of the unit files was stale.
 *
 * Current state comes from ctx.facts.service(unit) (systemctl show):
 * - running: ActiveState active, activating, reloading, refreshing;
 *   stopped: inactive, failed; anything else (deactivating...) is neither, so
 *   both `started` and `stopped` act.
 * - `restarted` and `reloaded` always act: restart/reload a running unit,
 *   start a stopped one (as Ansible does).
 * - UnitFileState (see enablement below): enabled, enabled-runtime, alias are
 *   enabled; disabled, linked, linked-runtime are disabled; static, generated,
 *   transient count as enabled and cannot be disabled; indirect counts as
 *   disabled and cannot be enabled. Asking for the impossible fails.
 * - A not-found unit fails any request that needs it (start, enable), while
 *   stopped / enabled: false / masked: false are already true of it.
 */
import { z } from 'zod';
import type { ModuleDef, Op, Plan, PlanContext, ServiceState, SystemctlAction } from './types.ts';

const STATES = ['started', 'stopped', 'restarted', 'reloaded'] as const;
type WantedState = (typeof STATES)[number];

const schema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9:_.@\\][A-Za-z0-9:_.@\\-]*$/, { message: 'must be a systemd unit name like flanneld or docker.service' })
      .optional(),
    state: z.enum(STATES).optional(),
    enabled: z.boolean().optional(),
    masked: z.boolean().optional(),
    daemon_reload: z.boolean().default(false),
  })
  .superRefine((v, ctx) => {
    const asks = v.state !== undefined || v.enabled !== undefined || v.masked !== undefined;
    const issue = (message: string): void => ctx.addIssue({ code: 'custom', message, input: v });
    if (!v.name && asks) issue("'name' is required with state, enabled or masked");
    else if (!asks && !v.daemon_reload) issue('give at least one of state, enabled, masked, daemon_reload');
    if (v.masked === true && (v.enabled === true || (v.state && v.state !== 'stopped'))) {
      issue('a unit cannot be masked and also enabled or started');
    }
  });

export type SystemdArgs = z.output<typeof schema>;

const UNIT_SUFFIX = /\.(service|socket|device|mount|automount|swap|target|path|timer|slice|scope)$/;

/** The full unit name systemctl uses ("flanneld" is "flanneld.service"). */
export function unitName(name: string): string {
  return UNIT_SUFFIX.test(name) ? name : `${name}.service`;
}

const RUNNING = new Set(['active', 'activating', 'reloading', 'refreshing']);
const STOPPED = new Set(['inactive', 'failed']);

type Enablement = 'enabled' | 'disabled' | 'fixed-enabled' | 'fixed-disabled' | 'unknown';

/** How a UnitFileState counts for `enabled`. */
export function enablement(unitFileState: string): Enablement {
  switch (unitFileState) {
    case 'enabled':
    case 'enabled-runtime':
    case 'alias':
      return 'enabled';
    case 'disabled':
    case 'linked':
    case 'linked-runtime':
      return 'disabled';
    case 'static':
    case 'generated':
    case 'transient':
      return 'fixed-enabled';
    case 'indirect':
      return 'fixed-disabled';
    default:
      return 'unknown';
  }
}

function isMasked(s: ServiceState): boolean {
  return s.load === 'masked' || s.enabled === 'masked' || s.enabled === 'masked-runtime';
}

function stateAction(state: WantedState, active: string): SystemctlAction | undefined {
  const running = RUNNING.has(active);
  switch (state) {
    case 'started':
      return running ? undefined : 'start';
    case 'stopped':
      return STOPPED.has(active) ? undefined : 'stop';
    case 'restarted':
      return running ? 'restart' : 'start';
    case 'reloaded':
      return running ? 'reload' : 'start';
  }
}

/** The enable/disable action, undefined when already right, or a failure message. */
function enableAction(unit: string, want: boolean, unitFileState: string): SystemctlAction | undefined | { fail: string } {
  const e = enablement(unitFileState);
  if (e === 'unknown') {
    return { fail: `cannot ${want ? 'enable' : 'disable'} ${unit}: its UnitFileState is '${unitFileState}'` };
  }
  if (want) {
    if (e === 'enabled' || e === 'fixed-enabled') return undefined;
    if (e === 'disabled') return 'enable';
    return { fail: `cannot enable ${unit}: it is ${unitFileState} (no [Install] section of its own); enable the unit that pulls it in` };
  }
  if (e === 'disabled' || e === 'fixed-disabled') return undefined;
  if (e === 'enabled') return 'disable';
  return { fail: `cannot disable ${unit}: it is ${unitFileState} (it has no [Install] section); mask it to keep it from starting` };
}

/**
 * `systemctl mask` links /etc/systemd/system/<unit> to /dev/null and refuses
 * when a unit file of that name is already there (the usual place for units
 * an admin wrote). The reason the mask would fail, or undefined.
 */
async function maskRefused(unit: string, ctx: PlanContext): Promise<string | undefined> {
  const path = `/etc/systemd/system/${unit}`;
  if ((await ctx.facts.path(path)).kind !== 'file') return undefined;
  return `cannot mask ${unit}: its unit file is ${path}, where systemctl mask puts its /dev/null link, and systemctl refuses to replace it; remove that file first, or stop and disable the unit instead`;
}

const UNIT_DIRS = ['/etc/systemd/system', '/run/systemd/system', '/lib/systemd/system', '/usr/lib/systemd/system'];

async function unitFileExists(unit: string, ctx: PlanContext): Promise<boolean> {
  for (const dir of UNIT_DIRS) if ((await ctx.facts.path(`${dir}/${unit}`)).kind !== 'absent') return true;
  return false;
}

export const systemd: ModuleDef<SystemdArgs> = {
  name: 'systemd',
  kind: 'state',
  schema,
  async plan(args, ctx): Promise<Plan> {
    const ops: Op[] = [];
    if (args.daemon_reload) ops.push({ op: 'daemon-reload' });
    if (!args.name || (args.state === undefined && args.enabled === undefined && args.masked === undefined)) return { ops };
    const unit = unitName(args.name);
    const act = (action: SystemctlAction): void => void ops.push({ op: 'systemctl', unit, action });
    let s = await ctx.facts.service(unit);
    // daemon_reload in the same task loads a unit file systemd does not know yet:
    // if the file is there, plan as if the reload had happened.
    if (s.load === 'not-found' && args.daemon_reload && (await unitFileExists(unit, ctx))) {
      s = { ...s, load: 'loaded', active: 'inactive', enabled: 'disabled' };
    }

    if (s.load === 'not-found') {
      const needsUnit = args.enabled === true || (args.state !== undefined && args.state !== 'stopped');
      if (needsUnit) return { ops: [], fail: `unit ${unit} not found` };
      if (args.masked === true) {
        const refused = await maskRefused(unit, ctx);
        if (refused) return { ops: [], fail: refused };
        act('mask');
      }
      return { ops };
    }

    const masked = isMasked(s);
    const willBeMasked = args.masked ?? masked;
    if (args.masked === true && !masked) {
      const refused = await maskRefused(unit, ctx);
      if (refused) return { ops: [], fail: refused };
      act('mask');
    }
    if (args.masked === false && masked) act('unmask');
    if (willBeMasked && (args.enabled === true || (args.state !== undefined && args.state !== 'stopped'))) {
      return { ops: [], fail: `unit ${unit} is masked; add masked: false to unmask it` };
    }

    if (args.enabled !== undefined && !willBeMasked) {
      // Just unmasked: its enablement is unknown until then; treat as disabled.
      const a = enableAction(unit, args.enabled, masked ? 'disabled' : s.enabled);
      if (typeof a === 'object') return { ops: [], fail: a.fail };
      if (a) act(a);
    }

    if (args.state) {
      const a = stateAction(args.state, s.active);
      if (a) act(a);
    }
    return { ops };
  },
};
