// 'nestjs-placetopay/wire': PlacetoPay's request and response shapes as they travel
// (docs/protocol.md), and the money helpers that turn amounts into minor units and back.
export type * from './gateway/wire/common.types';
export type * from './gateway/wire/person.types';
export type * from './gateway/wire/requests.types';
export type * from './gateway/wire/responses.types';
export { currencyMinorUnits, fromMinorUnits, toMinorUnits } from './gateway/money';
