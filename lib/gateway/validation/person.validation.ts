import { loadClassValidator } from '../../config/class-validator-loader';
import type { Person } from '../wire/person.types';
import { DOCUMENT_TYPE_PATTERNS } from './document-types';
import type { FieldProblems } from './field-problems';

/** 13 to 19 digits in a row, spaces or dashes allowed between them: what a card number looks like. */
const CARD_NUMBER = /(?:\d[ -]?){12,18}\d/;

/**
 * Person limits of docs/protocol.md §5.2. `street`, `city` and `postalCode` are not checked: PlacetoPay
 * truncates them; `state` is not either, since its documented format is uncertain.
 */
export function checkPerson(
  problems: FieldProblems,
  path: string,
  person: Person | undefined,
  required = false,
  role: 'buyer' | 'payer' | 'shipping' = 'buyer',
): void {
  if (!problems.object(path, person, required)) return;
  const { document, documentType } = person as Person;
  if (problems.text(`${path}.documentType`, documentType, 1, 6)) {
    const pattern = DOCUMENT_TYPE_PATTERNS[documentType as string];
    if (!pattern) {
      problems.add(
        `${path}.documentType`,
        'is not a document type PlacetoPay knows (e.g. CC, CE, NIT, PPN, CI, RUC)',
      );
    } else if (typeof document === 'string' && !pattern.test(document)) {
      problems.add(`${path}.document`, `is not a valid ${documentType} number`);
    }
  }
  if (problems.text(`${path}.document`, document, 1, 25) && documentType === undefined) {
    problems.add(`${path}.documentType`, 'is required with a document');
  }
  for (const key of ['name', 'surname'] as const) {
    const value = person?.[key];
    // PlacetoPay refuses it (payer_data_not_valid), and it must never be stored: check every role.
    if (problems.text(`${path}.${key}`, value, 1, 60) && CARD_NUMBER.test(value as string)) {
      problems.add(`${path}.${key}`, 'must not contain a card number');
    }
  }
  problems.text(`${path}.company`, person?.company, 1, 60);
  // PlacetoPay drops a buyer email over 80 characters but refuses a payer's.
  const emailMax = role === 'buyer' ? 254 : 80;
  if (
    problems.text(`${path}.email`, person?.email, 1, emailMax) &&
    !loadClassValidator().isEmail(person!.email!)
  ) {
    problems.add(`${path}.email`, 'must be an email address');
  }
  problems.text(`${path}.mobile`, person?.mobile, 1, 30);
  const address = person?.address;
  if (problems.object(`${path}.address`, address)) {
    problems.pattern(
      `${path}.address.country`,
      address!.country,
      /^[A-Z]{2}$/,
      'an ISO 3166-1 alpha-2 code such as CO',
    );
    problems.text(`${path}.address.phone`, address!.phone, 1, 20);
  }
}
