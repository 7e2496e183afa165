// The trainer's stages (docs/PAPER.md#algorithm-1, plus the teacher's own training):
//   teacher        softmax cross-entropy on the teacher (the teacher is the model being trained)
//   fsp            stage 1: teacher frozen, FSP loss only, trains the student
//   cross_entropy  stage 2: softmax cross-entropy only, trains the student (no FSP term)

export const STAGES = ['teacher', 'fsp', 'cross_entropy'] as const;
export type Stage = (typeof STAGES)[number];

/**
 * Each stage's name wherever it shows outside the trainer — one table, so the vocabularies cannot drift: the
 * proto's Stage enum (student stages only), the metric label of fspd_train_steps_total, and the TensorBoard
 * tag prefix. The trainer's own names are also what checkpoints and session files store.
 */
export const STAGE_NAMES = {
  teacher: { proto: null, metric: 'teacher', tensorboard: 'teacher' },
  fsp: { proto: 'STAGE_FSP', metric: 'fsp', tensorboard: 'stage1' },
  cross_entropy: { proto: 'STAGE_CROSS_ENTROPY', metric: 'cross_entropy', tensorboard: 'stage2' },
} as const satisfies Record<Stage, { proto: string | null; metric: string; tensorboard: string }>;

/** A call that does not fit the trainer's current stage or models. The server maps it to FAILED_PRECONDITION. */
export class StageError extends Error {
  override readonly name = 'StageError';
}

/**
 * A stage name as stored in a file (checkpoint or session.json), in today's vocabulary. Files written before
 * stage 2 was renamed call it 'task'; this is the one place that old name is read. The public API
 * (parseStage) does not accept it.
 */
export function storedStageName(name: string): string {
  return name === 'task' ? 'cross_entropy' : name;
}

export function parseStage(value: unknown, field = 'stage'): Stage {
  if (typeof value === 'string' && (STAGES as readonly string[]).includes(value)) return value as Stage;
  throw new RangeError(`${field}: expected one of ${STAGES.join(', ')}, got ${JSON.stringify(value)}`);
}

/** Which model a stage trains. */
export const trainedModel = (stage: Stage): 'teacher' | 'student' => (stage === 'teacher' ? 'teacher' : 'student');
