import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ValidateBy } from 'class-validator';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

export const E164 = /^\+[1-9]\d{6,14}$/;

/** "+1 (415) 555-0123" → "+14155550123"; undefined when it is not a valid number with its country code. */
export function normaliseMobile(input: string): string | undefined {
  if (!input.trim().startsWith('+')) return undefined;
  const parsed = parsePhoneNumberFromString(input.trim());
  return parsed?.isValid() ? parsed.number : undefined;
}

const MOBILE_MESSAGE = 'mobile must be a valid phone number with its country code, e.g. +14155550123';

/**
 * A mobile number field: accepted in any common notation with the leading + and country code, stored and compared
 * in E.164 so one number is one key for lookups and rate limits.
 */
export function MobileNumber(): PropertyDecorator {
  return applyDecorators(
    ApiProperty({
      description: 'Mobile number with country code; normalised to E.164',
      example: '+14155550123',
      pattern: E164.source,
    }),
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'string' ? (normaliseMobile(value) ?? value) : value,
    ),
    // The transform above leaves a number libphonenumber does not call valid as typed, so it fails here even
    // when it has the E.164 shape (+1415555012, +999999999999999).
    ValidateBy(
      {
        name: 'isValidMobile',
        validator: {
          validate: (value: unknown) => typeof value === 'string' && normaliseMobile(value) === value,
        },
      },
      { message: MOBILE_MESSAGE },
    ),
  );
}
