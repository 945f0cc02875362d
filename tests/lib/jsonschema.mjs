// jsonschema.mjs - a small JSON Schema validator for the subset docs/api/openapi.json uses
// (OpenAPI 3.1 = JSON Schema 2020-12): type (a name or a list, "integer" included), enum, const,
// properties, required, additionalProperties (false or a schema), items, minItems, maxItems,
// minLength, maxLength (in code points), pattern, minimum, maximum, format "date-time", oneOf,
// anyOf, allOf, $ref ("#/..." within the document). Anything else in a schema is an error, so
// the document cannot silently use a keyword this checker ignores.
//
//   const errors = validate(doc, schema, value);   // [] when valid, else ["$.a.b: ...", ...]

const KNOWN = new Set(['type', 'enum', 'const', 'properties', 'required', 'additionalProperties', 'items',
  'minItems', 'maxItems', 'minLength', 'maxLength', 'pattern', 'minimum', 'maximum', 'format', 'oneOf',
  'anyOf', 'allOf', '$ref', 'description', 'title', 'example', 'examples', 'default']);

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function typeOf(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v; // string, boolean, object
}

function typeMatches(want, v) {
  const t = typeOf(v);
  return want === t || (want === 'number' && t === 'integer');
}

function resolve(doc, ref) {
  if (!ref.startsWith('#/')) throw new Error(`unsupported $ref ${ref}`);
  let node = doc;
  for (const part of ref.slice(2).split('/')) {
    node = node?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    if (node === undefined) throw new Error(`$ref ${ref} does not resolve`);
  }
  return node;
}

function check(doc, schema, v, path, errs) {
  if (schema === true) return;
  if (schema === false) {
    errs.push(`${path}: no value is allowed here`);
    return;
  }
  for (const k of Object.keys(schema)) {
    if (!KNOWN.has(k)) throw new Error(`schema at ${path} uses unsupported keyword ${k}`);
  }
  if (schema.$ref) {
    check(doc, resolve(doc, schema.$ref), v, path, errs);
    return;
  }
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some((t) => typeMatches(t, v))) {
      errs.push(`${path}: ${JSON.stringify(v)?.slice(0, 60)} is ${typeOf(v)}, not ${types.join(' or ')}`);
      return;
    }
  }
  if (schema.enum && !schema.enum.some((e) => e === v)) errs.push(`${path}: ${JSON.stringify(v)} is not one of ${schema.enum.join(', ')}`);
  if ('const' in schema && schema.const !== v) errs.push(`${path}: must be ${JSON.stringify(schema.const)}`);
  if (typeof v === 'string') {
    const len = [...v].length;
    if (schema.minLength !== undefined && len < schema.minLength) errs.push(`${path}: shorter than ${schema.minLength}`);
    if (schema.maxLength !== undefined && len > schema.maxLength) errs.push(`${path}: longer than ${schema.maxLength}`);
    if (schema.pattern && !new RegExp(schema.pattern, 'u').test(v)) errs.push(`${path}: ${JSON.stringify(v).slice(0, 60)} does not match ${schema.pattern}`);
    if (schema.format === 'date-time' && !(DATE_TIME.test(v) && !Number.isNaN(Date.parse(v)))) errs.push(`${path}: ${v} is not an RFC 3339 date-time`);
  }
  if (typeof v === 'number') {
    if (schema.minimum !== undefined && v < schema.minimum) errs.push(`${path}: below ${schema.minimum}`);
    if (schema.maximum !== undefined && v > schema.maximum) errs.push(`${path}: above ${schema.maximum}`);
  }
  if (Array.isArray(v)) {
    if (schema.minItems !== undefined && v.length < schema.minItems) errs.push(`${path}: fewer than ${schema.minItems} items`);
    if (schema.maxItems !== undefined && v.length > schema.maxItems) errs.push(`${path}: more than ${schema.maxItems} items`);
    if (schema.items) v.forEach((x, i) => check(doc, schema.items, x, `${path}[${i}]`, errs));
  }
  if (typeOf(v) === 'object') {
    const props = schema.properties || {};
    for (const r of schema.required || []) if (!(r in v)) errs.push(`${path}: ${r} is missing`);
    for (const [k, x] of Object.entries(v)) {
      if (k in props) check(doc, props[k], x, `${path}.${k}`, errs);
      else if (schema.additionalProperties === false) errs.push(`${path}: ${k} is not allowed`);
      else if (typeof schema.additionalProperties === 'object') check(doc, schema.additionalProperties, x, `${path}.${k}`, errs);
    }
  }
  if (schema.allOf) for (const s of schema.allOf) check(doc, s, v, path, errs);
  if (schema.anyOf && !schema.anyOf.some((s) => validate(doc, s, v).length === 0)) errs.push(`${path}: matches none of anyOf`);
  if (schema.oneOf) {
    const n = schema.oneOf.filter((s) => validate(doc, s, v).length === 0).length;
    if (n !== 1) errs.push(`${path}: matches ${n} of oneOf, not exactly 1`);
  }
}

export function validate(doc, schema, value) {
  const errs = [];
  check(doc, schema, value, '$', errs);
  return errs;
}
