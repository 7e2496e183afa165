// Progress of a long experiment (fast-opt, a study): finished steps and evaluations counted against the
// plan, the time per step so far, and the time left. Callers write their own line head (run, step, loss);
// this gives the shared tail.

export interface ProgressPlan {
  steps: number;
  /** Evaluations planned (default none). */
  evaluations?: number;
}

export class Progress {
  private steps = 0;
  private stepMs = 0;
  private evaluations = 0;
  private evaluationMs = 0;
  private readonly start = performance.now();

  constructor(private readonly plan: ProgressPlan) {}

  stepDone(ms: number): void {
    this.steps++;
    this.stepMs += ms;
  }

  evaluationDone(ms: number): void {
    this.evaluations++;
    this.evaluationMs += ms;
  }

  /** Mean milliseconds per step so far (0 before the first). */
  get msPerStep(): number {
    return this.steps ? this.stepMs / this.steps : 0;
  }

  /** Milliseconds left: the steps and evaluations still planned at their mean time so far (an evaluation not yet timed counts as 4 steps). */
  get etaMs(): number {
    const perEvaluation = this.evaluations ? this.evaluationMs / this.evaluations : this.msPerStep * 4;
    return Math.max(0, this.plan.steps - this.steps) * this.msPerStep + Math.max(0, (this.plan.evaluations ?? 0) - this.evaluations) * perEvaluation;
  }

  /** "412 ms/step, elapsed 3m05s, ETA 1h02m" */
  summary(): string {
    return `${this.msPerStep.toFixed(0)} ms/step, elapsed ${duration(performance.now() - this.start)}, ETA ${duration(this.etaMs)}`;
  }
}

/** 75000 → "1m15s". */
export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
