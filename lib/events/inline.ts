/**
 * Turns an event schema that refers to shared named types (schemas/common) by
 * name into one standalone schema: each named type is defined in full at its
 * first use and referred to by full name afterwards, which is the order Avro
 * parsers (avsc, the registry's Java parser) require. Pure: JSON in, JSON out.
 */

/** A JSON value as found in an .avsc file. */
export type SchemaJson = string | SchemaJson[] | { readonly [key: string]: unknown };

const PRIMITIVES: ReadonlySet<string> = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);
const NAMED_KINDS: ReadonlySet<string> = new Set(['record', 'error', 'enum', 'fixed']);

type JsonObject = { readonly [key: string]: unknown };

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Full name of a named type: a dotted name is already full, else it takes the namespace. */
export function fullName(name: string, namespace: string | undefined): string {
  return name.includes('.') || !namespace ? name : `${namespace}.${name}`;
}

/** The namespace a named definition establishes for what it contains. */
function namespaceOf(def: JsonObject, enclosing: string | undefined): string | undefined {
  const name = String(def.name);
  if (name.includes('.')) return name.slice(0, name.lastIndexOf('.'));
  return typeof def.namespace === 'string' ? def.namespace : enclosing;
}

/** Full name of a named definition (record, enum, fixed), or undefined if it is not one. */
export function definitionName(schema: unknown, enclosing?: string): string | undefined {
  if (!isObject(schema) || !NAMED_KINDS.has(String(schema.type)) || typeof schema.name !== 'string') return undefined;
  return fullName(schema.name, typeof schema.namespace === 'string' ? schema.namespace : enclosing);
}

/**
 * Inline `shared` named types (by full name) into `schema`. Throws on a reference
 * to a name that is neither shared nor defined earlier in the schema, and on a
 * shared name being redefined locally.
 */
export function inlineNamedTypes(schema: SchemaJson, shared: ReadonlyMap<string, SchemaJson>): SchemaJson {
  const defined = new Set<string>();

  const visit = (node: unknown, namespace: string | undefined, path: string): SchemaJson => {
    if (typeof node === 'string') {
      if (PRIMITIVES.has(node)) return node;
      const name = fullName(node, namespace);
      if (defined.has(name)) return name;
      const def = shared.get(name);
      if (def === undefined) throw new Error(`${path}: unknown type '${node}' (resolved as '${name}')`);
      return visit(def, namespace, `${path}<${name}>`);
    }
    if (Array.isArray(node)) return node.map((branch, i) => visit(branch, namespace, `${path}[${i}]`));
    if (!isObject(node)) throw new Error(`${path}: not a schema: ${JSON.stringify(node)}`);

    const kind = node.type;
    if (typeof kind !== 'string') return { ...node, type: visit(kind, namespace, `${path}.type`) };
    if (NAMED_KINDS.has(kind)) {
      const name = definitionName(node, namespace);
      if (name === undefined) throw new Error(`${path}: ${kind} without a name`);
      if (defined.has(name)) throw new Error(`${path}: '${name}' is defined twice`);
      if (shared.has(name) && shared.get(name) !== node) {
        throw new Error(`${path}: '${name}' is a shared type in schemas/common and must not be redefined`);
      }
      defined.add(name);
      if (kind === 'enum' || kind === 'fixed') return { ...node };
      const inner = namespaceOf(node, namespace);
      const fields = Array.isArray(node.fields) ? node.fields : [];
      return {
        ...node,
        fields: fields.map((field: unknown) => {
          if (!isObject(field)) throw new Error(`${path}: field is not an object`);
          return { ...field, type: visit(field.type, inner, `${path}.${String(field.name)}`) };
        }),
      };
    }
    if (kind === 'array') return { ...node, items: visit(node.items, namespace, `${path}[]`) };
    if (kind === 'map') return { ...node, values: visit(node.values, namespace, `${path}{}`) };
    if (PRIMITIVES.has(kind)) return { ...node };
    // `{ "type": "SomeName" }` is a reference written in object form.
    return visit(kind, namespace, path);
  };

  return visit(schema, undefined, isObject(schema) && typeof schema.name === 'string' ? schema.name : '$');
}
