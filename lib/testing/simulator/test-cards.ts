export type CardBehaviour = 'approve' | 'reject' | 'pending-approve' | 'pending-reject';

// docs/protocol.md §11: the official test cards and what each does.
const CARDS: Record<CardBehaviour, string[]> = {
  approve: [
    '4110760000000081',
    '4110770010002837',
    '4381080000000029',
    '4111111111111111',
    '4110760000000008',
    '5367680000000005',
    '5180300000000005',
    '5292594382060745',
    '377222581193005',
    '36545400000008',
    '36545407032848',
    '6550590000000001',
    '6557351234543156',
    '6508410000000001',
    '6508410000000047',
    '6759649826438453',
    '8810060001592705',
    '5903090000000000',
    '5903120000000000',
    '5058740200053106',
    '4007000000027',
    '5424000000000015',
    '370000000000002',
    '36018623456787',
  ],
  reject: [
    '4110760000000016',
    '4005580000000040',
    '4716375184092180',
    '4381080000000011',
    '5367680000000013',
    '5180300000000039',
    '376651792202224',
    '36545400000248',
    '6550590000000019',
    '6557351234543164',
    '6508410000000021',
    '6508410000000039',
    '5058760305223909',
    '4110760000000065',
    '376651841246735',
  ],
  'pending-approve': [
    '4110760000000073',
    '4509564638437551',
    '4110760000000032',
    '5180300000000047',
    '376651552907400',
    '36545407032806',
    '6550590000000027',
    '6508410000000054',
    '4110760000000024',
    '4666666666666669',
    '376651707554974',
    '36545400000701',
    '36545407032780',
    '376651242830343',
    '36545400000438',
  ],
  'pending-reject': [
    '4048370000000037',
    '4381080000000003',
    '4864921336824366',
    '4931974429847108',
    '4110760000000040',
    '5180300000000054',
    '376651743308161',
    '376651736695301',
    '36545407030701',
    '6550590000000035',
    '4110760000000115',
    '4532034637206853',
  ],
};

const BY_NUMBER = new Map<string, CardBehaviour>(
  (Object.entries(CARDS) as Array<[CardBehaviour, string[]]>).flatMap(([behaviour, numbers]) =>
    numbers.map((number) => [number, behaviour] as const),
  ),
);

/** Cards that approve below 200 USD (or its equivalent) and reject above. */
const AMOUNT_LIMITED = new Set(['4110760000000057', '376651911424709']);

export const TEST_CARDS = {
  approve: '4110760000000081',
  reject: '4110760000000016',
  pendingApprove: '4110760000000073',
  pendingReject: '4048370000000037',
} as const;

export function luhnValid(number: string): boolean {
  if (!/^\d{12,19}$/.test(number)) return false;
  let sum = 0;
  for (let i = 0; i < number.length; i++) {
    let digit = Number(number[number.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** What a card does; an unlisted but well-formed number is declined, as in the test environment. */
export function cardBehaviour(number: string, usdAmount: number): CardBehaviour {
  if (AMOUNT_LIMITED.has(number)) return usdAmount < 200 ? 'approve' : 'reject';
  return BY_NUMBER.get(number) ?? 'reject';
}

export interface Franchise {
  paymentMethod: string;
  paymentMethodName: string;
  franchise: string;
  issuerName: string;
}

export function franchiseOf(number: string): Franchise {
  if (/^3[47]/.test(number))
    return {
      paymentMethod: 'amex',
      paymentMethodName: 'American Express',
      franchise: 'CR_AM',
      issuerName: 'AMERICAN EXPRESS',
    };
  if (/^3[068]/.test(number))
    return {
      paymentMethod: 'diners',
      paymentMethodName: 'Diners',
      franchise: 'CR_DN',
      issuerName: 'DINERS CLUB',
    };
  if (/^(5[1-5]|2[2-7])/.test(number))
    return {
      paymentMethod: 'master',
      paymentMethodName: 'MasterCard',
      franchise: 'RM_MC',
      issuerName: 'BANCO DE PRUEBAS',
    };
  if (/^4/.test(number))
    return {
      paymentMethod: 'visa',
      paymentMethodName: 'Visa',
      franchise: 'CR_VS',
      issuerName: 'JPMORGAN CHASE BANK, N.A.',
    };
  if (/^6/.test(number))
    return {
      paymentMethod: 'discover',
      paymentMethodName: 'Discover',
      franchise: 'CR_DS',
      issuerName: 'DISCOVER BANK',
    };
  return {
    paymentMethod: 'card',
    paymentMethodName: 'Card',
    franchise: 'CR_GN',
    issuerName: 'BANCO DE PRUEBAS',
  };
}
