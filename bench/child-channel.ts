// Requests and answers between a benchmark and a child process it started with an IPC channel
// (runScript(..., { ipc: true })): the child answers each request, in order, with `{ id, ... }`.
import type { ChildProcess } from 'node:child_process';

export interface ChildRequest {
  id: number;
  do: string;
}

type Waiting = { resolve(answer: unknown): void; reject(error: Error): void };

/** The parent's side: `ask` sends a request and resolves with the child's answer to it. */
export function childChannel(child: ChildProcess) {
  let next = 0;
  /** -1: the child's first message, `{ ready }`. */
  const waiting = new Map<number, Waiting>();
  const first = new Promise<unknown>((resolve, reject) => waiting.set(-1, { resolve, reject }));
  child.on('message', (message: { id?: number }) => {
    const id = message.id ?? -1;
    waiting.get(id)?.resolve(message);
    waiting.delete(id);
  });
  // A child that dies fails whatever waits on it, instead of leaving the benchmark hanging.
  child.once('exit', (code) => {
    for (const { reject } of waiting.values()) reject(new Error(`the child exited (${code})`));
    waiting.clear();
  });
  return {
    /** The child's first message (`{ ready: ... }`). */
    ready: <T>() => first as Promise<T>,
    ask<T>(what: string): Promise<T> {
      const id = next++;
      return new Promise<T>((resolve, reject) => {
        waiting.set(id, { resolve: resolve as (answer: unknown) => void, reject });
        child.send({ id, do: what } satisfies ChildRequest);
      });
    },
  };
}

/**
 * The child's side: answers each request with `handle`'s result; the first message is `ready`.
 * After answering `close` the child exits.
 */
export function answerParent(
  ready: unknown,
  handle: (what: string) => Promise<Record<string, unknown>>,
): void {
  process.send!({ ready });
  process.on('message', (request: ChildRequest) => {
    handle(request.do).then(
      (answer) =>
        process.send!({ id: request.id, ...answer }, undefined, {}, () => {
          if (request.do === 'close') process.exit(0);
        }),
      (error: unknown) => {
        console.error(error);
        process.exit(2);
      },
    );
  });
}
