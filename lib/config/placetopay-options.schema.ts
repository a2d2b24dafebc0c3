import {
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
import { IsGatewayBaseUrl } from './is-gateway-base-url.validator';
import type { PlacetoPayHashAlgorithm } from './placetopay-options.interface';

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

  @IsInt({ message: 'must be a whole number of milliseconds between 100 and 120000' })
  @Min(100, { message: 'must be a whole number of milliseconds between 100 and 120000' })
  @Max(120_000, { message: 'must be a whole number of milliseconds between 100 and 120000' })
  timeoutMs!: number;

  @IsInt({ message: 'must be a whole number between 1 and 10' })
  @Min(1, { message: 'must be a whole number between 1 and 10' })
  @Max(10, { message: 'must be a whole number between 1 and 10' })
  queryAttempts!: number;

  @IsInt({ message: 'must be a whole number of milliseconds between 0 and 60000' })
  @Min(0, { message: 'must be a whole number of milliseconds between 0 and 60000' })
  @Max(60_000, { message: 'must be a whole number of milliseconds between 0 and 60000' })
  retryBaseDelayMs!: number;

  @IsInt({ message: 'must be a whole number of milliseconds between 0 and 300000' })
  @Min(0, { message: 'must be a whole number of milliseconds between 0 and 300000' })
  @Max(300_000, { message: 'must be a whole number of milliseconds between 0 and 300000' })
  retryMaxDelayMs!: number;

  @IsOptional()
  @Matches(/^[a-z]{2}_[A-Z]{2}$/, { message: 'must look like es_CO or en_US' })
  locale?: string;

  @IsIn(['sha256', 'sha1'], { message: 'must be sha256 or sha1' })
  authAlgorithm!: PlacetoPayHashAlgorithm;

  @IsInt({ message: 'must be a whole number of milliseconds between -86400000 and 86400000' })
  @Min(-86_400_000, { message: 'must be between -86400000 and 86400000' })
  @Max(86_400_000, { message: 'must be between -86400000 and 86400000' })
  clockOffsetMs!: number;

  @IsBoolean({ message: 'must be true or false' })
  allowDuplicateReferences!: boolean;

  @IsInt({ message: 'must be a whole number between 1 and 100' })
  @Min(1, { message: 'must be a whole number between 1 and 100' })
  @Max(100, { message: 'must be a whole number between 1 and 100' })
  eventMaxAttempts!: number;

  @IsInt({ message: 'must be a whole number of milliseconds between 0 and 3600000' })
  @Min(0, { message: 'must be a whole number of milliseconds between 0 and 3600000' })
  @Max(3_600_000, { message: 'must be a whole number of milliseconds between 0 and 3600000' })
  eventRetryBaseDelayMs!: number;

  @IsInt({ message: 'must be a whole number of milliseconds between 0 and 86400000' })
  @Min(0, { message: 'must be a whole number of milliseconds between 0 and 86400000' })
  @Max(86_400_000, { message: 'must be a whole number of milliseconds between 0 and 86400000' })
  eventRetryMaxDelayMs!: number;

  @IsInt({ message: 'must be a whole number of milliseconds between 1000 and 3600000' })
  @Min(1_000, { message: 'must be a whole number of milliseconds between 1000 and 3600000' })
  @Max(3_600_000, { message: 'must be a whole number of milliseconds between 1000 and 3600000' })
  eventLeaseMs!: number;

  @IsInt({
    message: 'must be a whole number of milliseconds between 0 and 3600000 (0 turns polling off)',
  })
  @Min(0, {
    message: 'must be a whole number of milliseconds between 0 and 3600000 (0 turns polling off)',
  })
  @Max(3_600_000, {
    message: 'must be a whole number of milliseconds between 0 and 3600000 (0 turns polling off)',
  })
  eventPollMs!: number;

  @IsBoolean({ message: 'must be true or false' })
  allowLegacySha1!: boolean;

  @IsBoolean({ message: 'must be true or false' })
  notificationQuery!: boolean;
}
