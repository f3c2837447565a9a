import { ValidateBy, ValidationOptions } from 'class-validator';

/** What a length limit counts, for API descriptions: the measure PostgreSQL applies to `varchar(n)`. */
export const CODE_POINTS_NOTE = 'Counted in Unicode code points, as the database counts them';

export const codePointLength = (value: string): number => {
  let count = 0;
  for (const _codePoint of value) count++;
  return count;
};

/**
 * At most `max` Unicode code points. class-validator's MaxLength counts UTF-16 units, which lets through text
 * (an emoji with its variation selector, say) that PostgreSQL counts differently; this counts what a `varchar(n)`
 * column counts, so whatever passes can be stored.
 */
export function MaxCodePoints(max: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'maxCodePoints',
      constraints: [max],
      validator: {
        validate: (value: unknown) => typeof value === 'string' && codePointLength(value) <= max,
        defaultMessage: (args) =>
          `${args?.property ?? 'value'} must be at most ${max} characters (Unicode code points)`,
      },
    },
    options,
  );
}
