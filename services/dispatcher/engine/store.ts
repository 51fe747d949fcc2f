import { isTerminal } from '../core/states';
import type { RunRecord } from '../core/types';

/** The dispatcher's runs in memory, by id and by model (insertion order = creation order). */
export class RunStore {
  private readonly runs = new Map<string, RunRecord>();
  private readonly byModel = new Map<string, string[]>();

  get(runId: string): RunRecord | undefined {
    return this.runs.get(runId);
  }

  /** Store a record; returns the one it replaced. */
  put(run: RunRecord): RunRecord | undefined {
    const previous = this.runs.get(run.runId);
    this.runs.set(run.runId, run);
    if (!previous) {
      const ids = this.byModel.get(run.modelId) ?? [];
      ids.push(run.runId);
      this.byModel.set(run.modelId, ids);
    }
    return previous;
  }

  all(): IterableIterator<RunRecord> {
    return this.runs.values();
  }

  nonTerminal(): RunRecord[] {
    return [...this.runs.values()].filter((r) => !isTerminal(r.state));
  }

  forModel(modelId: string): RunRecord[] {
    return (this.byModel.get(modelId) ?? []).map((id) => this.runs.get(id)!);
  }

  get size(): number {
    return this.runs.size;
  }
}
