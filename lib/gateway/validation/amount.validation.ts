import { currencyMinorUnits, decimalPlaces, isIso4217Code } from '../money';
import type { Amount } from '../wire/common.types';
import type { FieldProblems } from './field-problems';

export interface AmountRules {
  /** `checkout` with total 0 releases a hold; everything else must be positive. */
  allowZero?: boolean;
  /** Taxes and details are not allowed with partial payments. */
  allowBreakdown?: boolean;
}

/** Checks an amount; returns its total in minor units when it is valid. */
export function checkAmount(
  problems: FieldProblems,
  path: string,
  amount: Amount | undefined,
  rules: AmountRules = {},
): number | undefined {
  if (!problems.object(path, amount, true)) return undefined;
  const { currency, total } = amount as Amount;
  const digits = typeof currency === 'string' ? currencyMinorUnits(currency) : undefined;
  if (currency === undefined) problems.add(`${path}.currency`, 'is required');
  else if (isIso4217Code(currency) && digits === undefined)
    problems.add(
      `${path}.currency`,
      'must be a currency with minor units (XXX, XTS, metals and funds have none), such as COP or USD',
    );
  else if (digits === undefined)
    problems.add(`${path}.currency`, 'must be an ISO 4217 currency code such as COP or USD');

  let minor: number | undefined;
  if (typeof total !== 'number' || !Number.isFinite(total)) {
    problems.add(`${path}.total`, total === undefined ? 'is required' : 'must be a number');
  } else if (rules.allowZero ? total < 0 : total <= 0) {
    problems.add(
      `${path}.total`,
      rules.allowZero ? 'must not be negative' : 'must be greater than 0',
    );
  } else if (digits !== undefined && decimalPlaces(total) > digits) {
    problems.add(
      `${path}.total`,
      digits === 0
        ? `must be a whole number for ${currency} (it has no decimals)`
        : `must have at most ${digits} decimal${digits === 1 ? '' : 's'} for ${currency}`,
    );
  } else if (digits !== undefined) {
    minor = Math.round(total * 10 ** digits);
    if (!Number.isSafeInteger(minor)) {
      problems.add(`${path}.total`, 'is too large');
      minor = undefined;
    }
  }

  const taxes = (amount as Amount).taxes;
  const details = (amount as Amount).details;
  if (rules.allowBreakdown === false && ((taxes?.length ?? 0) > 0 || (details?.length ?? 0) > 0)) {
    problems.add(`${path}`, 'cannot carry taxes or details in a partial payment');
  }
  if (problems.array(`${path}.taxes`, taxes, Number.MAX_SAFE_INTEGER)) {
    taxes!.forEach((tax, i) => {
      problems.text(`${path}.taxes[${i}].kind`, tax?.kind, 1, 50, true);
      if (typeof tax?.amount !== 'number' || tax.amount < 0)
        problems.add(`${path}.taxes[${i}].amount`, 'must be a number of at least 0');
    });
  }
  if (problems.array(`${path}.details`, details, Number.MAX_SAFE_INTEGER)) {
    details!.forEach((detail, i) => {
      problems.text(`${path}.details[${i}].kind`, detail?.kind, 1, 50, true);
      if (typeof detail?.amount !== 'number')
        problems.add(`${path}.details[${i}].amount`, 'must be a number');
    });
  }
  return minor;
}
