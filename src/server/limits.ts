// Admission limits: a request whose shapes would make the server allocate more than the operator allows is
// refused before anything is allocated, with RESOURCE_EXHAUSTED naming the limit and the flag that raises
// it (status.ts's limitExceeded: reason LIMIT_EXCEEDED, the limit and flag in ErrorInfo's metadata).
import { SERVER_OPTIONS, type ServerConfig } from './config.js';
import { limitExceeded, type RpcError } from './status.js';

/** The admission limits, as ServerConfig fields, and their names in ErrorInfo's metadata. */
const LIMIT_NAMES = { maxOutputElements: 'output_elements', maxBatch: 'batch', maxModelSize: 'model_size', maxMemory: 'memory', maxQueued: 'queued_calls' } as const;

export type LimitName = keyof typeof LIMIT_NAMES;

export type Limits = Pick<ServerConfig, 'maxOutputElements' | 'maxBatch' | 'maxModelSize'>;

/**
 * RESOURCE_EXHAUSTED for `limit`: `message` says what was asked and what the limit allows; the flag and
 * variable that raise it are appended, then `advice` (e.g. a retry hint, with `retryDelayMs` for RetryInfo).
 */
export function overLimit(limit: LimitName, message: string, advice?: string, retryDelayMs?: number): RpcError {
  const option = SERVER_OPTIONS.find((o) => o.key === limit);
  if (!option) throw new Error(`no server option for the limit ${limit}`);
  const flag = `--${option.flag}`;
  return limitExceeded(LIMIT_NAMES[limit], flag, `${message} (raise it with ${flag} or ${option.env})${advice ? `; ${advice}` : ''}`, retryDelayMs);
}

/** FSP matrices (batch × C1 × C2 each, student and teacher, all pairs) one call would make. */
export function checkOutputElements(limits: Limits, elements: number, what: string): void {
  if (elements > limits.maxOutputElements) {
    throw overLimit('maxOutputElements', `${what}: FSP matrices of ${elements} elements in all, over the limit of ${limits.maxOutputElements} per call`);
  }
}

/** One batch of `batch` samples (`field` names it in the message). */
export function checkBatch(limits: Limits, batch: number, field: string): void {
  if (batch > limits.maxBatch) throw overLimit('maxBatch', `${field}: a batch of ${batch} samples, over the limit of ${limits.maxBatch}`);
}

/** One model of `bytes` bytes of weights. */
export function checkModelSize(limits: Limits, bytes: number, what: string): void {
  if (bytes > limits.maxModelSize) {
    throw overLimit('maxModelSize', `${what}: ${mib(bytes)} of weights, over the limit of ${mib(limits.maxModelSize)} per model`);
  }
}

export const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(bytes < 1024 ** 2 ? 3 : 1)} MiB`;
