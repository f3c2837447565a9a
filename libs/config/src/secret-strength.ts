/** Words that mark a value copied from documentation rather than generated. */
const PLACEHOLDER_WORDS = [
  'change-me',
  'changeme',
  'change_me',
  'replace-me',
  'placeholder',
  'example',
  'your-',
  'secret',
  'password',
];

/** 128 bits: half of what `openssl rand -base64 48` gives (about 300 by this estimate), and out of guessing reach. */
export const MINIMUM_SECRET_BITS = 128;

/** The shortest prefix that the whole string repeats (itself when it repeats nothing). */
function repeatedUnit(characters: string[]): string[] {
  for (let period = 1; period <= characters.length / 2; period++) {
    if (characters.every((character, index) => character === characters[index % period])) {
      return characters.slice(0, period);
    }
  }
  return characters;
}

/**
 * An upper bound on the entropy of a string: its character frequencies (Shannon) times the length of the unit it
 * repeats, so a narrow alphabet or a repeated pattern scores low, whatever its length.
 */
export function estimatedEntropyBits(value: string): number {
  const unit = repeatedUnit([...value]);
  const counts = new Map<string, number>();
  for (const character of unit) counts.set(character, (counts.get(character) ?? 0) + 1);
  const length = unit.length;
  let bitsPerCharacter = 0;
  for (const count of counts.values()) {
    const share = count / length;
    bitsPerCharacter -= share * Math.log2(share);
  }
  return bitsPerCharacter * length;
}

/** Why a signing key must not be used in production, or undefined when it looks generated. */
export function weakSecretReason(secret: string): string | undefined {
  const lower = secret.toLowerCase();
  const word = PLACEHOLDER_WORDS.find((placeholder) => lower.includes(placeholder));
  if (word) return `it looks like a placeholder (contains "${word}")`;
  const bits = Math.floor(estimatedEntropyBits(secret));
  if (bits < MINIMUM_SECRET_BITS)
    return `it has too little entropy (about ${bits} bits, at least ${MINIMUM_SECRET_BITS} needed)`;
  return undefined;
}
