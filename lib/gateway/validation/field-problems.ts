import { loadClassValidator } from '../../config/class-validator-loader';
import {
  PlacetoPayValidationError,
  type FieldProblem,
} from '../errors/placetopay-validation.error';
import type { PlacetoPayOperation } from '../errors/placetopay.error';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Collects every problem of a request, then throws them all at once. */
export class FieldProblems {
  readonly list: FieldProblem[] = [];

  add(field: string, message: string): void {
    this.list.push({ field, message });
  }

  /** A string of `min`-`max` characters; absent is fine unless `required`. */
  text(field: string, value: unknown, min: number, max: number, required = false): value is string {
    if (value === undefined || value === null) {
      if (required) this.add(field, 'is required');
      return false;
    }
    if (typeof value !== 'string') {
      this.add(field, 'must be a string');
      return false;
    }
    if (value.length < min || value.length > max) {
      this.add(
        field,
        min === max ? `must be ${min} characters` : `must be ${min} to ${max} characters`,
      );
      return false;
    }
    // A lone surrogate cannot be stored or sent as UTF-8: it would come back altered.
    if (LONE_SURROGATE.test(value)) {
      this.add(field, 'must be valid Unicode text');
      return false;
    }
    return true;
  }

  pattern(field: string, value: unknown, regex: RegExp, hint: string, required = false): void {
    if (value === undefined || value === null) {
      if (required) this.add(field, 'is required');
      return;
    }
    if (typeof value !== 'string' || !regex.test(value)) this.add(field, `must be ${hint}`);
  }

  absoluteUrl(field: string, value: unknown, required = false): void {
    if (!this.text(field, value, 1, 255, required)) return;
    const ok = loadClassValidator().isURL(value as string, {
      require_protocol: true,
      protocols: ['http', 'https'],
      require_tld: false,
      allow_underscores: true,
    });
    if (!ok) this.add(field, 'must be an absolute http(s) URL');
  }

  ipAddress(field: string, value: unknown): void {
    if (!this.text(field, value, 1, 46, true)) return;
    if (!loadClassValidator().isIP(value as string))
      this.add(field, 'must be an IPv4 or IPv6 address');
  }

  boolean(field: string, value: unknown): void {
    if (value !== undefined && typeof value !== 'boolean') this.add(field, 'must be true or false');
  }

  integer(
    field: string,
    value: unknown,
    min: number,
    max = Number.MAX_SAFE_INTEGER,
    required = false,
  ): boolean {
    if (value === undefined || value === null) {
      if (required) this.add(field, 'is required');
      return false;
    }
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.add(field, `must be a whole number between ${min} and ${max}`);
      return false;
    }
    return true;
  }

  object(field: string, value: unknown, required = false): value is Record<string, unknown> {
    if (value === undefined || value === null) {
      if (required) this.add(field, 'is required');
      return false;
    }
    if (typeof value !== 'object' || Array.isArray(value)) {
      this.add(field, 'must be an object');
      return false;
    }
    return true;
  }

  array(field: string, value: unknown, max: number): value is unknown[] {
    if (value === undefined || value === null) return false;
    if (!Array.isArray(value)) {
      this.add(field, 'must be an array');
      return false;
    }
    if (value.length > max) this.add(field, `must have at most ${max} entries`);
    return true;
  }

  throwIfAny(operation?: PlacetoPayOperation): void {
    if (this.list.length > 0) throw new PlacetoPayValidationError(this.list, operation);
  }
}
