import { ValidateBy, type ValidationOptions } from 'class-validator';
import { parseInstrumentKey } from './instrument-key';

export function IsInstrumentKey(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isInstrumentKey',
      validator: { validate: (value: unknown) => parseInstrumentKey(value) !== null },
    },
    options,
  );
}
