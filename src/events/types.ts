/**
 * Everything a run reports, as one union keyed by `kind`. The executor emits
 * these and nothing else; reporters (ui/) handle every kind. Check mode and
 * apply mode emit the same events: check mode just never applies.
 */
import type { SourceLocation } from '../errors/fleet-error.ts';

export type TaskStatus = 'ok' | 'changed' | 'failed' | 'skipped' | 'unreachable' | 'unknown';

/** What a task did (or, in check mode, would do) to one file. */
export interface FileDiff {
  path: string;
  before: 'absent' | 'file' | 'directory' | 'other';
  after: 'absent' | 'file' | 'directory' | 'other';
  /** Unified diff of the content (text files), empty when only attributes change. */
  unified?: string;
  /** Content is binary: no unified diff, sizes only. */
  binary?: { beforeBytes: number; afterBytes: number };
  /** "0644 root:root -> 0600 root:root" when mode/owner change. */
  attrs?: { before: string; after: string };
}

export interface ServiceSnapshot {
  active: string;
  enabled: string;
}

export interface ServiceChange {
  name: string;
  before: ServiceSnapshot;
  after: ServiceSnapshot;
  /** restart / reload / daemon-reload: the state does not change but the action happens. */
  action?: string;
}

export interface TaskEffects {
  diffs: FileDiff[];
  services: ServiceChange[];
  /** Commands that ran (or would run in check mode). */
  commands: string[];
}

export interface HostRecap {
  ok: number;
  changed: number;
  failed: number;
  skipped: number;
  unreachable: number;
  unknown: number;
  rolledBack: number;
  /** Final state of the host in this run. */
  state: 'ok' | 'failed' | 'unreachable' | 'rolled-back' | 'failed-to-rollback' | 'not-run';
  /** Totals of predicted or applied changes, for check-mode summaries. */
  filesChanged: number;
  servicesChanged: number;
  commandsRun: number;
}

export type RunResult = 'ok' | 'failed' | 'unreachable' | 'interrupted';

export type RunEvent =
  | {
      kind: 'run-start';
      runId: string;
      playbook: string;
      check: boolean;
      hosts: string[];
      time: string;
    }
  | { kind: 'play-start'; play: string; hosts: string[]; strategy: 'linear' | 'free' }
  | { kind: 'batch-start'; play: string; index: number; count: number; hosts: string[] }
  | {
      kind: 'task-start';
      play: string;
      task: string;
      location: SourceLocation;
      hosts: string[];
      handler: boolean;
    }
  | {
      kind: 'host-task';
      host: string;
      task: string;
      status: TaskStatus;
      /** The loop item, when the task loops. */
      item?: string;
      msg?: string;
      /** stdout/stderr tail of a failed command, for the report. */
      output?: string;
      effects: TaskEffects;
      check: boolean;
      handler: boolean;
      durationMs: number;
      /** SSH round trips (commands, reads, writes started) on the task's target during the task. */
      roundTrips: number;
      noLog: boolean;
    }
  | { kind: 'rollback-start'; host: string; reason: string; steps: number }
  | {
      kind: 'rollback-step';
      host: string;
      description: string;
      status: 'done' | 'skipped' | 'failed' | 'planned';
      effects?: TaskEffects;
      msg?: string;
    }
  | {
      kind: 'rollback-end';
      host: string;
      status: 'rolled-back' | 'failed-to-rollback';
      msg?: string;
    }
  | { kind: 'rollout-stopped'; play: string; reason: string }
  | { kind: 'warning'; host?: string; msg: string }
  | {
      kind: 'run-end';
      runId: string;
      result: RunResult;
      check: boolean;
      recap: Record<string, HostRecap>;
      durationMs: number;
    };

export type RunEventKind = RunEvent['kind'];
export type EventOf<K extends RunEventKind> = Extract<RunEvent, { kind: K }>;

/** A consumer of events. */
export type EventSink = (event: RunEvent) => void;

export function emptyEffects(): TaskEffects {
  return { diffs: [], services: [], commands: [] };
}

export function newRecap(): HostRecap {
  return {
    ok: 0,
    changed: 0,
    failed: 0,
    skipped: 0,
    unreachable: 0,
    unknown: 0,
    rolledBack: 0,
    state: 'not-run',
    filesChanged: 0,
    servicesChanged: 0,
    commandsRun: 0,
  };
}
