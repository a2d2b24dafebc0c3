#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { PlacetoPaySimulator } from './simulator/placetopay-simulator';

const USAGE = `Usage: placetopay-simulator [options]

A local PlacetoPay WebCheckout for development and tests.

Options (environment variable in brackets):
  --port <n>                 port to listen on, 0 for a random one [PLACETOPAY_SIMULATOR_PORT] (default 4010)
  --host <host>              interface to bind [PLACETOPAY_SIMULATOR_HOST] (default 127.0.0.1)
  --login <login>            site login [PLACETOPAY_LOGIN] (default simulator-login)
  --secret-key <secret>      site secret key [PLACETOPAY_SECRET_KEY] (default simulator-secret)
  --notification-url <url>   where notifications are posted [PLACETOPAY_SIMULATOR_NOTIFICATION_URL]
  --signature <sha256|sha1>  notification signature algorithm (default sha256)
  --merchant-name <name>     name shown on the checkout page
  --help                     show this text
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      login: { type: 'string' },
      'secret-key': { type: 'string' },
      'notification-url': { type: 'string' },
      signature: { type: 'string' },
      'merchant-name': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const env = process.env;
  const port = Number(values.port ?? env.PLACETOPAY_SIMULATOR_PORT ?? 4010);
  const signature = values.signature ?? 'sha256';
  if (
    !Number.isInteger(port) ||
    port < 0 ||
    port > 65535 ||
    !['sha256', 'sha1'].includes(signature)
  ) {
    process.stderr.write(USAGE);
    process.exitCode = 2;
    return;
  }
  const login = values.login ?? env.PLACETOPAY_LOGIN ?? 'simulator-login';
  const simulator = new PlacetoPaySimulator({
    port,
    host: values.host ?? env.PLACETOPAY_SIMULATOR_HOST ?? '127.0.0.1',
    sites: [
      {
        login,
        secretKey: values['secret-key'] ?? env.PLACETOPAY_SECRET_KEY ?? 'simulator-secret',
        notificationUrl: values['notification-url'] ?? env.PLACETOPAY_SIMULATOR_NOTIFICATION_URL,
        signatureAlgorithm: signature as 'sha256' | 'sha1',
        merchantName: values['merchant-name'],
      },
    ],
  });
  await simulator.start();
  process.stdout.write(
    `PlacetoPay simulator listening on ${simulator.url} (site login ${login})\n`,
  );
  const shutdown = () => void simulator.stop().then(() => process.exit(0));
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
