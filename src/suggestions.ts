/**
 * Candidate alternatives for a taken name: the name with a short number
 * appended, the way most signup forms suggest. Random (through the injected
 * source) so that two people who lose the same name are not both offered the
 * same first alternative. Candidates are only proposals: the caller checks
 * each one, and the policy still has the last word.
 */
export function suggestionCandidates(username: string, count: number, random: () => number): string[] {
  const candidates = new Set<string>();
  const base = username.replace(/[._-]+$/, '');
  for (let tries = 0; candidates.size < count * 3 && tries < count * 10; tries++) {
    const digits = tries < count * 3 ? 2 + Math.floor(tries / count) : 4;
    const n = Math.floor(random() * 10 ** digits);
    candidates.add(`${base}${n}`);
  }
  return [...candidates];
}
