/** The playbook loader's public API. */
export { loadPlaybook, parsePlaybook, validatePlaybook, type PlaybookOptions } from './load.ts';
export { taskSelected, flattenTasks } from './tags.ts';
export type { Playbook, Play, Task, Block, TaskNode, TaskCommon } from './types.ts';
