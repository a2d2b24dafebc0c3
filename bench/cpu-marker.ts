// How fast the machine is now, for a benchmark's printout.
import { createHash } from 'node:crypto';

/**
 * The same fixed CPU work (hashing) timed on this thread: on a shared host the CPU a process gets
 * varies from minute to minute, and this shows how fast the machine was around each measure.
 */
export function cpuMarkerMs(): number {
  const started = performance.now();
  for (let i = 0; i < 100_000; i++) createHash('sha256').update(`marker ${i}`).digest('hex');
  return Math.round(performance.now() - started);
}
