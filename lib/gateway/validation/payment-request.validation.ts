import type { NameValuePair } from '../wire/common.types';
import type { PaymentRequest, Recurring, SubscriptionRequest } from '../wire/requests.types';
import { checkAmount } from './amount.validation';
import type { FieldProblems } from './field-problems';
import { checkPerson } from './person.validation';

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const MAX_FIELDS = 50;

/** `fields[]` entries (docs/protocol.md §5.9); returns how many there were. */
export function checkFields(
  problems: FieldProblems,
  path: string,
  fields: NameValuePair[] | undefined,
): number {
  if (!problems.array(path, fields, MAX_FIELDS)) return 0;
  fields!.forEach((field, i) => {
    if (!problems.object(`${path}[${i}]`, field, true)) return;
    problems.text(`${path}[${i}].keyword`, field.keyword, 1, 50, true);
    if (typeof field.value === 'string' && field.value.length > 255) {
      problems.add(`${path}[${i}].value`, 'must be at most 255 characters');
    }
    const displayOn = field.displayOn;
    if (
      displayOn !== undefined &&
      !['none', 'payment', 'receipt', 'both', 'approved'].includes(displayOn)
    ) {
      problems.add(`${path}[${i}].displayOn`, 'must be none, payment, receipt, both or approved');
    }
  });
  return fields!.length;
}

function checkRecurring(
  problems: FieldProblems,
  path: string,
  recurring: Recurring,
  today: string,
): void {
  if (!['D', 'M', 'Y'].includes(recurring.periodicity))
    problems.add(`${path}.periodicity`, 'must be D, M or Y');
  problems.integer(`${path}.interval`, recurring.interval, 1, 366, true);
  if (recurring.maxPeriods !== -1)
    problems.integer(`${path}.maxPeriods`, recurring.maxPeriods, 1, 10_000, true);
  if (recurring.nextPayment !== undefined) {
    problems.pattern(`${path}.nextPayment`, recurring.nextPayment, DATE_ONLY, 'a date YYYY-MM-DD');
    if (DATE_ONLY.test(recurring.nextPayment) && recurring.nextPayment <= today) {
      problems.add(`${path}.nextPayment`, 'must be in the future');
    }
  }
  problems.pattern(`${path}.dueDate`, recurring.dueDate, DATE_ONLY, 'a date YYYY-MM-DD');
  problems.absoluteUrl(`${path}.notificationUrl`, recurring.notificationUrl);
}

/** A `payment` block of a session or a collect (docs/protocol.md §5.3). */
export function checkPaymentRequest(
  problems: FieldProblems,
  path: string,
  payment: PaymentRequest,
  now: Date,
): number {
  problems.text(`${path}.reference`, payment.reference, 1, 32, true);
  problems.text(`${path}.description`, payment.description, 1, 255, true);
  const partial = payment.allowPartial === true;
  const total = checkAmount(problems, `${path}.amount`, payment.amount, {
    allowBreakdown: !partial,
  });
  problems.boolean(`${path}.allowPartial`, payment.allowPartial);
  problems.boolean(`${path}.subscribe`, payment.subscribe);
  checkPerson(problems, `${path}.shipping`, payment.shipping, false, 'shipping');

  // PlacetoPay keeps the first 50 items and truncates long sku / name: not our call to refuse.
  if (problems.array(`${path}.items`, payment.items, Number.MAX_SAFE_INTEGER)) {
    payment.items!.forEach((item, i) => problems.object(`${path}.items[${i}]`, item, true));
  }
  if (problems.object(`${path}.recurring`, payment.recurring)) {
    if (partial) problems.add(`${path}.recurring`, 'cannot be combined with allowPartial');
    checkRecurring(
      problems,
      `${path}.recurring`,
      payment.recurring!,
      // "Today" as PlacetoPay sees it (Bogotá, UTC-5), not as UTC does after 19:00 there.
      new Date(now.getTime() - 5 * 3_600_000).toISOString().slice(0, 10),
    );
  }
  if (problems.array(`${path}.dispersion`, payment.dispersion, 3)) {
    if (partial) problems.add(`${path}.dispersion`, 'cannot be combined with allowPartial');
    if ((payment.amount?.taxes?.length ?? 0) > 0 || (payment.amount?.details?.length ?? 0) > 0) {
      problems.add(
        `${path}.amount`,
        'cannot carry taxes or details with dispersion: put them in each dispersion amount',
      );
    }
    let sum = 0;
    payment.dispersion!.forEach((entry, i) => {
      const minor = checkAmount(problems, `${path}.dispersion[${i}].amount`, entry?.amount);
      if (entry?.amount?.currency !== payment.amount?.currency) {
        problems.add(`${path}.dispersion[${i}].amount.currency`, 'must equal the payment currency');
      }
      sum += minor ?? Number.NaN;
    });
    if (total !== undefined && !Number.isNaN(sum) && sum !== total) {
      problems.add(`${path}.dispersion`, 'totals must add up to the payment total');
    }
  }
  return checkFields(problems, `${path}.fields`, payment.fields);
}

export function checkSubscriptionRequest(
  problems: FieldProblems,
  path: string,
  subscription: SubscriptionRequest,
): number {
  problems.text(`${path}.reference`, subscription.reference, 1, 32, true);
  problems.text(`${path}.description`, subscription.description, 1, 255, true);
  return checkFields(problems, `${path}.fields`, subscription.fields);
}
