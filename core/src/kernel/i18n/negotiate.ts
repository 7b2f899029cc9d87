/**
 * Picks the request's language from, in order: `?lng=`, the `lng` cookie, Accept-Language, the
 * tenant's default; only ever one of the tenant's enabled languages. Co-WIN clients send
 * `hi_IN`, so underscores are read as dashes and a region falls back to its language.
 */
export interface LanguageChoice {
  query?: string | null;
  cookie?: string | null;
  acceptLanguage?: string | null;
}

export function matchLanguage(tag: string | null | undefined, enabled: readonly string[]): string | undefined {
  if (!tag) return undefined;
  const clean = tag.trim().replace(/_/g, '-').toLowerCase();
  if (!clean) return undefined;
  const exact = enabled.find((lng) => lng.toLowerCase() === clean);
  if (exact) return exact;
  const primary = clean.split('-')[0];
  return enabled.find((lng) => lng.toLowerCase() === primary);
}

/** Parses Accept-Language into tags ordered by q (stable for equal q). */
export function parseAcceptLanguage(header: string): string[] {
  return header
    .split(',')
    .map((part, index) => {
      const [tag, ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      const weight = q ? Number(q.slice(2)) : 1;
      return { tag: tag.trim(), weight: Number.isFinite(weight) ? weight : 0, index };
    })
    .filter((entry) => entry.tag && entry.tag !== '*' && entry.weight > 0)
    .sort((a, b) => b.weight - a.weight || a.index - b.index)
    .map((entry) => entry.tag);
}

export function negotiateLanguage(choice: LanguageChoice, enabled: readonly string[], fallback: string): string {
  return (
    matchLanguage(choice.query, enabled) ??
    matchLanguage(choice.cookie, enabled) ??
    parseAcceptLanguage(choice.acceptLanguage ?? '')
      .map((tag) => matchLanguage(tag, enabled))
      .find(Boolean) ??
    fallback
  );
}
