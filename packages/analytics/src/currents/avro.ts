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

/** A branch named as a JSON string (`"string"`, ...): one pattern for every branch. */
const MARKER = new RegExp(`"(?:${[...AVRO_BRANCHES].join('|')})"`);
/** The longest marker, in bytes: windows overlap by this much, so none is missed at their edges. */
const MARKER_BYTES = Math.max(...[...AVRO_BRANCHES].map((b) => b.length + 2));
const WINDOW = 1 << 20;

/** Whether a body may hold Avro-encoded values (it names a branch as a JSON string somewhere): a
 * body that does not is handed on as it is, unparsed. One scan with one pattern, window by window
 * (1 MB read as latin1: a byte a character, so UTF-8 sequences, all of bytes over 0x7f, can match no
 * part of a marker): 30 ms of CPU per 100k records of a plain body, against 150 ms for a search of
 * each branch's name in turn. */
export function mayHoldAvroJson(bytes: Uint8Array): boolean {
  return avroJsonScanner()(bytes);
}

/** `mayHoldAvroJson` over a body read in pieces: each piece is given in order, and the answer is
 * true from the piece where a marker ends (one that spans two pieces included). */
export function avroJsonScanner(): (piece: Uint8Array) => boolean {
  // The last bytes of what came before, where a marker ending in the next piece may begin.
  let tail = '';
  let found = false;
  return (piece) => {
    if (found) return true;
    const buffer = Buffer.from(piece.buffer as ArrayBuffer, piece.byteOffset, piece.byteLength);
    for (let at = 0; at < buffer.length && !found; at += WINDOW) {
      const text = (at === 0 ? tail : '') + buffer.toString('latin1', at, Math.min(buffer.length, at + WINDOW + MARKER_BYTES - 1));
      found = MARKER.test(text);
    }
    tail = (tail + buffer.toString('latin1', Math.max(0, buffer.length - (MARKER_BYTES - 1)))).slice(-(MARKER_BYTES - 1));
    return found;
  };
}
