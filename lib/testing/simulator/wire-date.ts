const OFFSET_MINUTES = -5 * 60;

/** Dates as PlacetoPay writes them: second precision with a Bogotá offset, `2021-11-30T15:49:47-05:00`. */
export function wireDate(date: Date): string {
  const shifted = new Date(date.getTime() + OFFSET_MINUTES * 60_000);
  return `${shifted.toISOString().slice(0, 19)}-05:00`;
}
