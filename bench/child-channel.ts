// Requests and answers between a benchmark and a child process it started with an IPC channel
// (runScript(..., { ipc: true })): the child answers each request, in order, with `{ id, ... }`.
import type { ChildProcess } from 'node:child_process';

export interface ChildRequest {
  id: number;
  do: string;
}

/** The parent's side: `ask` sends a request and resolves with the child's answer to it. */
export function childChannel(child: ChildProcess) {
  let next = 0;
  const waiting = new Map<number, (answer: unknown) => void>();
  const first = new Promise<unknown>((resolve, reject) => {
    waiting.set(-1, resolve);
    child.once('exit', (code) =>
      reject(new Error(`the child exited (${code}) before it was ready`)),
    );
  });
  child.on('message', (message: { id?: number }) => {
    const id = message.id ?? -1;
    waiting.get(id)?.(message);
    waiting.delete(id);
  });
  return {
    /** The child's first message (`{ ready: ... }`, without an id). */
    ready: <T>() => first as Promise<T>,
    ask<T>(what: string): Promise<T> {
      const id = next++;
      return new Promise<T>((resolve) => {
        waiting.set(id, resolve as (answer: unknown) => void);
        child.send({ id, do: what } satisfies ChildRequest);
      });
    },
  };
}

/** The child's side: answers each request with `handle`'s result; the first message is `ready`. */
export function answerParent(
  ready: unknown,
  handle: (what: string) => Promise<Record<string, unknown>>,
): void {
  process.send!({ ready });
  process.on('message', (request: ChildRequest) => {
    handle(request.do).then(
      (answer) => process.send!({ id: request.id, ...answer }),
      (error: unknown) => {
        console.error(error);
        process.exit(2);
      },
    );
  });
}
