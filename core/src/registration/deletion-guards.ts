import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * A check that can refuse deleting a beneficiary, with the reason. Registration knows nothing of
 * appointments or doses; the modules that own them register their guards here (scheduling: an
 * active appointment; vaccination: a recorded dose). Checks are code, the same for every tenant.
 */
export type DeletionGuard = (em: EntityManager, beneficiaryId: string) => Promise<string | undefined>;

export const deletionGuards: DeletionGuard[] = [];
