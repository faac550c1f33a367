import { canonicalForm, displayForm, isWellFormed, PRINTABLE_ASCII } from './normalize.js';
import { DEFAULT_RESERVED } from './reserved.js';
import type { InvalidReason, PolicyOptions, PolicyResult } from './types.js';

/**
 * Control, format (zero-width, bidi overrides), private-use and other
 * default-ignorable characters (U+3164 HANGUL FILLER…). They render as nothing,
 * so they are how look-alike names are made; refused rather than stripped, so
 * that the user sees why.
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Co}\p{Default_Ignorable_Code_Point}]/u;
const ASCII_CHARS = /^[a-z0-9._-]+$/;
const UNICODE_CHARS = /^[\p{L}\p{M}\p{N}._-]+$/u;
const BAD_SEPARATORS = /^[._-]|[._-]$|[._-]{2}/;

/**
 * A policy: turns any input into its canonical username or a typed refusal.
 * Pure and synchronous; it never touches a store.
 *
 * @example
 * ```ts
 * const policy: Policy = createPolicy({ minLength: 3 });
 * policy('Alice'); // { ok: true, username: 'alice' }
 * ```
 */
export type Policy = (input: unknown) => PolicyResult;

function codePointLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) n++;
  }
  return n;
}

function firstOffending(s: string, allowed: RegExp): string {
  for (const ch of s) if (!allowed.test(ch)) return ch;
  return '';
}

function describeChar(ch: string): string {
  const hex = (ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
  return `U+${hex}`;
}

/**
 * Builds the {@link Policy} that `createUsernameAvailability` applies before
 * anything else. Exported so that a browser form can run the very same rules
 * client-side.
 *
 * Rules, in order: a string; no lone surrogates; no invisible characters;
 * canonical form (see {@link PolicyOptions}); not empty; length in code points;
 * charset; separators; reserved names.
 *
 * @example
 * ```ts
 * const policy = createPolicy({ maxLength: 20, reserved: (d) => [...d, 'billing'] });
 * policy('  Ｂｏｂ '); // { ok: true, username: 'bob' }
 * policy('admin');   // { ok: false, reason: 'reserved', … }
 * ```
 */
export function createPolicy(options: PolicyOptions = {}): Policy {
  const minLength = options.minLength ?? 3;
  const maxLength = options.maxLength ?? 30;
  if (!Number.isInteger(minLength) || !Number.isInteger(maxLength) || minLength < 1 || maxLength < minLength) {
    throw new RangeError(
      `The policy needs whole numbers with 1 <= minLength <= maxLength; got minLength ${minLength} and maxLength ${maxLength}.`,
    );
  }
  // Inputs far beyond maxLength are refused before normalisation, so that a
  // 1 MB string costs a length comparison, not a 1 MB NFKC pass. NFKC can
  // expand a character up to 18 times, never shrink a string much, so 8x plus
  // slack for trimmed white space cannot refuse a name that would fit.
  const hardLimit = Math.max(256, maxLength * 8);
  const charset = options.charset ?? 'ascii';
  const allowed = charset === 'ascii' ? ASCII_CHARS : charset === 'unicode' ? UNICODE_CHARS : charset;
  const checkSeparators = charset === 'ascii' || charset === 'unicode';
  const reservedInput =
    typeof options.reserved === 'function' ? options.reserved(DEFAULT_RESERVED) : (options.reserved ?? DEFAULT_RESERVED);
  const reserved = new Set<string>();
  for (const name of reservedInput) reserved.add(canonicalForm(String(name)));

  const refuse = (username: string, reason: InvalidReason, message: string): PolicyResult => ({
    ok: false,
    username,
    reason,
    message,
  });

  return function policy(input: unknown): PolicyResult {
    if (typeof input !== 'string') {
      return refuse('', 'not_a_string', `A username must be a string; got ${input === null ? 'null' : typeof input}.`);
    }
    if (input.length > hardLimit) {
      return refuse(displayForm(input), 'too_long', `Usernames can have at most ${maxLength} characters; this one has ${input.length}.`);
    }
    const ascii = PRINTABLE_ASCII.test(input);
    if (!ascii && !isWellFormed(input)) {
      return refuse(displayForm(input), 'malformed_unicode', `The username "${displayForm(input)}" contains a lone UTF-16 surrogate, which is not a character.`);
    }
    const invisible = ascii ? null : INVISIBLE.exec(input);
    if (invisible) {
      return refuse(
        displayForm(input),
        'invalid_characters',
        `Usernames cannot contain control or invisible characters; "${displayForm(input)}" has ${describeChar(invisible[0])} at position ${invisible.index}.`,
      );
    }
    const username = canonicalForm(input, ascii);
    if (username.length === 0) return refuse('', 'empty', 'A username cannot be empty.');
    const length = codePointLength(username);
    if (length < minLength) {
      return refuse(username, 'too_short', `Usernames need at least ${minLength} characters; "${username}" has ${length}.`);
    }
    if (length > maxLength) {
      return refuse(displayForm(username), 'too_long', `Usernames can have at most ${maxLength} characters; "${displayForm(username)}" has ${length}.`);
    }
    if (!allowed.test(username)) {
      const ch = checkSeparators ? firstOffending(username, charset === 'ascii' ? /[a-z0-9._-]/ : /[\p{L}\p{M}\p{N}._-]/u) : '';
      const which = ch ? ` ("${ch}", ${describeChar(ch)})` : '';
      const rule =
        charset === 'ascii'
          ? 'letters a-z, digits and . _ -'
          : charset === 'unicode'
            ? 'letters, digits and . _ -'
            : `the pattern ${String(allowed)}`;
      return refuse(username, 'invalid_characters', `The username "${username}" has a character that is not allowed${which}; use ${rule}.`);
    }
    if (checkSeparators && BAD_SEPARATORS.test(username)) {
      return refuse(
        username,
        'invalid_format',
        `The username "${username}" must start and end with a letter or digit, without two of . _ - in a row.`,
      );
    }
    if (reserved.has(username)) return refuse(username, 'reserved', `The username "${username}" is reserved.`);
    return { ok: true, username };
  };
}
