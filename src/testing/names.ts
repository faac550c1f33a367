/** UTF-8 length of a string, without `Buffer` (the kit stays runtime-neutral). */
export function utf8Bytes(value: string): number {
  return new TextEncoder().encode(value).length;
}

/**
 * Names that break stores built by string concatenation, LIKE instead of `=`,
 * a lossy column charset, or a length limit counted in the wrong unit. Every
 * one is NUL-free and already in canonical form for a permissive policy; the
 * store must hand each back byte for byte.
 */
export const TRICKY_NAMES: readonly string[] = [
  "o'brien",
  "'; drop table usernames; --",
  'say"hi"',
  'back\\slash',
  'trailing\\',
  '\\%',
  'a%',
  'a_',
  '%',
  '_',
  '%%',
  '*?[]{}()^$.|+',
  'tab\there',
  'new\nline',
  'café',
  'ñandú',
  'straße',
  '日本語',
  'שלום',
  'مرحبا',
  'e\u0301', // a combining mark, unnormalised on purpose: the store must not normalise
  '👍🏽',
  '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}', // a ZWJ family
  'a'.repeat(255), // 255 bytes of ASCII
  'é'.repeat(127) + 'x', // 255 bytes, 128 characters of which 127 take two bytes
  '日'.repeat(85), // 255 bytes, three per character
  '😀'.repeat(63) + 'xyz', // 255 bytes, 66 characters (four bytes, two UTF-16 units each)
];

/**
 * Pairs of names that are different canonical names but that a collation
 * which ignores accents, or expands `ß`, or normalises Unicode, would
 * consider equal. The unique column must keep them apart.
 */
export const DISTINCT_PAIRS: readonly (readonly [string, string])[] = [
  ['cafe', 'café'],
  ['resume', 'résumé'],
  ['strasse', 'straße'],
  ['e\u0301', '\u00e9'], // NFD and NFC spellings of é
  ['uber', 'über'],
];
