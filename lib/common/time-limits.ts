/**
 * Waits for `work` to settle (fulfilled or rejected alike), for at most `ms`. Its timer never
 * holds the process open.
 */
export async function waitAtMost(
  work: PromiseLike<unknown> | undefined,
  ms: number,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      Promise.resolve(work).catch(() => undefined),
      new Promise((resolve) => {
        timer = setTimeout(resolve, ms);
        timer.unref();
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** `work`'s outcome, or a rejection with `late()` if it has not settled within `ms`. */
export async function withDeadline<T>(
  work: PromiseLike<T> | T,
  ms: number,
  late: () => Error,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      Promise.resolve(work),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(late()), ms);
        timer.unref();
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
