import { ValidateBy, type ValidationOptions } from 'class-validator';

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]', '::1']);

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/** An absolute https URL with no query or fragment; plain http only for loopback hosts. */
export function isGatewayBaseUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.username || url.password || url.search || url.hash) return false;
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && isLoopbackHost(url.hostname);
}

export function IsGatewayBaseUrl(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    { name: 'isGatewayBaseUrl', validator: { validate: isGatewayBaseUrl } },
    options,
  );
}
