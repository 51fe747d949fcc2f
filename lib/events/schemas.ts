/**
 * The platform's event schemas, made standalone for the registry. The sources
 * are schemas/*.avsc (one event each) and schemas/common/*.avsc (shared named
 * types, one each); a registry subject needs one self-contained schema, so the
 * shared types are inlined at first use. Loaded once, synchronously, at import:
 * a broken schema is a build error, not something to limp along with.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as avsc from 'avsc';
import { definitionName, inlineNamedTypes, type SchemaJson } from './inline';
import { DEFAULT_TOPICS, subjectFor } from './topics';

export const EVENTS_NAMESPACE = 'dev.roundhouse.events';

export interface FieldSchema {
  readonly name: string;
  readonly type: SchemaJson;
  readonly doc?: string;
  readonly default?: unknown;
}

/** A standalone Avro record schema, as registered. */
export interface RecordSchema {
  readonly type: 'record';
  readonly name: string;
  readonly namespace?: string;
  readonly doc?: string;
  readonly fields: readonly FieldSchema[];
}

/** What avsc.Type.forSchema accepts (its typings do not export the name). */
export type AvscSchema = Parameters<typeof avsc.Type.forSchema>[0];

/**
 * The repository's schemas/ directory: the nearest ancestor of this file that has
 * one, so the same code works from lib/events (tsx, jest) and dist/lib/events.
 */
export function findSchemasDir(from: string = __dirname): string {
  let dir = path.resolve(from);
  for (;;) {
    const candidate = path.join(dir, 'schemas');
    if (fs.existsSync(path.join(candidate, 'common'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no schemas/ directory (with common/) above ${from}`);
    dir = parent;
  }
}

function readJson(file: string): SchemaJson {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as SchemaJson;
  } catch (cause) {
    throw new Error(`${file}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

function avscFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.avsc'))
    .sort();
}

/** Shared named types by full name; each file must define exactly the type it is named after. */
export function loadSharedTypes(schemasDir: string = findSchemasDir()): Map<string, SchemaJson> {
  const shared = new Map<string, SchemaJson>();
  const dir = path.join(schemasDir, 'common');
  for (const file of avscFiles(dir)) {
    const json = readJson(path.join(dir, file));
    const name = definitionName(json);
    const expected = `${EVENTS_NAMESPACE}.${path.basename(file, '.avsc')}`;
    if (name !== expected) throw new Error(`common/${file}: defines '${String(name)}', expected '${expected}'`);
    shared.set(name, json);
  }
  return shared;
}

/** Parse with avsc the way consumers will, so a schema that loads is one that works. */
export function toAvroType(schema: RecordSchema | SchemaJson): avsc.Type {
  return avsc.Type.forSchema(schema as unknown as AvscSchema);
}

/** Load schemas/<name>.avsc and inline the shared types it uses. */
export function loadEventSchema(
  name: string,
  schemasDir: string = findSchemasDir(),
  shared: ReadonlyMap<string, SchemaJson> = loadSharedTypes(schemasDir),
): RecordSchema {
  const source = readJson(path.join(schemasDir, `${name}.avsc`));
  if (definitionName(source) !== `${EVENTS_NAMESPACE}.${name}`) {
    throw new Error(`${name}.avsc: must define the record ${EVENTS_NAMESPACE}.${name}`);
  }
  const standalone = inlineNamedTypes(source, shared) as unknown as RecordSchema;
  if (standalone.type !== 'record') throw new Error(`${name}.avsc: not a record`);
  toAvroType(standalone);
  return deepFreeze(standalone);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

export const EVENT_NAMES = ['RetrainRequested', 'TrainingRun', 'TrainingCompleted', 'ModelEvaluated', 'ModelReady'] as const;

const SHARED = loadSharedTypes();

interface PlatformEvent<Topic extends string> {
  /** Standalone schema, ready to register. */
  readonly schema: RecordSchema;
  /** Default topic (configuration may override it). */
  readonly topic: Topic;
  /** Registry subject for the default topic. */
  readonly subject: `${Topic}-value`;
}

function platformEvent<Topic extends string>(name: (typeof EVENT_NAMES)[number], topic: Topic): PlatformEvent<Topic> {
  return Object.freeze({ schema: loadEventSchema(name, findSchemasDir(), SHARED), topic, subject: subjectFor(topic) });
}

/** Every platform event: its standalone schema, default topic and subject. */
export const PLATFORM_EVENTS = Object.freeze({
  RetrainRequested: platformEvent('RetrainRequested', DEFAULT_TOPICS.retrainRequests),
  TrainingRun: platformEvent('TrainingRun', DEFAULT_TOPICS.trainingRuns),
  TrainingCompleted: platformEvent('TrainingCompleted', DEFAULT_TOPICS.trainingResults),
  ModelEvaluated: platformEvent('ModelEvaluated', DEFAULT_TOPICS.evaluations),
  ModelReady: platformEvent('ModelReady', DEFAULT_TOPICS.modelReady),
});

export type EventName = keyof typeof PLATFORM_EVENTS;

const TYPES = new Map<EventName, avsc.Type>();

/** The avsc Type of an event (parsed once, then cached). */
export function eventAvroType(name: EventName): avsc.Type {
  let type = TYPES.get(name);
  if (type === undefined) {
    type = toAvroType(PLATFORM_EVENTS[name].schema);
    TYPES.set(name, type);
  }
  return type;
}

/** Names of the events whose default topic is `topic`. */
export function eventForTopic(topic: string): EventName | undefined {
  return (Object.keys(PLATFORM_EVENTS) as EventName[]).find((n) => PLATFORM_EVENTS[n].topic === topic);
}
