// Original file: proto/fspd/v1/fsp_service.proto

import type { FeaturePair as _fspd_v1_FeaturePair, FeaturePair__Output as _fspd_v1_FeaturePair__Output } from '../../fspd/v1/FeaturePair.js';
import type { Tensor as _fspd_v1_Tensor, Tensor__Output as _fspd_v1_Tensor__Output } from '../../fspd/v1/Tensor.js';
import type { Reduction as _fspd_v1_Reduction, Reduction__Output as _fspd_v1_Reduction__Output } from '../../fspd/v1/Reduction.js';
import type { Pooling as _fspd_v1_Pooling, Pooling__Output as _fspd_v1_Pooling__Output } from '../../fspd/v1/Pooling.js';
import type { SharedMemoryRef as _fspd_v1_SharedMemoryRef, SharedMemoryRef__Output as _fspd_v1_SharedMemoryRef__Output } from '../../fspd/v1/SharedMemoryRef.js';

/**
 * L = Σ_i λ_i · reduce(‖G_i^S − G_i^T‖²) over the pairs; student pair i is compared with teacher pair i.
 */
export interface FspLossRequest {
  /**
   * The student's pairs, at least one.
   */
  'student'?: (_fspd_v1_FeaturePair)[];
  /**
   * The teacher's pairs, one per student pair with the same batch and channel counts (h×w may differ).
   * Set exactly one of teacher and teacher_matrices.
   */
  'teacher'?: (_fspd_v1_FeaturePair)[];
  /**
   * The teacher's FSP matrices, float32-decodable [B, C1, C2] per student pair (e.g. cached from an
   * earlier response's teacher_matrices or from TeacherFsp).
   */
  'teacherMatrices'?: (_fspd_v1_Tensor)[];
  /**
   * λ per pair, finite and >= 0; empty = all 1.
   */
  'weights'?: (number | string)[];
  /**
   * How each pair's squared distances are reduced; unspecified = PAPER.
   */
  'reduction'?: (_fspd_v1_Reduction);
  /**
   * How pairs with mismatched h×w are aligned; unspecified = MAX.
   */
  'pooling'?: (_fspd_v1_Pooling);
  /**
   * Also return dL/d(student maps).
   */
  'returnGradients'?: (boolean);
  /**
   * Also return the teacher's FSP matrices (only when the teacher came as pairs), so the client can cache them.
   */
  'returnTeacherMatrices'?: (boolean);
  /**
   * When set with return_gradients: the gradients are written into this shared-memory region from this
   * offset on, packed in response order (student[0].first, student[0].second, student[1].first, ...; each
   * float32 and starting at a multiple of 4 bytes, so at the running offset rounded up to 4), and the
   * response's student_gradients carry shared_memory refs instead of data.
   */
  'gradientsTo'?: (_fspd_v1_SharedMemoryRef | null);
}

/**
 * L = Σ_i λ_i · reduce(‖G_i^S − G_i^T‖²) over the pairs; student pair i is compared with teacher pair i.
 */
export interface FspLossRequest__Output {
  /**
   * The student's pairs, at least one.
   */
  'student': (_fspd_v1_FeaturePair__Output)[];
  /**
   * The teacher's pairs, one per student pair with the same batch and channel counts (h×w may differ).
   * Set exactly one of teacher and teacher_matrices.
   */
  'teacher': (_fspd_v1_FeaturePair__Output)[];
  /**
   * The teacher's FSP matrices, float32-decodable [B, C1, C2] per student pair (e.g. cached from an
   * earlier response's teacher_matrices or from TeacherFsp).
   */
  'teacherMatrices': (_fspd_v1_Tensor__Output)[];
  /**
   * λ per pair, finite and >= 0; empty = all 1.
   */
  'weights': (number)[];
  /**
   * How each pair's squared distances are reduced; unspecified = PAPER.
   */
  'reduction': (_fspd_v1_Reduction__Output);
  /**
   * How pairs with mismatched h×w are aligned; unspecified = MAX.
   */
  'pooling': (_fspd_v1_Pooling__Output);
  /**
   * Also return dL/d(student maps).
   */
  'returnGradients': (boolean);
  /**
   * Also return the teacher's FSP matrices (only when the teacher came as pairs), so the client can cache them.
   */
  'returnTeacherMatrices': (boolean);
  /**
   * When set with return_gradients: the gradients are written into this shared-memory region from this
   * offset on, packed in response order (student[0].first, student[0].second, student[1].first, ...; each
   * float32 and starting at a multiple of 4 bytes, so at the running offset rounded up to 4), and the
   * response's student_gradients carry shared_memory refs instead of data.
   */
  'gradientsTo': (_fspd_v1_SharedMemoryRef__Output | null);
}
