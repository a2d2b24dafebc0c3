import fc from 'fast-check';

/** `ab` repeated 20 times or more becomes `⟨ab × 20⟩`: a 16 KB padding prints as one line. */
export function shortenRuns(text: string): string {
  return text.replace(
    /(.{1,3}?)\1{19,}/gsu,
    (run: string, unit: string) => `⟨${unit} × ${run.length / unit.length}⟩`,
  );
}

/**
 * Makes fast-check print `value` (in a counterexample) with its long runs shortened: the cases
 * carry bodies and metadata of up to a megabyte, mostly one repeated character.
 */
export function shortPrint<T extends object>(value: T): T {
  Object.defineProperty(value, fc.toStringMethod, {
    value: () => shortenRuns(fc.stringify({ ...value })),
    enumerable: false,
  });
  return value;
}
