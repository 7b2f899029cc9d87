import { deletionGuards } from '../registration/deletion-guards.js';
import { DoseRecord } from './dose-record.entity.js';

/** A person with a recorded dose stays registered: their history and certificates depend on it. */
deletionGuards.push(async (em, beneficiaryId) =>
  (await em.count(DoseRecord, { beneficiary: beneficiaryId })) > 0 ? 'a dose is recorded' : undefined,
);
