import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * The request's EntityManager in a transaction, flushed before commit, so that what is persisted
 * on it besides the work's own SQL (audit entries) is stored exactly when the change it records is.
 */
export async function inTransaction<T>(em: EntityManager, work: (em: EntityManager) => Promise<T>): Promise<T> {
  await em.begin();
  try {
    const result = await work(em);
    await em.flush();
    await em.commit();
    return result;
  } catch (error) {
    await em.rollback();
    throw error;
  }
}
