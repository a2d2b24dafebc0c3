import { loadClassValidator } from '../../config/class-validator-loader';
import type { PlacetoPayOperation } from '../errors/placetopay.error';
import type {
  CollectRequest,
  CreateSessionRequest,
  InvalidateTokenRequest,
  TransactionActionRequest,
} from '../wire/requests.types';
import { checkAmount } from './amount.validation';
import { FieldProblems } from './field-problems';
import {
  checkFields,
  checkPaymentRequest,
  checkSubscriptionRequest,
} from './payment-request.validation';
import { checkPerson } from './person.validation';

const LOCALE = /^[a-z]{2}_[A-Z]{2}$/;
const MIN_EXPIRATION_MS = 5 * 60_000;
/** A date-time with a time and an explicit offset: without one it would be read in local time. */
const WITH_OFFSET = /T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i;
const ACTIONS = ['checkout', 'reauthorization', 'reverse', 'confirm', 'cancel'];

function checkCommon(
  problems: FieldProblems,
  request: { locale?: string; ipAddress: string; userAgent: string; expiration?: string },
  now: Date,
): void {
  problems.pattern('locale', request.locale, LOCALE, 'a locale such as es_CO or en_US');
  problems.ipAddress('ipAddress', request.ipAddress);
  problems.text('userAgent', request.userAgent, 1, 255, true);
  const expiration = request.expiration;
  if (expiration !== undefined) {
    if (!problems.text('expiration', expiration, 1, 35)) return;
    if (
      !loadClassValidator().isISO8601(expiration, { strict: true }) ||
      !WITH_OFFSET.test(expiration) ||
      Number.isNaN(Date.parse(expiration))
    ) {
      problems.add('expiration', 'must be an ISO 8601 date-time with a UTC offset (Z or ±hh:mm)');
    } else if (Date.parse(expiration) - now.getTime() < MIN_EXPIRATION_MS) {
      problems.add('expiration', 'must be at least 5 minutes ahead');
    }
  }
}

export function validateCreateSessionRequest(request: CreateSessionRequest, now: Date): void {
  const problems = new FieldProblems();
  if (!problems.object('request', request, true)) problems.throwIfAny('createSession');
  checkCommon(problems, request, now);
  problems.absoluteUrl('returnUrl', request.returnUrl, true);
  problems.absoluteUrl('cancelUrl', request.cancelUrl);
  checkPerson(problems, 'buyer', request.buyer);
  checkPerson(problems, 'payer', request.payer, false, 'payer');
  problems.boolean('skipResult', request.skipResult);
  problems.boolean('noBuyerFill', request.noBuyerFill);
  problems.text('paymentMethod', request.paymentMethod, 1, 255);
  if (request.type !== undefined && !['checkin', 'autopay'].includes(request.type)) {
    problems.add('type', 'must be checkin or autopay');
  }
  if (
    request.type === 'checkin' &&
    (request.payment?.allowPartial || request.payment?.dispersion?.length)
  ) {
    problems.add(
      'type',
      'checkin (pre-authorization) cannot be combined with allowPartial or dispersion',
    );
  }
  problems.object('metadata', request.metadata);

  let fieldCount = checkFields(problems, 'fields', request.fields);
  const hasPayment = problems.object('payment', request.payment);
  const hasSubscription = problems.object('subscription', request.subscription);
  if (hasPayment) fieldCount += checkPaymentRequest(problems, 'payment', request.payment!, now);
  if (hasSubscription)
    fieldCount += checkSubscriptionRequest(problems, 'subscription', request.subscription!);
  if (request.type === 'autopay') problems.object('autopay', request.autopay, true);
  else if (request.payment === undefined && request.subscription === undefined) {
    problems.add('payment', 'or subscription is required');
  }
  if (fieldCount > 50)
    problems.add(
      'fields',
      'must hold at most 50 entries together with payment.fields and subscription.fields',
    );
  problems.throwIfAny('createSession');
}

export function validateCollectRequest(request: CollectRequest, now: Date): void {
  const problems = new FieldProblems();
  if (!problems.object('request', request, true)) problems.throwIfAny('collect');
  checkCommon(problems, request, now);
  if (problems.object('payment', request.payment, true))
    checkPaymentRequest(problems, 'payment', request.payment, now);
  checkPerson(problems, 'payer', request.payer, true, 'payer');
  checkPerson(problems, 'buyer', request.buyer);
  if (problems.object('instrument', request.instrument, true)) {
    const token = request.instrument.token;
    if (problems.object('instrument.token', token, request.instrument.pocket === undefined)) {
      checkToken(problems, 'instrument.token', token!);
      if (token!.cvv !== undefined)
        problems.pattern('instrument.token.cvv', token!.cvv, /^\d{3,4}$/, '3 or 4 digits');
      problems.integer('instrument.token.installments', token!.installments, 1, 72);
    }
  }
  problems.throwIfAny('collect');
}

function checkToken(
  problems: FieldProblems,
  path: string,
  value: { token?: string; subtoken?: string },
): void {
  if ((value.token === undefined) === (value.subtoken === undefined)) {
    problems.add(path, 'needs exactly one of token or subtoken');
    return;
  }
  problems.text(`${path}.token`, value.token, 64, 64);
  problems.pattern(`${path}.subtoken`, value.subtoken, /^\d{16}$/, '16 digits');
}

export function validateTransactionActionRequest(request: TransactionActionRequest): void {
  const problems = new FieldProblems();
  if (!problems.object('request', request, true)) problems.throwIfAny('transaction');
  problems.integer(
    'internalReference',
    request.internalReference,
    1,
    Number.MAX_SAFE_INTEGER,
    true,
  );
  if (!ACTIONS.includes(request.action))
    problems.add('action', `must be one of ${ACTIONS.join(', ')}`);
  const needsAmount = request.action === 'checkout' || request.action === 'reauthorization';
  if (needsAmount || request.amount !== undefined) {
    checkAmount(problems, 'amount', request.amount, { allowZero: request.action === 'checkout' });
  }
  problems.pattern('locale', request.locale, LOCALE, 'a locale such as es_CO or en_US');
  problems.throwIfAny('transaction');
}

export function validateInvalidateTokenRequest(request: InvalidateTokenRequest): void {
  const problems = new FieldProblems();
  if (problems.object('request', request, true)) checkToken(problems, 'instrument.token', request);
  problems.pattern('locale', request?.locale, LOCALE, 'a locale such as es_CO or en_US');
  problems.throwIfAny('invalidateToken');
}

/** `requestId` / `internalReference` must be positive whole numbers (or their decimal text). */
export function validateIdentifier(
  operation: PlacetoPayOperation,
  field: string,
  value: number | string,
): number {
  const id = typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value;
  const problems = new FieldProblems();
  problems.integer(field, id, 1, Number.MAX_SAFE_INTEGER, true);
  problems.throwIfAny(operation);
  return id as number;
}
