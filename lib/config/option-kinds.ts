import { loadClassValidator } from './class-validator-loader';
import { parseInstrumentKey } from './instrument-key';

/** class-validator, a peer dependency, loaded on first check (class-validator-loader.ts). */
const cv = () => loadClassValidator();

/**
 * How one option is written in the README, read from an environment variable and checked.
 * `T` is the option's TypeScript type: the option table derives the option interfaces from it.
 */
export interface OptionKind<T> {
  /** The type as the README's configuration table shows it. */
  readonly type: string;
  /** The value an environment variable's text means; the text itself when it means none. */
  readonly parse: (text: string) => unknown;
  /** Why a value is refused (never quoting it), or undefined when it is fine. */
  readonly check: (value: unknown) => string | undefined;
  /** Applied to a text value before it is checked, wherever it came from. */
  readonly normalize?: (text: string) => string;
  /** Carries `T` for the types; never set. */
  readonly valueType?: T;
}

const asText = (text: string) => text;
const trim = (text: string) => text.trim();
const rule = (ok: boolean, message: string) => (ok ? undefined : message);

const BOOLEANS: Readonly<Record<string, boolean>> = {
  true: true,
  '1': true,
  yes: true,
  false: false,
  '0': false,
  no: false,
};

/** `true`/`false`, `1`/`0` or `yes`/`no` in a variable, in any case. */
export function flag(): OptionKind<boolean> {
  return {
    type: 'boolean',
    parse: (text) =>
      Object.hasOwn(BOOLEANS, text.toLowerCase()) ? BOOLEANS[text.toLowerCase()] : text,
    check: (value) => rule(cv().isBoolean(value), 'must be true or false'),
  };
}

/** A whole number in [low, high], with one message for every way of missing it. */
export function wholeNumber(
  low: number,
  high: number,
  unit?: 'milliseconds',
  note?: string,
): OptionKind<number> {
  const message = `must be a whole number${unit ? ` of ${unit}` : ''} between ${low} and ${high}${note ? ` (${note})` : ''}`;
  return {
    type: `${unit ?? 'integer'}, ${low} to ${high}`,
    parse: (text) => (/^-?\d+$/.test(text) ? Number(text) : text),
    check: (value) =>
      rule(cv().isInt(value) && cv().min(value, low) && cv().max(value, high), message),
  };
}

/** Text of `shortest` to `longest` characters, surrounding white space trimmed. */
export function trimmedText(shortest: number, longest: number): OptionKind<string> {
  return {
    type: `string, ${shortest} to ${longest} characters`,
    parse: asText,
    normalize: trim,
    check: (value) =>
      rule(
        cv().isString(value) && cv().length(value, shortest, longest),
        `must be ${shortest} to ${longest} characters long`,
      ),
  };
}

/** A credential: any non-empty text, trimmed. The table marks its option `secret`. */
export function secretText(): OptionKind<string> {
  return {
    type: 'string',
    parse: asText,
    normalize: trim,
    check: (value) => rule(cv().isString(value) && value !== '', 'is required'),
  };
}

/** Text that matches `pattern`; `type` names its form in the README. */
export function patterned(type: string, pattern: RegExp, message: string): OptionKind<string> {
  return {
    type,
    parse: asText,
    check: (value) => rule(cv().isString(value) && cv().matches(value, pattern), message),
  };
}

/** One of a few words, e.g. `oneOf(['sha256', 'sha1'] as const)`. */
export function oneOf<const W extends readonly string[]>(words: W): OptionKind<W[number]> {
  return {
    type: words.map((word) => `\`${word}\``).join(' or '),
    parse: asText,
    check: (value) => rule(cv().isIn(value, [...words]), `must be ${words.join(' or ')}`),
  };
}

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]', '::1']);

function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/** An absolute https URL with no credentials, query or fragment; plain http only for loopback hosts. */
function isGatewayBaseUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.username || url.password || url.search || url.hash) return false;
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && isLoopbackHost(url.hostname);
}

/** The gateway's base URL, trimmed and without trailing slashes. */
export function gatewayUrl(): OptionKind<string> {
  return {
    type: 'URL',
    parse: asText,
    normalize: (text) => text.trim().replace(/\/+$/, ''),
    check: (value) =>
      rule(
        isGatewayBaseUrl(value),
        'must be an absolute https URL such as https://checkout-test.placetopay.com (plain http is accepted only for localhost / 127.0.0.1)',
      ),
  };
}

const INSTRUMENT_KEY_RULE = '32 random bytes as 64 hex characters or base64';
const isInstrumentKey = (value: unknown) => parseInstrumentKey(value) !== null;

/** A 256-bit key (see `parseInstrumentKey`). */
export function instrumentKey(): OptionKind<string> {
  return {
    type: 'key',
    parse: asText,
    check: (value) =>
      rule(isInstrumentKey(value), `must be ${INSTRUMENT_KEY_RULE} (openssl rand -hex 32)`),
  };
}

/** Keys, comma-separated in a variable. */
export function instrumentKeys(): OptionKind<string[]> {
  return {
    type: 'keys, comma-separated',
    parse: (text) =>
      text
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean),
    check: (value) =>
      rule(
        cv().isArray(value) && value.every(isInstrumentKey),
        `must be a list of keys, each ${INSTRUMENT_KEY_RULE}`,
      ),
  };
}

/** A route path; leading and trailing slashes dropped. */
export function routePath(): OptionKind<string> {
  return {
    type: 'path',
    parse: asText,
    normalize: (text) => text.replace(/^\/+|\/+$/g, ''),
    check: (value) => rule(cv().isString(value), 'must be a path'),
  };
}

/** A directory: relative paths are taken from the working directory; trimmed. */
export function directory(): OptionKind<string> {
  return {
    type: 'directory',
    parse: asText,
    normalize: trim,
    check: (value) =>
      rule(
        cv().isString(value) && value !== '' && !value.includes('\u0000'),
        'must be a directory path',
      ),
  };
}

/** Values only code can give (no variable), e.g. decorators. */
export function codeOnly<T>(type: string, accepts: (value: unknown) => boolean): OptionKind<T> {
  return { type, parse: asText, check: (value) => rule(accepts(value), `must be ${type}`) };
}
