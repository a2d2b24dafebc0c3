export interface Address {
  street?: string;
  city?: string;
  state?: string;
  postalCode?: string;
  /** ISO 3166-1 alpha-2. */
  country?: string;
  phone?: string;
}

/** Buyer, payer or shipping contact (docs/protocol.md §5.2). */
export interface Person {
  document?: string;
  documentType?: string;
  name?: string;
  surname?: string;
  company?: string;
  email?: string;
  mobile?: string;
  address?: Address;
}
