/** PlacetoPay's clock, as the simulator sees it. */
export interface SimulatorClock {
  now(): Date;
}

export const systemClock: SimulatorClock = { now: () => new Date() };

/** A clock that moves only when a test says so. */
export class ManualClock implements SimulatorClock {
  private current: number;

  constructor(start: Date | number = Date.now()) {
    this.current = typeof start === 'number' ? start : start.getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  advance(ms: number): void {
    this.current += ms;
  }

  set(date: Date | number): void {
    this.current = typeof date === 'number' ? date : date.getTime();
  }
}
