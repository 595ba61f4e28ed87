/** The registered result of a task that did not run in check mode: every field is unknown. */
import { UNKNOWN } from '../expr/index.ts';

export const UNKNOWN_RESULT: Record<string, unknown> = UNKNOWN as unknown as Record<string, unknown>;
