import { parseArgs } from 'node:util';
import { PlacetoPaySimulator } from './simulator/placetopay-simulator';

export const SIMULATOR_USAGE = `Usage: placetopay-simulator [options]

A local PlacetoPay WebCheckout for development and tests.

Options (environment variable in brackets):
  --port <n>                 port to listen on, 0 for a random one [PLACETOPAY_SIMULATOR_PORT] (default 4010)
  --host <host>              interface to bind [PLACETOPAY_SIMULATOR_HOST] (default 127.0.0.1)
  --login <login>            site login [PLACETOPAY_LOGIN] (default simulator-login)
  --secret-key <secret>      site secret key [PLACETOPAY_SECRET_KEY] (default simulator-secret)
  --notification-url <url>   where notifications are posted [PLACETOPAY_SIMULATOR_NOTIFICATION_URL]
  --signature <sha256|sha1>  notification signature algorithm (default sha256)
  --merchant-name <name>     name shown on the checkout page

Test controls: POST /__simulator/session/{requestId}/{approve|decline|reject|expire|cancel}
  --help                     show this text
`;

export type CliOutcome =
  { simulator: PlacetoPaySimulator; message: string } | { exitCode: number; output: string };

/** Parses the command line, then starts a simulator (or says why not). */
export async function startSimulatorFromCli(
  argv: string[],
  env: NodeJS.ProcessEnv,
): Promise<CliOutcome> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
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
    }));
  } catch (error) {
    return { exitCode: 2, output: `${(error as Error).message}\n\n${SIMULATOR_USAGE}` };
  }
  if (values.help) return { exitCode: 0, output: SIMULATOR_USAGE };
  const port = Number(values.port ?? env.PLACETOPAY_SIMULATOR_PORT ?? 4010);
  const signature = values.signature ?? 'sha256';
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    return {
      exitCode: 2,
      output: `--port must be a whole number from 0 to 65535\n\n${SIMULATOR_USAGE}`,
    };
  }
  if (signature !== 'sha256' && signature !== 'sha1') {
    return { exitCode: 2, output: `--signature must be sha256 or sha1\n\n${SIMULATOR_USAGE}` };
  }
  const login = values.login ?? env.PLACETOPAY_LOGIN ?? 'simulator-login';
  const simulator = new PlacetoPaySimulator({
    controlApi: true,
    port,
    host: values.host ?? env.PLACETOPAY_SIMULATOR_HOST ?? '127.0.0.1',
    sites: [
      {
        login,
        secretKey: values['secret-key'] ?? env.PLACETOPAY_SECRET_KEY ?? 'simulator-secret',
        notificationUrl: values['notification-url'] ?? env.PLACETOPAY_SIMULATOR_NOTIFICATION_URL,
        signatureAlgorithm: signature,
        merchantName: values['merchant-name'],
      },
    ],
  });
  await simulator.start();
  return {
    simulator,
    message: `PlacetoPay simulator listening on ${simulator.url} (site login ${login})\n`,
  };
}
