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

  /** One step whose members stop side by side (independent services): returns the members' `add`. */
  group(name: string): (member: string, stop: () => Promise<void>) => void {
    const members: { name: string; stop: () => Promise<void> }[] = [];
    this.add(name, async () => {
      const results = await Promise.allSettled(members.map((m) => m.stop()));
      const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`${members[i]!.name}: ${r.reason instanceof Error ? r.reason.message : String(r.reason)}`] : []));
      if (failed.length > 0) throw new Error(failed.join('; '));
    });
    return (member, stop) => void members.push({ name: member, stop });
  }

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
