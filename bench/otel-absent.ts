// Preloaded (`node --require otel-absent.js`) by a benchmark process in the `absent` mode: every
// `@opentelemetry/*` package fails to resolve with MODULE_NOT_FOUND, naming the package, exactly as
// when it is not installed. The library's loader (lib/common/load-peer.ts) takes that as the API
// missing, so its telemetry is the no-op path a host without the API gets.
import Module from 'node:module';

type Resolve = (request: string, ...rest: unknown[]) => string;
const modules = Module as unknown as { _resolveFilename: Resolve };
const resolve = modules._resolveFilename;
modules._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]) {
  if (request.startsWith('@opentelemetry/')) {
    const error = new Error(`Cannot find module '${request}'`) as Error & { code: string };
    error.code = 'MODULE_NOT_FOUND';
    throw error;
  }
  return resolve.call(this, request, ...rest);
};
