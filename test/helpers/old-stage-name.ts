// Stage 2 was called 'task' before it was renamed 'cross_entropy'. Checkpoints and session files written then
// must still load; these helpers write them as the old fspd did, for the tests that load them.
import type { TrainerState } from '../../src/training/trainer.js';

/** A JSON-able value with every "cross_entropy" string (values and keys) as the old "task". */
export function withOldStageName<T>(value: T): T {
  return JSON.parse(JSON.stringify(value).replaceAll('"cross_entropy"', '"task"')) as T;
}

/** A trainer state as the old fspd exported it: the old name in the meta and in the optimiser arrays' keys. */
export function stateWithOldStageName(state: TrainerState): TrainerState {
  return {
    meta: withOldStageName(state.meta),
    arrays: new Map([...state.arrays].map(([key, v]) => [key.replace(/^opt\.cross_entropy#/, 'opt.task#'), v])),
  };
}
