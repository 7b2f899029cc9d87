/**
 * The vocabulary of AEFI surveillance, after WHO's AEFI reporting form and causality assessment
 * (2nd edition, 2019). Codes are stored and sent; their names are translated (`aefi:` namespace).
 */
export const SEVERITIES = ['minor', 'severe', 'serious'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** What makes a case serious (WHO): any one of these. */
export const SERIOUS_CRITERIA = ['death', 'life-threatening', 'hospitalisation', 'disability', 'congenital-anomaly'] as const;
export type SeriousCriterion = (typeof SERIOUS_CRITERIA)[number];

export const OUTCOMES = ['recovered', 'recovering', 'not-recovered', 'recovered-with-sequelae', 'fatal', 'unknown'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export const STATUSES = ['reported', 'under-investigation', 'closed'] as const;
export type CaseStatus = (typeof STATUSES)[number];

/** WHO causality classification, given when a case is closed. */
export const CAUSALITIES = ['consistent', 'indeterminate', 'inconsistent', 'unclassifiable'] as const;
export type Causality = (typeof CAUSALITIES)[number];

/**
 * The symptom that takes free text (encrypted): whatever the tenant's list does not name. The list
 * itself is the tenant's `aefi.symptoms` (defaults in the tenant schema).
 */
export const OTHER_SYMPTOM = 'other';

/** Status changes allowed: forward only, and a closed case stays closed. */
export const NEXT_STATUS: Readonly<Record<CaseStatus, readonly CaseStatus[]>> = {
  reported: ['under-investigation', 'closed'],
  'under-investigation': ['closed'],
  closed: [],
};
