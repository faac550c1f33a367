/**
 * Canonicalisation, after RFC 8265 (PRECIS UsernameCaseMapped): width mapping
 * and compatibility decomposition (NFKC: 'Ａ' → 'A', 'ﬁ' → 'fi'), case mapping
 * (toLowerCase), then NFKC again, because lower-casing can produce sequences
 * that are no longer normalised. Two inputs that a person reads as the same
 * name end up as one string, and that string is what the store's unique
 * column holds.
 */

/**
 * Printable ASCII is already NFKC-stable and has no invisible or surrogate
 * code units, so the common case skips the Unicode checks and the two
 * normalisation passes (they dominate the cost of a cached check).
 */
export const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** Canonical form of a well-formed string (see the module comment). */
export function canonicalForm(raw: string, ascii = PRINTABLE_ASCII.test(raw)): string {
  if (ascii) return raw.trim().toLowerCase();
  return raw.trim().normalize('NFKC').toLowerCase().normalize('NFKC').trim();
}

/**
 * Is `s` free of lone surrogates? `String.prototype.isWellFormed` where the
 * runtime has it (Node 20, current browsers), a regular expression elsewhere.
 */
export function isWellFormed(s: string): boolean {
  const native = (s as { isWellFormed?: () => boolean }).isWellFormed;
  if (typeof native === 'function') return native.call(s);
  return !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);
}

/** A short, well-formed rendering of any input, for error messages. */
export function displayForm(raw: string, max = 40): string {
  let s = raw.length > max ? raw.slice(0, max) : raw;
  s = s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
  return raw.length > max ? `${s}…` : s;
}
