// The garbage-collection pauses of the process it runs in, while a piece of work lasts.
import { constants, PerformanceObserver } from 'node:perf_hooks';

/** The app's garbage-collection pauses while a run lasts (the app runs in this process). */
export class GcPauses {
  count = 0;
  totalMs = 0;
  maxMs = 0;
  /** Full (mark-compact) collections: the long pauses, where the heap's size matters. */
  majorCount = 0;
  majorMaxMs = 0;
  heapAfterMb = 0;
  private readonly observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      this.count += 1;
      this.totalMs += entry.duration;
      this.maxMs = Math.max(this.maxMs, entry.duration);
      if (
        (entry as { detail?: { kind?: number } }).detail?.kind ===
        constants.NODE_PERFORMANCE_GC_MAJOR
      ) {
        this.majorCount += 1;
        this.majorMaxMs = Math.max(this.majorMaxMs, entry.duration);
      }
    }
  });

  static async during<T>(work: () => Promise<T>): Promise<[T, GcPauses]> {
    const pauses = new GcPauses();
    pauses.observer.observe({ entryTypes: ['gc'] });
    try {
      return [await work(), pauses];
    } finally {
      pauses.observer.disconnect();
      pauses.heapAfterMb = Math.round(process.memoryUsage().heapUsed / 2 ** 20);
    }
  }

  toString(): string {
    return (
      `${this.count} pauses, ${this.totalMs.toFixed(0)} ms in all, longest ${this.maxMs.toFixed(0)} ms; ` +
      `${this.majorCount} full, longest ${this.majorMaxMs.toFixed(0)} ms; heap ${this.heapAfterMb} MB after`
    );
  }
}
