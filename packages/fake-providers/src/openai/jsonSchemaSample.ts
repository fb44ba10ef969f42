type Schema = Record<string, unknown>;

/**
 * Builds a deterministic value that satisfies a JSON schema (the subset structured outputs use: objects,
 * arrays, enums, const, anyOf/oneOf, nullable types, $ref into $defs/definitions). Strings are built from
 * `seedText` and the property name, so answers read like the input.
 */
export function sampleFromJsonSchema(schema: unknown, seedText: string): unknown {
  return sample(asSchema(schema), asSchema(schema), seedText, 'value', 0);
}

function asSchema(value: unknown): Schema {
  return typeof value === 'object' && value !== null ? (value as Schema) : {};
}

function resolveRef(root: Schema, ref: string): Schema {
  const path = ref.replace(/^#\/?/, '').split('/').filter(Boolean);
  let node: unknown = root;
  for (const key of path)
    node = asSchema(node)[decodeURIComponent(key.replace(/~1/g, '/').replace(/~0/g, '~'))];
  return asSchema(node);
}

function sample(root: Schema, schema: Schema, seedText: string, name: string, depth: number): unknown {
  if (depth > 12) return null;
  if (typeof schema.$ref === 'string')
    return sample(root, resolveRef(root, schema.$ref), seedText, name, depth + 1);
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  const options = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (Array.isArray(options) && options.length > 0) {
    const preferred = options.find((option) => asSchema(option).type !== 'null') ?? options[0];
    return sample(root, asSchema(preferred), seedText, name, depth + 1);
  }
  if (Array.isArray(schema.allOf) && schema.allOf.length > 0) {
    const merged = Object.assign({}, ...schema.allOf.map(asSchema)) as Schema;
    return sample(root, merged, seedText, name, depth + 1);
  }
  const type = Array.isArray(schema.type)
    ? ((schema.type as string[]).find((t) => t !== 'null') ?? 'null')
    : (schema.type as string | undefined);
  switch (type ?? (schema.properties ? 'object' : 'string')) {
    case 'object': {
      const properties = asSchema(schema.properties);
      const result: Record<string, unknown> = {};
      for (const [key, property] of Object.entries(properties)) {
        result[key] = sample(root, asSchema(property), seedText, key, depth + 1);
      }
      return result;
    }
    case 'array': {
      const count = Math.max(typeof schema.minItems === 'number' ? schema.minItems : 1, 1);
      const maxItems = typeof schema.maxItems === 'number' ? schema.maxItems : count;
      return Array.from({ length: Math.min(count, maxItems) }, (_, i) =>
        sample(root, asSchema(schema.items), seedText, `${name}[${i}]`, depth + 1),
      );
    }
    case 'integer':
    case 'number': {
      const minimum = typeof schema.minimum === 'number' ? schema.minimum : undefined;
      const exclusive = typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum + 1 : undefined;
      const value = minimum ?? exclusive ?? 1;
      return type === 'integer' ? Math.ceil(value) : value;
    }
    case 'boolean':
      return false;
    case 'null':
      return null;
    default:
      return sampleString(schema, seedText, name);
  }
}

function sampleString(schema: Schema, seedText: string, name: string): string {
  if (schema.format === 'uri' || schema.format === 'url')
    return `https://example.com/${encodeURIComponent(name)}`;
  if (schema.format === 'date-time') return '2026-01-01T00:00:00.000Z';
  if (schema.format === 'email') return 'fake@example.com';
  const text = seedText.trim();
  let value = name === 'prompt' ? `Vertical product video: ${text}` : text ? `${name}: ${text}` : name;
  if (typeof schema.maxLength === 'number') value = value.slice(0, schema.maxLength);
  if (typeof schema.minLength === 'number' && value.length < schema.minLength) {
    value = value.padEnd(schema.minLength, '.');
  }
  return value;
}
