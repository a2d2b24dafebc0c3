/** The longest text a value from outside takes in a log line. */
const LOG_TEXT_MAX = 500;

/** Control characters (C0, DEL, C1), the Unicode line and paragraph separators, and `\`. */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\\]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\\': '\\\\' };

/**
 * A value that came from outside (a request's field, a remote error's message) as it may appear
 * in a log line: every control character written as a visible escape (`\n`, `\r`, `\t`, `\u001b`,
 * ...; a backslash as `\\`, so an escape cannot be faked), cut to `max` characters. No newline
 * survives, so a value can never start a line of its own (a forged log entry).
 */
export function logText(value: unknown, max = LOG_TEXT_MAX): string {
  const text = typeof value === 'string' ? value : String(value);
  const cut = text.length > max ? `${text.slice(0, max)}…(+${text.length - max})` : text;
  return cut.replace(
    UNSAFE,
    (char) => NAMED[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
