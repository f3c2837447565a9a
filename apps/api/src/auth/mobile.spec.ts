import { normaliseMobile } from './mobile';

describe('normaliseMobile', () => {
  it('normalises common notations to E.164', () => {
    expect(normaliseMobile('+1 (415) 555-0123')).toBe('+14155550123');
    expect(normaliseMobile('+44 20 7946 0958')).toBe('+442079460958');
    expect(normaliseMobile(' +919876543210 ')).toBe('+919876543210');
  });

  it('rejects numbers without a country code', () => {
    expect(normaliseMobile('4155550123')).toBeUndefined();
  });

  it('rejects invalid numbers', () => {
    expect(normaliseMobile('+1 123')).toBeUndefined();
    expect(normaliseMobile('+abc')).toBeUndefined();
  });

  it('rejects numbers of a plausible length that no numbering plan assigns', () => {
    expect(normaliseMobile('+1415555012')).toBeUndefined();
    expect(normaliseMobile('+999999999999999')).toBeUndefined();
  });
});
