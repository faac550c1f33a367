/**
 * Why the policy refused a name: a string code, stable across versions, for
 * the app to map to its own copy. The result's `message` is an English sentence.
 *
 * @example
 * ```ts
 * const copy: Record<InvalidReason, string> = { too_short: 'Too short', ... };
 * ```
 */
export type InvalidReason =
  | 'not_a_string'
  | 'empty'
  | 'too_short'
  | 'too_long'
  | 'malformed_unicode'
  | 'invalid_characters'
  | 'invalid_format'
  | 'reserved';

/**
 * The policy's verdict on one input.
 *
 * @example
 * ```ts
 * const v: PolicyResult = policy('Ａlice');
 * if (v.ok) console.log(v.username); // 'alice'
 * ```
 */
export type PolicyResult =
  | { ok: true; username: string }
  | { ok: false; username: string; reason: InvalidReason; message: string };

/**
 * Normalisation and validation rules.
 *
 * @example
 * ```ts
 * const policy: PolicyOptions = {
 *   minLength: 3,
 *   maxLength: 30,
 *   charset: 'unicode',
 *   reserved: (defaults) => [...defaults, 'billing', 'status'],
 * };
 * ```
 */
export interface PolicyOptions {
  /** Fewest characters (code points, after normalisation). @defaultValue 3 */
  minLength?: number;
  /** Most characters (code points, after normalisation). @defaultValue 30 */
  maxLength?: number;
  /**
   * Which characters a canonical name may contain.
   * - `'ascii'`: `a-z`, `0-9` and the separators `.`, `_`, `-`.
   * - `'unicode'`: letters and digits of any script (with their combining
   *   marks) and the same separators.
   * - a RegExp tested against the whole canonical name.
   *
   * With the two named charsets, a name must start and end with a letter or
   * digit and may not have two separators in a row.
   * @defaultValue 'ascii'
   */
  charset?: 'ascii' | 'unicode' | RegExp;
  /**
   * Names nobody may register. An iterable replaces the built-in list
   * {@link DEFAULT_RESERVED}; a function receives it and returns the list to use
   * (to extend it). Entries are canonicalised like any input.
   * @defaultValue DEFAULT_RESERVED
   */
  reserved?: Iterable<string> | ((defaults: readonly string[]) => Iterable<string>);
}
