import { Logger, type LoggerService } from '@nestjs/common';
import { inspect } from 'node:util';

/** Collects every line Nest's Logger writes, at every level, for assertions on content. */
export class LogCapture implements LoggerService {
  readonly lines: string[] = [];

  private record(level: string, message: unknown, rest: unknown[]): void {
    const text = [message, ...rest].map((part) =>
      typeof part === 'string' ? part : inspect(part, { depth: 6 }),
    );
    this.lines.push(`${level} ${text.join(' ')}`);
  }

  log(message: unknown, ...rest: unknown[]): void {
    this.record('log', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.record('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.record('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.record('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.record('verbose', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.record('fatal', message, rest);
  }

  text(): string {
    return this.lines.join('\n');
  }
}

export function captureLogs(): LogCapture {
  const capture = new LogCapture();
  Logger.overrideLogger(capture);
  return capture;
}

/** Every secret-like value a test saw go over the wire, to look for in logs and errors. */
export function secretsIn(
  bodies: Array<Record<string, unknown> | undefined>,
  secretKey: string,
): string[] {
  const found = new Set<string>([secretKey]);
  for (const body of bodies) {
    const auth = body?.auth as Record<string, string> | undefined;
    if (auth?.tranKey) found.add(auth.tranKey);
    if (auth?.nonce) {
      found.add(auth.nonce);
      found.add(Buffer.from(auth.nonce, 'base64').toString('hex'));
    }
  }
  return [...found];
}
