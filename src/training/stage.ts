// The trainer's stages (docs/PAPER.md#algorithm-1, plus the teacher's own training):
//   teacher  softmax cross-entropy on the teacher (the teacher is the model being trained)
//   fsp      stage 1: teacher frozen, FSP loss only, trains the student
//   task     stage 2: softmax cross-entropy only, trains the student (no FSP term)

export const STAGES = ['teacher', 'fsp', 'task'] as const;
export type Stage = (typeof STAGES)[number];

/** A call that does not fit the trainer's current stage or models. The server maps it to FAILED_PRECONDITION. */
export class StageError extends Error {
  override readonly name = 'StageError';
}

export function parseStage(value: unknown, field = 'stage'): Stage {
  if (typeof value === 'string' && (STAGES as readonly string[]).includes(value)) return value as Stage;
  throw new RangeError(`${field}: expected one of ${STAGES.join(', ')}, got ${JSON.stringify(value)}`);
}

/** Which model a stage trains. */
export const trainedModel = (stage: Stage): 'teacher' | 'student' => (stage === 'teacher' ? 'teacher' : 'student');
