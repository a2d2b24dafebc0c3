/** The options as the host gave them (before environment variables and defaults). */
export const PLACETOPAY_MODULE_OPTIONS = Symbol('PLACETOPAY_MODULE_OPTIONS');

/** The validated, resolved options (`ResolvedPlacetoPayOptions`). */
export const PLACETOPAY_OPTIONS = Symbol('PLACETOPAY_OPTIONS');
