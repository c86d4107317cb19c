/**
 * Avro's JSON encoding, as `avro-tools tojson` prints Currents files (and so the currents-examples
 * JSON samples): an optional field is the union `["null", T]`, and a value other than null is
 * wrapped in an object naming its branch: `{"string": "x"}`, `{"long": 5}`, `{"array": [{"string":
 * "a"}]}`, at any depth (a Custom HTTP record nests `user` and `properties`). Every path that takes
 * records (POST /currents, `brazen import currents`) unwraps with this one function before a record
 * reaches an engine, so that the same record is stored the same way whichever way it came.
 */

const AVRO_BRANCHES: ReadonlySet<string> = new Set(['string', 'int', 'long', 'float', 'double', 'boolean', 'bytes', 'array', 'map']);

/**
 * Undoes the encoding recursively: an object is unwrapped when it has exactly one key and that key
 * names an Avro primitive, array or map; anything else keeps its shape with its members unwrapped.
 * (A Custom HTTP object whose only key is, say, `"string"` would be unwrapped too; Currents' own
 * records never have one.)
 */
export function unwrapAvroJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unwrapAvroJson);
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  const only = keys[0];
  if (keys.length === 1 && only !== undefined && AVRO_BRANCHES.has(only)) {
    return unwrapAvroJson((value as Record<string, unknown>)[only]);
  }
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = unwrapAvroJson((value as Record<string, unknown>)[k]);
  return out;
}

const MARKERS = [...AVRO_BRANCHES].map((b) => Buffer.from(`"${b}"`));

/** Whether a body may hold Avro-encoded values (it names a branch as a JSON string somewhere): a
 * body that does not is handed on as it is, unparsed. */
export function mayHoldAvroJson(bytes: Uint8Array): boolean {
  const buffer = Buffer.from(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength);
  return MARKERS.some((m) => buffer.includes(m));
}
