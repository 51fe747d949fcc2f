import fs from 'node:fs';
import path from 'node:path';
import * as avsc from 'avsc';
import { DEFAULT_TOPICS, dlqTopicFor, subjectFor } from './topics';
import { EVENT_NAMES, EVENTS_NAMESPACE, PLATFORM_EVENTS, eventAvroType, eventForTopic, findSchemasDir, loadSharedTypes } from './schemas';

const SCHEMAS_DIR = findSchemasDir();

type Node = { readonly [key: string]: unknown };
const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every field of every record in a schema tree, with its record's name. */
function fieldsOf(schema: unknown, record = ''): { record: string; field: Node }[] {
  if (Array.isArray(schema)) return schema.flatMap((s) => fieldsOf(s, record));
  if (!isNode(schema)) return [];
  if (schema.type === 'record') {
    const name = String(schema.name);
    return (schema.fields as Node[]).flatMap((f) => [{ record: name, field: f }, ...fieldsOf(f.type, name)]);
  }
  if (schema.type === 'array') return fieldsOf(schema.items, record);
  if (schema.type === 'map') return fieldsOf(schema.values, record);
  return [];
}

function sourceFiles(): string[] {
  const top = fs.readdirSync(SCHEMAS_DIR).filter((f) => f.endsWith('.avsc'));
  const common = fs.readdirSync(path.join(SCHEMAS_DIR, 'common')).map((f) => path.join('common', f));
  const examples = fs
    .readdirSync(path.join(SCHEMAS_DIR, 'examples'))
    .filter((f) => f.endsWith('.avsc'))
    .map((f) => path.join('examples', f));
  return [...top, ...common, ...examples];
}

const readSource = (file: string): Node => JSON.parse(fs.readFileSync(path.join(SCHEMAS_DIR, file), 'utf8')) as Node;

describe('PLATFORM_EVENTS', () => {
  it('lists exactly the event files in schemas/', () => {
    const files = fs
      .readdirSync(SCHEMAS_DIR)
      .filter((f) => f.endsWith('.avsc'))
      .map((f) => path.basename(f, '.avsc'))
      .sort();
    expect(Object.keys(PLATFORM_EVENTS).sort()).toEqual(files);
    expect([...EVENT_NAMES].sort()).toEqual(files);
  });

  it('maps each event to its default topic and `<topic>-value` subject', () => {
    expect(Object.fromEntries(Object.entries(PLATFORM_EVENTS).map(([n, e]) => [n, [e.topic, e.subject]]))).toEqual({
      RetrainRequested: ['roundhouse.retrain-requests', 'roundhouse.retrain-requests-value'],
      TrainingRun: ['roundhouse.training-runs', 'roundhouse.training-runs-value'],
      TrainingCompleted: ['roundhouse.training-results', 'roundhouse.training-results-value'],
      ModelEvaluated: ['roundhouse.evaluations', 'roundhouse.evaluations-value'],
      ModelReady: ['roundhouse.model-ready', 'roundhouse.model-ready-value'],
    });
    expect(DEFAULT_TOPICS.triggerState).toBe('roundhouse.trigger-state');
    expect(subjectFor('a.b')).toBe('a.b-value');
    expect(dlqTopicFor('fraud.features')).toBe('fraud.features.dlq');
    expect(eventForTopic('roundhouse.model-ready')).toBe('ModelReady');
    expect(eventForTopic('fraud.features')).toBeUndefined();
  });

  it.each(EVENT_NAMES)('%s is standalone: parses with avsc.Type.forSchema and needs no registry', (name) => {
    const json = JSON.parse(JSON.stringify(PLATFORM_EVENTS[name].schema)) as avsc.Schema;
    const type = avsc.Type.forSchema(json);
    expect(type.name).toBe(`${EVENTS_NAMESPACE}.${name}`);
    expect(eventAvroType(name).equals(type)).toBe(true);
  });

  it('is frozen', () => {
    expect(Object.isFrozen(PLATFORM_EVENTS.ModelReady.schema.fields)).toBe(true);
    expect(() => {
      (PLATFORM_EVENTS as unknown as Record<string, unknown>).Extra = {};
    }).toThrow();
  });

  it('every shared type in schemas/common is used by some event', () => {
    const used = JSON.stringify(EVENT_NAMES.map((n) => PLATFORM_EVENTS[n].schema));
    const unused = [...loadSharedTypes(SCHEMAS_DIR).keys()].filter((full) => {
      const short = full.slice(full.lastIndexOf('.') + 1);
      return !used.includes(`"name":"${short}","namespace":"${EVENTS_NAMESPACE}"`);
    });
    expect(unused).toEqual([]);
  });
});

describe('schema conventions (all .avsc sources, examples included)', () => {
  const files = sourceFiles();

  it.each(files)('%s: named types have a namespace and a doc; every field has a doc', (file) => {
    const schema = readSource(file);
    expect(typeof schema.namespace).toBe('string');
    expect(schema.namespace).toBe(file.startsWith('examples') ? 'dev.roundhouse.examples' : EVENTS_NAMESPACE);
    expect(typeof schema.doc).toBe('string');
    const undocumented = fieldsOf(schema)
      .filter(({ field }) => typeof field.doc !== 'string' || field.doc.length === 0)
      .map(({ record, field }) => `${record}.${String(field.name)}`);
    expect(undocumented).toEqual([]);
  });

  it.each(files)('%s: nullable fields are ["null", T] with default null; other unions are not used', (file) => {
    const bad = fieldsOf(readSource(file))
      .filter(({ field }) => Array.isArray(field.type))
      .filter(({ field }) => {
        const branches = field.type as unknown[];
        return branches.length !== 2 || branches[0] !== 'null' || field.default !== null;
      })
      .map(({ record, field }) => `${record}.${String(field.name)}`);
    expect(bad).toEqual([]);
  });

  it.each(files)('%s: times (…At, …Time, …_time, since) are long timestamp-millis', (file) => {
    const timeName = /(At|Time|_time|^since|^windowStart|^windowEnd)$/;
    const bad = fieldsOf(readSource(file))
      .filter(({ field }) => timeName.test(String(field.name)))
      .filter(({ field }) => {
        const t = Array.isArray(field.type) ? (field.type as unknown[])[1] : field.type;
        return !(isNode(t) && t.type === 'long' && t.logicalType === 'timestamp-millis');
      })
      .map(({ record, field }) => `${record}.${String(field.name)}`);
    expect(bad).toEqual([]);
  });
});
