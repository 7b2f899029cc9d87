/** PostgreSQL's SQLSTATE for a unique constraint or index refusing a row. */
const UNIQUE_VIOLATION = '23505';

/**
 * Whether PostgreSQL refused a statement for a duplicate key, of `constraint` when one is named
 * (the constraint or unique index name, as its message gives it). The errors pg raises and the ones
 * MikroORM converts them to both carry the SQLSTATE as `code`.
 */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  if ((error as { code?: unknown } | null)?.code !== UNIQUE_VIOLATION) return false;
  return constraint === undefined || String((error as Error).message).includes(constraint);
}
