/**
 * Teardown in reverse order of set-up, every step attempted even when an earlier
 * one fails (a failed stop must not leave the processes after it running).
 */
export class Teardown {
  private readonly steps: { name: string; stop: () => Promise<void> }[] = [];

  constructor(private readonly log: (line: string) => void = () => undefined) {}

  readonly add = (name: string, stop: () => Promise<void>): void => {
    this.steps.push({ name, stop });
  };

  /** Runs every step, last added first; returns what failed. */
  async run(): Promise<string[]> {
    const failures: string[] = [];
    for (const step of this.steps.splice(0).reverse()) {
      const started = Date.now();
      try {
        await step.stop();
        this.log(`stopped ${step.name} in ${Date.now() - started} ms`);
      } catch (error) {
        failures.push(`${step.name}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return failures;
  }
}
