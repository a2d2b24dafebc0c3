import { HttpService } from '@nestjs/axios';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { variableFor } from '../config/environment-variables';
import { environmentPrefixOf, siteScoped } from '../config/site-name';
import {
  PlacetoPayConfigError,
  type PlacetoPayConfigProblem,
} from '../config/placetopay-config.error';
import type { ResolvedPlacetoPayOptions } from '../config/placetopay-options.interface';
import { PLACETOPAY_OPTIONS } from '../config/tokens';
import { checkGateway, type GatewayVerdict } from './gateway-check';

/** The option an authentication cause code points at (docs/protocol.md §3.4). */
const OPTION_OF_AUTH_CODE: Readonly<Record<number, string>> = {
  101: 'login',
  102: 'secretKey',
  103: 'clockOffsetMs',
};

/**
 * `verifyCredentials`: at application bootstrap, one authenticated query of a session that does
 * not exist (the health indicator's check). Refused credentials or a base URL that is not
 * PlacetoPay's API: one error line naming the variable (`warn`) or a `PlacetoPayConfigError`
 * that stops start-up (`fail`). An unreachable gateway only warns, in every mode: a gateway
 * outage must never become a crash loop. `off` makes no call.
 */
@Injectable()
export class CredentialCheck implements OnApplicationBootstrap {
  /** `PlacetoPayCredentials`, or `PlacetoPayCredentials:<site>` for a named site. */
  private readonly logger: Logger;

  constructor(
    private readonly http: HttpService,
    @Inject(PLACETOPAY_OPTIONS) private readonly options: ResolvedPlacetoPayOptions,
  ) {
    this.logger = new Logger(siteScoped('PlacetoPayCredentials', options.site));
  }

  async onApplicationBootstrap(): Promise<void> {
    const mode = this.options.verifyCredentials;
    if (mode === 'off') return;
    const verdict = await checkGateway(this.http, this.options);
    const origin = new URL(this.options.baseUrl).origin;
    if (verdict.outcome === 'accepted') {
      this.logger.log(`${origin} accepted the credentials (${verdict.latencyMs} ms)`);
      return;
    }
    if (verdict.outcome === 'unreachable') {
      this.logger.warn(
        `could not verify the credentials, start-up goes on: ${origin} is unreachable (${verdict.reason})`,
      );
      return;
    }
    const prefix = environmentPrefixOf(this.options.site);
    const problem = problemOf(verdict, origin, prefix);
    if (mode === 'fail') throw new PlacetoPayConfigError([problem]);
    this.logger.error(
      `${problem.variable ?? problem.option}: ${problem.message} ` +
        `(start-up goes on; ${variableFor('verifyCredentials', prefix)}=fail stops it instead)`,
    );
  }
}

function problemOf(
  verdict: Extract<GatewayVerdict, { outcome: 'refused' | 'wrong-url' }>,
  origin: string,
  prefix: string,
): PlacetoPayConfigProblem {
  if (verdict.outcome === 'wrong-url') {
    return {
      option: 'baseUrl',
      variable: variableFor('baseUrl', prefix),
      message: `${origin} does not answer like PlacetoPay's API: ${verdict.reason}`,
    };
  }
  const option = (verdict.authCode !== null && OPTION_OF_AUTH_CODE[verdict.authCode]) || undefined;
  return {
    option: option ?? 'login, secretKey',
    variable: option
      ? variableFor(option, prefix)
      : `${variableFor('login', prefix)} / ${variableFor('secretKey', prefix)}`,
    message: `PlacetoPay at ${origin} refused the credentials: ${verdict.reason}`,
  };
}
