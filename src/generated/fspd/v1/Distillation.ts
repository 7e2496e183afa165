// Original file: proto/fspd/v1/training_service.proto


/**
 * Hinton knowledge distillation in stage 2: loss = (1 − α)·cross-entropy + α·T²·KL(softmax(teacher/T) ‖
 * softmax(student/T)), mean over the batch; the teacher in inference mode on the same batch.
 */
export interface Distillation {
  /**
   * Temperature T of both soft targets, > 0 (Hinton et al.: 1–20; 4 is common).
   */
  'temperature'?: (number | string);
  /**
   * Weight α of the soft-target term, in [0, 1].
   */
  'alpha'?: (number | string);
}

/**
 * Hinton knowledge distillation in stage 2: loss = (1 − α)·cross-entropy + α·T²·KL(softmax(teacher/T) ‖
 * softmax(student/T)), mean over the batch; the teacher in inference mode on the same batch.
 */
export interface Distillation__Output {
  /**
   * Temperature T of both soft targets, > 0 (Hinton et al.: 1–20; 4 is common).
   */
  'temperature': (number);
  /**
   * Weight α of the soft-target term, in [0, 1].
   */
  'alpha': (number);
}
