export interface PlacetoPayConfigProblem {
  option: string;
  /** The environment variable that feeds the option, when there is one. */
  variable?: string;
  message: string;
}

/** Start-up stops with this error; its message names every bad option and never a value. */
export class PlacetoPayConfigError extends Error {
  override readonly name = 'PlacetoPayConfigError';
  readonly code = 'placetopay_config_invalid';

  constructor(readonly problems: readonly PlacetoPayConfigProblem[]) {
    super(
      `Invalid PlacetoPay configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems
          .map((p) => `  - ${p.option}${p.variable ? ` (${p.variable})` : ''}: ${p.message}`)
          .join('\n'),
    );
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, problems: this.problems };
  }
}
