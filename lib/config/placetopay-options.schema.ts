import {
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
} from 'class-validator';
import { applyDecorators } from '@nestjs/common';
import { IsGatewayBaseUrl } from './is-gateway-base-url.validator';
import { IsInstrumentKey } from './is-instrument-key.validator';

const INSTRUMENT_KEY_RULE = '32 random bytes as 64 hex characters or base64';
const INSTRUMENT_KEY_MESSAGE = `must be ${INSTRUMENT_KEY_RULE} (openssl rand -hex 32)`;
import type { PlacetoPayHashAlgorithm } from './placetopay-options.interface';

/** A whole number in [min, max], with one message for every way of missing it. */
function WholeNumber(min: number, max: number, unit?: string, note?: string): PropertyDecorator {
  const message = `must be a whole number${unit ? ` of ${unit}` : ''} between ${min} and ${max}${note ? ` (${note})` : ''}`;
  return applyDecorators(IsInt({ message }), Min(min, { message }), Max(max, { message }));
}

/** class-validator rules for the module options. Messages never include the value. */
export class PlacetoPayOptionsSchema {
  @IsString({ message: 'is required (a text of 1 to 32 characters)' })
  @Length(1, 32, { message: 'must be 1 to 32 characters long' })
  login!: string;

  @IsString({ message: 'is required' })
  @IsNotEmpty({ message: 'is required' })
  secretKey!: string;

  @IsString({ message: 'is required' })
  @IsGatewayBaseUrl({
    message:
      'must be an absolute https URL such as https://checkout-test.placetopay.com (plain http is accepted only for localhost / 127.0.0.1)',
  })
  baseUrl!: string;

  @WholeNumber(100, 120_000, 'milliseconds')
  timeoutMs!: number;

  @WholeNumber(1, 10)
  queryAttempts!: number;

  @WholeNumber(0, 60_000, 'milliseconds')
  retryBaseDelayMs!: number;

  @WholeNumber(0, 300_000, 'milliseconds')
  retryMaxDelayMs!: number;

  @IsOptional()
  @Matches(/^[a-z]{2}_[A-Z]{2}$/, { message: 'must look like es_CO or en_US' })
  locale?: string;

  @IsIn(['sha256', 'sha1'], { message: 'must be sha256 or sha1' })
  authAlgorithm!: PlacetoPayHashAlgorithm;

  @WholeNumber(-86_400_000, 86_400_000, 'milliseconds')
  clockOffsetMs!: number;

  @IsBoolean({ message: 'must be true or false' })
  allowDuplicateReferences!: boolean;

  @WholeNumber(1, 100)
  eventMaxAttempts!: number;

  @WholeNumber(0, 3_600_000, 'milliseconds')
  eventRetryBaseDelayMs!: number;

  @WholeNumber(0, 86_400_000, 'milliseconds')
  eventRetryMaxDelayMs!: number;

  @WholeNumber(1_000, 3_600_000, 'milliseconds')
  eventLeaseMs!: number;

  @WholeNumber(0, 3_600_000, 'milliseconds', '0 turns polling off')
  eventPollMs!: number;

  @IsBoolean({ message: 'must be true or false' })
  allowLegacySha1!: boolean;

  @IsBoolean({ message: 'must be true or false' })
  notificationQuery!: boolean;

  @IsBoolean({ message: 'must be true or false' })
  probeEnabled!: boolean;

  @IsString({ message: 'must be a cron expression such as "* * * * *"' })
  @Matches(/^\S+(\s+\S+){4,5}$/, {
    message: 'must be a cron expression of 5 or 6 fields such as "* * * * *"',
  })
  probeCron!: string;

  @WholeNumber(0, 86_400_000, 'milliseconds')
  probeFirstCheckMs!: number;

  @WholeNumber(10_000, 86_400_000, 'milliseconds')
  probeIntervalMs!: number;

  @WholeNumber(1, 1_000)
  probeBatchSize!: number;

  @WholeNumber(1, 200)
  probeConcurrency!: number;

  @WholeNumber(10_000, 86_400_000, 'milliseconds')
  probeLeaseMs!: number;

  @WholeNumber(3_600_000, 365 * 86_400_000, 'milliseconds')
  probeGiveUpMs!: number;

  @IsOptional()
  @IsInstrumentKey({ message: INSTRUMENT_KEY_MESSAGE })
  instrumentKey?: string;

  @IsArray({ message: `must be a list of keys, each ${INSTRUMENT_KEY_RULE}` })
  @IsInstrumentKey({ each: true, message: `must be a list of keys, each ${INSTRUMENT_KEY_RULE}` })
  instrumentPreviousKeys!: string[];
}
