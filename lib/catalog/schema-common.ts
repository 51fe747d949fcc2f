/**
 * Building blocks shared by the catalog's zod definition: field syntaxes (durations,
 * Kubernetes quantities and names, Avro field names), cross-field checks that still
 * run when an unrelated field is wrong, and the "section" helper that derives the
 * all-optional form used by the `defaults` block from the same field definitions.
 */
import { z } from 'zod';
import { DURATION_HINT, DURATION_PATTERN, formatDuration, parseDuration } from './duration';

// ---------------------------------------------------------------- cross-field checks

export type Report = (path: ReadonlyArray<string | number>, message: string) => void;

/**
 * A cross-field check reads its value defensively: zod runs it even when some other
 * field of the same object failed (so every mistake in the file is reported at
 * once), and a failed field may hold anything. Hence `unknown` everywhere.
 */
export type Check = (value: Readonly<Record<string, unknown>>, report: Report, unknownKeys: readonly string[]) => void;

/** Keys of this very object that zod found unknown (a check may stay quiet when one is probably a misspelling). */
function unknownKeysOf(issues: readonly z.core.$ZodRawIssue[]): string[] {
  return issues.flatMap((issue) => (issue.code === 'unrecognized_keys' && (issue.path ?? []).length === 0 ? issue.keys : []));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Run a check whenever the value is an object, whatever went wrong inside it. */
export function withCheck<T extends z.ZodType>(schema: T, check: Check): T {
  return schema.check(
    z.superRefine<unknown>(
      (value, ctx) => {
        if (!isRecord(value)) return;
        check(value, (path, message) => ctx.addIssue({ code: 'custom', message, path: [...path] }), unknownKeysOf(ctx.issues));
      },
      { when: (payload) => isRecord(payload.value) },
    ),
  );
}

/** Run a check over an array whatever went wrong inside its items. */
export function withArrayCheck<T extends z.ZodType>(schema: T, check: (items: readonly unknown[], report: Report) => void): T {
  return schema.check(
    z.superRefine<unknown>(
      (value, ctx) => {
        if (!Array.isArray(value)) return;
        check(value, (path, message) => ctx.addIssue({ code: 'custom', message, path: [...path] }));
      },
      { when: (payload) => Array.isArray(payload.value) },
    ),
  );
}

export const read = {
  str: (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined),
  num: (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined),
  obj: (v: unknown): Readonly<Record<string, unknown>> | undefined => (isRecord(v) ? v : undefined),
  arr: (v: unknown): readonly unknown[] => (Array.isArray(v) ? v : []),
};

/** Report every later item whose key repeats an earlier one. */
export function uniqueBy(key: string, noun: string, collection: string): (items: readonly unknown[], report: Report) => void {
  return (items, report) => {
    const firstAt = new Map<string, number>();
    items.forEach((item, index) => {
      const value = read.str(read.obj(item)?.[key]);
      if (value === undefined) return;
      const first = firstAt.get(value);
      if (first === undefined) firstAt.set(value, index);
      else report([index, key], `duplicate ${noun} "${value}" (first at ${collection}[${first}])`);
    });
  };
}

// ---------------------------------------------------------------- sections and the defaults block

const partials = new WeakMap<z.ZodType, z.ZodType>();

/**
 * A strict object whose fields carry their defaults (`prefault`, so defaults are
 * written in YAML terms, validated like user input, and shown in the JSON Schema).
 * Also registers its all-optional twin, without defaults, for the `defaults` block:
 * same field syntaxes and the same cross-field check.
 */
export function section<S extends z.core.$ZodLooseShape>(description: string, shape: S, check?: Check): z.ZodObject<S, z.core.$strict> {
  const full = z.strictObject(shape);
  const partialFields: Record<string, z.ZodType> = {};
  for (const [key, field] of Object.entries(shape)) partialFields[key] = optionalTwin(field as z.ZodType);
  const partial = z.strictObject(partialFields);
  // Describe last: a description is attached to one schema instance, and .check() clones.
  const fullChecked = (check === undefined ? full : withCheck(full, check)).describe(description);
  partials.set(fullChecked, (check === undefined ? partial : withCheck(partial, check)).describe(description));
  return fullChecked;
}

function optionalTwin(field: z.ZodType): z.ZodType {
  let base: z.ZodType = field;
  // Peel the default/optional wrappers to reach the field's own syntax.
  while (base instanceof z.ZodPrefault || base instanceof z.ZodOptional || base instanceof z.ZodDefault) {
    base = base.unwrap() as z.ZodType;
  }
  return (partials.get(base) ?? base).optional();
}

/** The all-optional, default-free twin of a section (for `defaults`). */
export function partialOf(schema: z.ZodType): z.ZodType {
  const twin = partials.get(schema);
  if (twin === undefined) throw new Error('partialOf: not a catalog section');
  return twin;
}

// ---------------------------------------------------------------- field syntaxes

export function duration(options: { readonly min?: number } = {}): z.ZodType<number, string> {
  const min = options.min ?? 0;
  return z
    .string({ error: (issue) => (issue.input === undefined ? 'required' : `expected ${DURATION_HINT}`) })
    .regex(DURATION_PATTERN, { error: (issue) => `expected ${DURATION_HINT}, got ${JSON.stringify(issue.input)}` })
    .transform((text, ctx) => {
      const parsed = parseDuration(text);
      if (!parsed.ok) {
        ctx.addIssue({ code: 'custom', message: parsed.reason });
        return z.NEVER;
      }
      if (parsed.ms < min) {
        ctx.addIssue({ code: 'custom', message: min === 1 ? 'must be longer than 0' : `must be at least ${formatDuration(min)}, got ${text}` });
        return z.NEVER;
      }
      return parsed.ms;
    });
}

/** Avro field name (the catalog names fields of the user's own records). */
export const fieldName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: (i) => `not an Avro field name: ${JSON.stringify(i.input)}` });

/** Kafka topic names: 1–249 characters from [a-zA-Z0-9._-]. */
export const topicName = z
  .string()
  .regex(/^[a-zA-Z0-9._-]{1,249}$/, { error: (i) => `not a Kafka topic name: ${JSON.stringify(i.input)}` })
  .refine((t) => t !== '.' && t !== '..', { error: 'not a Kafka topic name' });

const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Kubernetes object name (RFC 1123 subdomain): service accounts, priority classes, Kueue queues. */
export const kubernetesName = z
  .string()
  .regex(DNS_SUBDOMAIN, { error: (i) => `not a Kubernetes object name (lower-case RFC 1123 subdomain): ${JSON.stringify(i.input)}` });

const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

function isLabelKey(key: string): boolean {
  const slash = key.lastIndexOf('/');
  if (slash === -1) return LABEL_NAME.test(key);
  return DNS_SUBDOMAIN.test(key.slice(0, slash)) && LABEL_NAME.test(key.slice(slash + 1));
}

/** Kubernetes label key ([prefix/]name), as used by node selectors and tolerations. */
export const labelKey = z.string().refine(isLabelKey, { error: (i) => `not a Kubernetes label key: ${JSON.stringify(i.input)}` });

export const labelValue = z
  .string()
  .refine((v) => v === '' || LABEL_NAME.test(v), { error: (i) => `not a Kubernetes label value: ${JSON.stringify(i.input)}` });

/** Kubernetes resource quantity, positive: 2, 500m, 1.5, 4Gi, 512M, 1e3. */
const QUANTITY = /^(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

export function quantity(what: 'cpu' | 'memory'): z.ZodType<string, string> {
  const hint = `expected a Kubernetes quantity string such as ${what === 'cpu' ? '"2" or "500m"' : '"4Gi" or "512Mi"'}`;
  return z.string({ error: (issue) => (issue.input === undefined ? 'required' : hint) }).superRefine((text, ctx) => {
    const match = QUANTITY.exec(text);
    if (match === null) {
      ctx.addIssue({ code: 'custom', message: `not a Kubernetes quantity: ${JSON.stringify(text)} (examples: ${what === 'cpu' ? '2, 500m, 1.5' : '4Gi, 512Mi, 1G'})` });
    } else if (Number(match[1]) === 0) {
      ctx.addIssue({ code: 'custom', message: `${what} must be greater than 0` });
    } else if (what === 'memory' && match[3] === 'm') {
      // "512m" is a legal quantity meaning 0.512 bytes: always a typo for 512Mi.
      ctx.addIssue({ code: 'custom', message: `"${text}" means milli-bytes; did you mean "${match[1] ?? ''}Mi"?` });
    }
  });
}

export const fraction = (description: string): z.ZodNumber =>
  z.number().gt(0, { error: 'must be > 0' }).lt(1, { error: 'must be < 1' }).describe(description);

export const positiveInt = (description: string): z.ZodNumber =>
  z.number().int({ error: 'must be a whole number' }).min(1, { error: 'must be at least 1' }).describe(description);
