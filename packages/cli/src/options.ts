import { WORKSPACE_NAME } from '@brazen/store';
import { InvalidArgumentError } from 'commander';

/** Option parsers: a bad value is bad usage (exit 2) with a message naming what was expected. */
export function positiveInteger(max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1 || n > max) {
      throw new InvalidArgumentError(`must be an integer between 1 and ${max}`);
    }
    return n;
  };
}

/** Whole seconds, 0 included, up to `max`. */
export function seconds(max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n > max) throw new InvalidArgumentError(`must be a whole number of seconds between 0 and ${max}`);
    return n;
  };
}

/** A whole number from 0 to 2^32 - 1 (a seed). */
export function uint32(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 4_294_967_295) throw new InvalidArgumentError('must be a whole number from 0 to 4294967295');
  return n;
}

/** A TCP port, 0 for any free one. */
export function portNumber(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new InvalidArgumentError('must be a port number between 0 and 65535');
  return n;
}

/** `YYYY-MM-DD` as the epoch seconds of that UTC midnight. */
export function utcDate(value: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const t = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : Number.NaN;
  if (!m || Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== value) {
    throw new InvalidArgumentError('must be a date written YYYY-MM-DD');
  }
  return t / 1000;
}

export const dataDirDefault = (): string => process.env.BRAZEN_DATA ?? '.brazen';

/** An IANA time zone name such as Europe/Paris. */
export function timeZone(value: string): string {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
  } catch {
    throw new InvalidArgumentError('must be an IANA time zone such as UTC or America/New_York');
  }
  return value;
}

/** A memory size as DuckDB takes it: 512MB, 1GB, 1.5GiB. */
export function memorySize(value: string): string {
  if (!/^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(value.trim())) {
    throw new InvalidArgumentError('must be a size such as 512MB or 1GB');
  }
  return value.trim();
}

/** A workspace's name (`--workspace-name`): lower-case letters, digits, _ and -. */
export function workspaceName(value: string): string {
  if (!WORKSPACE_NAME.test(value)) throw new InvalidArgumentError('must be 1 to 63 of a-z, 0-9, _ and -, starting with a letter or digit');
  return value;
}
