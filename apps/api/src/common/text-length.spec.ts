import { IsString, validateSync } from 'class-validator';
import { codePointLength, MaxCodePoints } from './text-length';

class Titled {
  @IsString()
  @MaxCodePoints(3)
  title!: string;
}

const errorsFor = (title: string): number => validateSync(Object.assign(new Titled(), { title })).length;

describe('MaxCodePoints', () => {
  it('counts code points as PostgreSQL does, not UTF-16 units', () => {
    expect(codePointLength('❤️')).toBe(2);
    expect(codePointLength('😀')).toBe(1);
    expect(codePointLength('a\uFE0F')).toBe(2);
  });

  it('accepts text at the limit and rejects one code point more', () => {
    expect(errorsFor('😀😀😀')).toBe(0);
    expect(errorsFor('❤️a')).toBe(0);
    expect(errorsFor('❤️❤️')).toBe(1);
  });
});
