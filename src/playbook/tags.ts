/** Tag selection (`--tags` / `--skip-tags`) with Ansible's semantics, and task listings. */
import type { Task, TaskNode } from './types.ts';

/**
 * Whether a task with `taskTags` (its own plus inherited ones) runs.
 * - `only` empty means `all`; `all` selects every task not tagged `never`.
 * - A task tagged `always` runs whatever `only` says, unless `always` is skipped.
 * - A task tagged `never` runs only when one of its other tags (or `never`) is asked for.
 * - `tagged` / `untagged` select tasks with / without tags.
 * - `skip` wins over `only`; skipping `all` skips everything except `always` tasks.
 */
export function taskSelected(taskTags: readonly string[], only: readonly string[], skip: readonly string[]): boolean {
  const tags = new Set(taskTags);
  const untagged = tags.size === 0;
  const want = only.length ? new Set(only) : new Set(['all']);
  const meets = (set: ReadonlySet<string>): boolean => [...tags].some((t) => set.has(t));

  let run: boolean;
  if (tags.has('always')) run = true;
  else if (want.has('all') && !tags.has('never')) run = true;
  else if (meets(want)) run = true;
  else if (want.has('tagged') && !untagged && !tags.has('never')) run = true;
  else run = want.has('untagged') && untagged;
  if (!run || skip.length === 0) return run;

  const unwanted = new Set(skip);
  if (unwanted.has('all')) return tags.has('always') && !unwanted.has('always');
  if (meets(unwanted)) return false;
  if (unwanted.has('tagged') && !untagged) return false;
  if (unwanted.has('untagged') && untagged) return false;
  return true;
}

/** Every task under `nodes`, depth first (a block's block, then rescue, then always). */
export function flattenTasks(nodes: readonly TaskNode[]): Task[] {
  const out: Task[] = [];
  const walk = (list: readonly TaskNode[]): void => {
    for (const n of list) {
      if (n.kind === 'task') out.push(n);
      else {
        walk(n.block);
        walk(n.rescue);
        walk(n.always);
      }
    }
  };
  walk(nodes);
  return out;
}
