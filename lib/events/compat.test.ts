import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkAgainstReleases, checkBackwardCompatible, loadReleasedVersions } from './compat';
import { cutRelease } from './cut-release';
import { EVENT_NAMES, PLATFORM_EVENTS, type RecordSchema } from './schemas';

const current = new Map<string, RecordSchema>(EVENT_NAMES.map((n) => [n, PLATFORM_EVENTS[n].schema]));

type Mutable = { type: string; name: string; namespace?: string; fields: { name: string; type: unknown; doc?: string; default?: unknown }[] };
const mutableCopy = (schema: RecordSchema): Mutable => JSON.parse(JSON.stringify(schema)) as Mutable;

describe('released schemas', () => {
  const releases = loadReleasedVersions();

  it('v1 is released and covers every platform event', () => {
    expect(releases[0]?.version).toBe('v1');
    expect([...(releases[0]?.schemas.keys() ?? [])].sort()).toEqual([...EVENT_NAMES].sort());
  });

  it('the current schemas can read data written with every released version (BACKWARD, transitively)', () => {
    const problems = checkAgainstReleases(current, releases);
    // On failure this names the version, the event and avsc's reason.
    expect(problems.map((p) => `${p.version} ${p.event}: ${p.reason}`)).toEqual([]);
  });
});

describe('checkBackwardCompatible catches breaking changes', () => {
  const released = PLATFORM_EVENTS.TrainingRun.schema;

  it('a new field without a default', () => {
    const next = mutableCopy(released);
    next.fields.push({ name: 'queue', type: 'string', doc: 'new' });
    const result = checkBackwardCompatible(next, released);
    expect(result).toEqual({ compatible: false, reason: expect.stringContaining('no matching field for default-less dev.roundhouse.events.TrainingRun.queue') });
    const problems = checkAgainstReleases(new Map([['TrainingRun', next as unknown as RecordSchema]]), [
      { version: 'v1', number: 1, schemas: new Map([['TrainingRun', released]]) },
    ]);
    expect(problems).toEqual([{ version: 'v1', event: 'TrainingRun', reason: expect.stringContaining('queue') }]);
  });

  it('an enum symbol removed', () => {
    const next = mutableCopy(released);
    const state = next.fields.find((f) => f.name === 'state') as { type: { symbols: string[] } };
    state.type.symbols = state.type.symbols.filter((s) => s !== 'CANCELLED');
    expect(checkBackwardCompatible(next, released).compatible).toBe(false);
  });

  it('a field type narrowed (long to int) or changed (string to long)', () => {
    const narrowed = mutableCopy(released);
    (narrowed.fields.find((f) => f.name === 'sequence') as { type: unknown }).type = 'int';
    expect(checkBackwardCompatible(narrowed, released).compatible).toBe(false);
    const changed = mutableCopy(released);
    (changed.fields.find((f) => f.name === 'runId') as { type: unknown }).type = 'long';
    expect(checkBackwardCompatible(changed, released)).toEqual({ compatible: false, reason: expect.stringContaining('cannot read') });
  });

  it('a nullable field made required', () => {
    const next = mutableCopy(released);
    const field = next.fields.find((f) => f.name === 'jobName') as { type: unknown; default?: unknown };
    field.type = 'string';
    delete field.default;
    expect(checkBackwardCompatible(next, released).compatible).toBe(false);
  });

  it('an event removed', () => {
    const problems = checkAgainstReleases(new Map(), [{ version: 'v1', number: 1, schemas: new Map([['TrainingRun', released]]) }]);
    expect(problems).toEqual([{ version: 'v1', event: 'TrainingRun', reason: 'event no longer exists' }]);
  });

  it('but accepts the evolutions we allow: a field added with a default, an enum symbol added, int widened to long', () => {
    const next = mutableCopy(released);
    next.fields.push({ name: 'queue', type: ['null', 'string'], default: null, doc: 'new' });
    const state = next.fields.find((f) => f.name === 'state') as { type: { symbols: string[] } };
    state.type.symbols = [...state.type.symbols, 'PAUSED'];
    (next.fields.find((f) => f.name === 'priority') as { type: unknown }).type = 'long';
    expect(checkBackwardCompatible(next, released)).toEqual({ compatible: true });
  });
});

describe('cutRelease', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rh-release-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes the standalone schema of every event as the next version', () => {
    const files = cutRelease('v1', dir);
    expect(files.map((f) => path.relative(dir, f)).sort()).toEqual(EVENT_NAMES.map((n) => path.join('released', 'v1', `${n}.json`)).sort());
    const [v1] = loadReleasedVersions(dir);
    expect(v1?.schemas.get('ModelReady')).toEqual(PLATFORM_EVENTS.ModelReady.schema);
    expect(() => cutRelease('v1', dir)).toThrow('next release is v2, not v1');
    expect(() => cutRelease('v3', dir)).toThrow('next release is v2, not v3');
  });

  it('refuses to cut a release the current schemas cannot read back', () => {
    const v1 = path.join(dir, 'released', 'v1');
    fs.mkdirSync(v1, { recursive: true });
    const old = mutableCopy(PLATFORM_EVENTS.TrainingRun.schema);
    const state = old.fields.find((f) => f.name === 'state') as { type: { symbols: string[] } };
    state.type.symbols = [...state.type.symbols, 'PAUSED'];
    fs.writeFileSync(path.join(v1, 'TrainingRun.json'), JSON.stringify(old));
    expect(() => cutRelease('v2', dir)).toThrow(/current schemas break earlier releases:\n {2}v1 TrainingRun: cannot read/);
    expect(fs.existsSync(path.join(dir, 'released', 'v2'))).toBe(false);
  });
});
