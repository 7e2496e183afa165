// Training: the two-stage FSP trainer, its optimizer and schedules, the teacher-FSP cache, Student*†
// shuffling, the checkpointable data stream and checkpoints.
export { STAGE_NAMES, STAGES, StageError, parseStage, trainedModel, type Stage } from './stage.js';
export { checkSchedule, defaultSchedule, learningRateAt, paperSchedule, scaleSchedule, type PaperDataset, type Schedule } from './schedule.js';
export { checkDistillation, distillationLoss, type Distillation, type DistillationTerms } from './distillation.js';
export { evaluateBatch, numClasses, type BatchEvaluation } from './evaluate.js';
export { MomentumSgd, type NamedVariable, type SgdOptions, type SgdState } from './optimizer.js';
export {
  cacheKey,
  DEFAULT_CACHE_BYTES,
  TeacherFspCache,
  teacherFspMatrices,
  UncachedSamplesError,
  type CacheKey,
  type CacheStats,
  type TeacherFspOptions,
  type TeacherFspResult,
  type TeacherInput,
} from './fsp-cache.js';
export { channelPermutations, checkPermutations, permuteMatrices, shuffleTeacherMatrices, tapChannels } from './shuffle.js';
export { BatchSampler, type SampledBatch, type SamplerOptions, type SamplerState } from './sampler.js';
export {
  Trainer,
  type EvalOptions,
  type EvalResult,
  type StepResult,
  type TrainBatch,
  type TrainerDataOptions,
  type TrainerMeta,
  type TrainerOptions,
  type TrainerState,
  type StateOptions,
} from './trainer.js';
export {
  decodeCheckpoint,
  encodeCheckpoint,
  readCheckpointFile,
  restoreCheckpoint,
  saveCheckpoint,
  writeCheckpointFile,
  type CheckpointInfo,
} from './checkpoint.js';
