/** V8 CPU profiles of a span, summarised by self time (bench/trigger-profile.ts, bench/trigger-throughput.ts --profile). */
import { Session } from 'node:inspector/promises';

export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
export interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time per function (name and file), largest first. */
export function selfTimes(profile: Profile): { name: string; ms: number; share: number }[] {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const perNode = new Map<number, number>();
  profile.samples.forEach((id, i) => perNode.set(id, (perNode.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const perFunction = new Map<string, number>();
  let total = 0;
  for (const [id, micros] of perNode) {
    const { functionName, url } = byNode.get(id)!.callFrame;
    const file = url.replace(/^.*node_modules\//, '').replace(/^.*?\/(lib|services|bench)\//, '$1/');
    const name = `${functionName || '(anonymous)'} ${file}`.trim();
    perFunction.set(name, (perFunction.get(name) ?? 0) + micros);
    total += micros;
  }
  return [...perFunction].sort((a, b) => b[1] - a[1]).map(([name, micros]) => ({ name, ms: micros / 1000, share: micros / total }));
}

/** Runs `body` under the V8 CPU profiler; its profile with the body's result. */
export async function profiled<T>(body: () => Promise<T>): Promise<{ result: T; profile: Profile }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    const result = await body();
    const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: Profile };
    return { result, profile };
  } finally {
    session.disconnect();
  }
}

/** The `top` functions by self time, one line each. */
export function formatSelfTimes(profile: Profile, top: number): string {
  return selfTimes(profile)
    .slice(0, top)
    .map(({ name, ms, share }) => `${ms.toFixed(0).padStart(8)} ms ${(100 * share).toFixed(1).padStart(5)}%  ${name}`)
    .join('\n');
}
