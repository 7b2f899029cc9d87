/** `{{#if (eq a b)}}`: strict equality, for marking the current language or page. */
export function eq(a: unknown, b: unknown): boolean {
  return a === b;
}
