import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createPolicy, createUsernameAvailability, DEFAULT_RESERVED, MemoryStore } from '../src/index.js';

const policy = createPolicy();

describe('policy: canonical form', () => {
  it.each([
    ['Alice', 'alice'],
    ['  alice  ', 'alice'],
    ['ＡＬＩＣＥ', 'alice'], // full-width
    ['\u3000bob\u00a0', 'bob'], // ideographic and no-break spaces trimmed
    ['ﬁona', 'fiona'], // compatibility ligature
    ['Dan_the-Man.99', 'dan_the-man.99'],
  ])('%j → %j', (input, canonical) => {
    expect(policy(input)).toEqual({ ok: true, username: canonical });
  });

  it('is idempotent: the canonical form of a canonical form is itself', () => {
    const unicode = createPolicy({ charset: 'unicode' });
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (input) => {
        const first = unicode(input);
        if (first.ok) expect(unicode(first.username)).toEqual(first);
      }),
      { numRuns: 2_000 },
    );
  });

  it('unicode charset: composed and decomposed spellings are one name', () => {
    const unicode = createPolicy({ charset: 'unicode' });
    expect(unicode('Jose\u0301')).toEqual(unicode('José'));
    expect(unicode('JOSÉ')).toEqual({ ok: true, username: 'josé' });
    expect(unicode('ΣΊΣΥΦΟΣ')).toMatchObject({ ok: true });
  });
});

describe('policy: refusals', () => {
  it.each([
    [undefined, 'not_a_string'],
    [null, 'not_a_string'],
    [42, 'not_a_string'],
    [{ toString: () => 'alice' }, 'not_a_string'],
    ['', 'empty'],
    ['   ', 'empty'],
    ['ab', 'too_short'],
    ['a'.repeat(31), 'too_long'],
    ['x'.repeat(1_000_000), 'too_long'],
    ['ab\ud800cd', 'malformed_unicode'],
    ['\udfffabc', 'malformed_unicode'],
    ['ad\u200bmin', 'invalid_characters'], // zero-width space
    ['ali\u0000ce', 'invalid_characters'], // NUL
    ['ali\u202ece', 'invalid_characters'], // right-to-left override
    ['ali\u3164ce', 'invalid_characters'], // Hangul filler
    ['bob smith', 'invalid_characters'],
    ['bob@home', 'invalid_characters'],
    ['josé', 'invalid_characters'], // ascii charset by default
    ['__proto__', 'invalid_format'],
    ['.alice', 'invalid_format'],
    ['alice-', 'invalid_format'],
    ['al..ice', 'invalid_format'],
    ['admin', 'reserved'],
    ['ADMIN', 'reserved'],
    ['Ｒｏｏｔ', 'reserved'],
  ])('%j → %s', (input, reason) => {
    const r = policy(input);
    expect(r).toMatchObject({ ok: false, reason });
    if (!r.ok) {
      expect(r.message).toMatch(/\.$/); // a full sentence
      expect(r.username.length).toBeLessThanOrEqual(64);
    }
  });

  it('measures length in characters, not UTF-16 units', () => {
    const unicode = createPolicy({ charset: 'unicode', minLength: 3, maxLength: 4 });
    expect(unicode('𝒶𝒷𝒸')).toMatchObject({ ok: true }); // astral, NFKC → 'abc'
    expect(unicode('𠀀𠀁𠀂𠀃')).toMatchObject({ ok: true }); // 4 astral ideographs, 8 units
    expect(unicode('𠀀𠀁𠀂𠀃𠀄')).toMatchObject({ ok: false, reason: 'too_long' });
  });

  it('reserved: replace or extend the built-in list', () => {
    expect(DEFAULT_RESERVED).toContain('admin');
    const extended = createPolicy({ reserved: (d) => [...d, 'Billing'] });
    expect(extended('billing')).toMatchObject({ reason: 'reserved' });
    expect(extended('admin')).toMatchObject({ reason: 'reserved' });
    const replaced = createPolicy({ reserved: ['acme'] });
    expect(replaced('admin')).toEqual({ ok: true, username: 'admin' });
    expect(replaced('ACME')).toMatchObject({ reason: 'reserved' });
  });

  it('a custom RegExp charset', () => {
    const digitsOnly = createPolicy({ charset: /^[0-9]+$/ });
    expect(digitsOnly('12345')).toEqual({ ok: true, username: '12345' });
    expect(digitsOnly('123a')).toMatchObject({ reason: 'invalid_characters' });
  });

  it('refuses impossible length settings at construction', () => {
    expect(() => createPolicy({ minLength: 5, maxLength: 4 })).toThrow(RangeError);
    expect(() => createPolicy({ minLength: 0 })).toThrow(RangeError);
  });
});

describe('policy: any input at all', () => {
  const anyInput = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 64 }), // full Unicode, lone surrogates included
    fc.string({ unit: 'grapheme', maxLength: 64 }),
    fc.string({ unit: fc.constantFrom('a', 'Z', '.', '_', '-', ' ', '\u200b', '\u0301', 'Ａ', 'ß', 'İ', '\u0000'), maxLength: 40 }),
    fc.anything(),
  );

  it('gives a well-formed verdict, never throws, and an accepted name obeys every rule', () => {
    for (const charset of ['ascii', 'unicode'] as const) {
      const p = createPolicy({ charset });
      fc.assert(
        fc.property(anyInput, (input) => {
          const r = p(input);
          if (r.ok) {
            expect(typeof input).toBe('string');
            expect(r.username).toBe(r.username.trim());
            expect(r.username).toBe(r.username.normalize('NFKC'));
            expect(r.username).toBe(r.username.toLowerCase());
            expect([...r.username].length).toBeGreaterThanOrEqual(3);
            expect([...r.username].length).toBeLessThanOrEqual(30);
            expect(r.username).not.toMatch(/[\p{Cc}\p{Cf}\p{Z}]/u);
            expect(DEFAULT_RESERVED).not.toContain(r.username);
          } else {
            expect(typeof r.reason).toBe('string');
            expect(r.message.length).toBeGreaterThan(10);
          }
        }),
        { numRuns: 3_000 },
      );
    }
  });

  it('invalid input never reaches the store and never lands in the cache', async () => {
    let reads = 0;
    const store = new MemoryStore();
    const exists = store.exists.bind(store);
    store.exists = (name, ctx) => {
      reads++;
      return exists(name, ctx);
    };
    const names = createUsernameAvailability({ store, policy: { charset: 'unicode' } });
    await fc.assert(
      fc.asyncProperty(anyInput, async (input) => {
        const before = reads;
        const sizeBefore = names.stats().cacheSize;
        const r = await names.check(input);
        const c = await names.checkThenCreate(input, {});
        if (r.status === 'invalid') {
          expect(reads).toBe(before);
          expect(names.stats().cacheSize).toBe(sizeBefore);
          expect(c).toMatchObject({ ok: false, reason: 'invalid', username: r.username });
        } else {
          expect(['available', 'taken']).toContain(r.status);
        }
      }),
      { numRuns: 1_000 },
    );
  });
});
