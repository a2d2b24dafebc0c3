import { inspect } from 'node:util';

/** The message of an error, or whatever was thrown as text: what logs and `lastError` keep. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : describeThrown(error);
}

/** A thrown value as text, whatever was thrown (even values whose toString throws). */
export function describeThrown(error: unknown): string {
  try {
    if (error instanceof Error) return `${error.name}: ${error.message}`;
    return typeof error === 'string' ? error : inspect(error, { depth: 2 });
  } catch {
    return 'unprintable thrown value';
  }
}
