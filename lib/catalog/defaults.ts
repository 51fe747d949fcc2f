/**
 * The `defaults` block: merged under every model before validation, so a 50-model
 * catalog states its image, resources and gates once. A model's own value always
 * wins; maps merge key by key; lists and a few values that only make sense whole
 * (a drift window, a trainer's hyperparameters) are replaced whole.
 *
 * Because the merge happens before validation, a mistake in `defaults` would show
 * up once per model. `inheritedPath` lets the loader point such a problem back at
 * the one place in `defaults` it came from.
 */

export const DEFAULTABLE_SECTIONS = ['triggers', 'training', 'evaluation'] as const;

const REPLACED_WHOLE: ReadonlyArray<readonly string[]> = [
  ['triggers', 'drift', 'window'],
  ['training', 'hyperparameters'],
];

type Segment = string | number;
type Dict = Record<string, unknown>;

function isDict(value: unknown): value is Dict {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function replacedWhole(path: readonly Segment[]): boolean {
  return REPLACED_WHOLE.some((whole) => whole.length === path.length && whole.every((seg, i) => seg === path[i]));
}

/** Whether `path` below a dict-merged value is a record merge point. */
function merges(value: unknown, path: readonly Segment[]): value is Dict {
  return isDict(value) && !replacedWhole(path);
}

function mergeUnder(base: unknown, own: unknown, path: readonly Segment[]): unknown {
  if (own === undefined) return base;
  if (!merges(own, path) || !isDict(base)) return own;
  const out: Dict = { ...base };
  for (const [key, value] of Object.entries(own)) out[key] = mergeUnder(base[key], value, [...path, key]);
  return out;
}

/** The raw document with `defaults` merged under each model. Anything malformed is left for the schema to report. */
export function mergeDefaults(raw: unknown): unknown {
  if (!isDict(raw) || !isDict(raw.defaults) || !Array.isArray(raw.models)) return raw;
  const defaults = raw.defaults;
  const models = raw.models.map((model: unknown) => {
    if (!isDict(model)) return model;
    const merged: Dict = { ...model };
    for (const name of DEFAULTABLE_SECTIONS) {
      if (defaults[name] !== undefined) merged[name] = mergeUnder(defaults[name], model[name], [name]);
    }
    return merged;
  });
  return { ...raw, models };
}

function has(value: unknown, path: readonly Segment[]): boolean {
  let node = value;
  for (const seg of path) {
    if (Array.isArray(node) && typeof seg === 'number' && seg < node.length) node = node[seg];
    else if (isDict(node) && Object.prototype.hasOwnProperty.call(node, String(seg))) node = node[String(seg)];
    else return false;
  }
  return true;
}

/**
 * For a problem at models[i].<rest>: if the value there came from `defaults`, the
 * same place under `defaults`; otherwise null (the model wrote it, or nobody did).
 */
export function inheritedPath(raw: unknown, path: readonly Segment[]): Segment[] | null {
  const [top, index, section, ...rest] = path;
  if (top !== 'models' || typeof index !== 'number' || !isDict(raw) || !isDict(raw.defaults) || !Array.isArray(raw.models)) return null;
  if (!(DEFAULTABLE_SECTIONS as readonly unknown[]).includes(section)) return null;
  const model: unknown = raw.models[index];
  if (!isDict(model)) return null;
  const within = [section as string, ...rest];
  // Walk the model's own value along the path while it is merged key by key; the
  // first key the model lacks is where defaults (or nobody) supplied the value.
  let node: unknown = model;
  for (let depth = 0; depth < within.length; depth += 1) {
    const key = within[depth];
    const here = within.slice(0, depth);
    if (depth > 0 && !merges(node, here)) return null; // replaced whole: the model's own value
    if (!isDict(node) || key === undefined || !Object.prototype.hasOwnProperty.call(node, String(key))) {
      return has(raw.defaults, within) ? ['defaults', ...within] : null;
    }
    node = node[String(key)];
  }
  return null;
}
