/** A reference to a secret: its value comes from the environment, never from the tenant file. */
export interface SecretRef {
  env: string;
}

export interface PluginUse {
  id: string;
  config?: Record<string, unknown>;
  /** Maps each secret the plugin declares to where its value comes from. */
  secrets?: Record<string, SecretRef>;
}

export interface DoseInterval {
  /** Dose number this interval leads to (2 = from dose 1 to dose 2). */
  dose: number;
  minDays: number;
  maxDays?: number;
  /** Reasons that allow the dose earlier (international travel), each with its own minimum. */
  exceptions?: { reason: string; minDays: number }[];
}

export interface VaccineConfig {
  code: string;
  name: string;
  manufacturer?: string;
  /** Doses in the primary series. */
  doses: number;
  intervals: DoseInterval[];
  booster?: { minDaysAfterLastDose: number };
  minAgeYears?: number;
  maxAgeYears?: number;
  /** The product as stocked; inventory refers to it by `code`. */
  marketingAuthorisationHolder?: string;
  /** Doses in one vial (1 when absent: single-dose presentation). */
  dosesPerVial?: number;
  presentation?: 'multi-dose-vial' | 'single-dose-vial' | 'prefilled-syringe' | 'ampoule';
  storage?: { minC: number; maxC: number };
  /** Hours an opened multi-dose vial may be used; default `inventory.openVialHours`. */
  openVialHours?: number;
  /** icd11, cvx, snomed, euProduct, euManufacturer (EU DCC value sets), and any others. */
  codes?: {
    icd11?: string;
    cvx?: string;
    snomed?: string;
    euProduct?: string;
    euManufacturer?: string;
    [system: string]: string | undefined;
  };
}

export interface InventorySettings {
  openVialHours: number;
  lowStockDays: number;
  usageWindowDays: number;
  expiringWithinDays: number;
}

export interface EligibilityPhase {
  name: string;
  minAgeYears: number;
  maxAgeYears?: number;
  /** Only for people who declared a comorbidity. */
  requiresComorbidity: boolean;
  opensOn: string;
}

export interface TenantConfig {
  /** Tenant code: ISO 3166-1 alpha-2, lower case. Must match the file name. */
  code: string;
  /** ISO 3166-1 alpha-2, upper case. */
  country: string;
  /** Production hostnames; `<code>.localhost` always works in development. */
  hostnames: string[];
  languages: {
    default: string;
    enabled: string[];
    /** Per language, the languages tried when a key is missing; the default language comes last. */
    fallback?: Record<string, string[]>;
  };
  timeZone: string;
  currency: string;
  phone: {
    /** Country calling code without `+`, e.g. `91`. */
    countryCode: string;
    /** ISO region for number parsing, e.g. `IN`. */
    region: string;
  };
  areas: {
    /** Administrative levels from the top down, e.g. state, district, block. */
    levels: string[];
    postalCode?: { pattern: string };
  };
  plugins: {
    idVerifiers: PluginUse[];
    sms: PluginUse;
    smsFallback?: PluginUse;
  };
  theme: {
    name: string;
    /** Brand tokens that override the theme's own (colours, logo). */
    tokens?: Record<string, string>;
  };
  vaccines: VaccineConfig[];
  inventory: InventorySettings;
  eligibility: {
    minAgeYears: number;
    phases?: EligibilityPhase[];
  };
  limits: {
    beneficiariesPerAccount: number;
    /** Lifetime of a citizen's session token (default 15 minutes). */
    citizenSessionSeconds: number;
    /** Lifetime of a staff session token (default 8 hours, a working day). */
    staffSessionSeconds: number;
    /** Retries with back-off per SMS gateway, then failover, within a deadline. */
    sms: { attemptsPerGateway: number; backoffMs: number; deadlineMs: number; attemptTimeoutMs: number };
    /** Core's bound on one online ID check, whatever the plugin's own client does. */
    registry: { timeoutMs: number };
    /** Failed staff sign-ins before the account is locked, and for how long. */
    staffSignIn: { maxFailures: number; lockSeconds: number };
    otp: { ttlSeconds: number; maxAttempts: number; resendCooldownSeconds: number };
    rateLimits: {
      otpPerNumberPerHour: number;
      otpPerIpPerHour: number;
      publicApiPerIpPer5Minutes: number;
    };
  };
  cowin: { captcha: boolean; searchesPerLogin: number };
  scheduling: {
    /** How old an availability answer may be, in seconds; 0 turns caching off. */
    availabilityCacheSeconds: number;
    reschedulesPerAppointment: number;
    fairOpening: { enabled: boolean; windowMs: number };
  };
  /** Webhooks and Server-Sent Events about new places (docs/subscriptions.md). */
  subscriptions: {
    maxFailures: number;
    attemptsPerNotice: number;
    retryDelaySeconds: number;
    allowPrivateTargets?: boolean;
    replaySeconds: number;
    createPerIpPerHour: number;
  };
  /** Adverse events following immunisation: the symptom list and when a batch is flagged. */
  aefi: {
    symptoms: string[];
    batchSignal: { seriousCases: number; minCases: number; ratePer1000: number };
  };
  registration: {
    consentVersion: string;
    comorbidities: string[];
  };
  certificates: {
    issuer: { name: string; country: string; url?: string };
    formats: ('eu-dcc' | 'shc' | 'w3c-vc')[];
  };
  /** Secrets of the tenant itself: token signing, encryption of identity numbers, hashing keys. */
  secrets: Record<string, SecretRef>;
  /**
   * Where the tenant's data lives. By default a database `<prefix><code>` (`teeka_in`) on the
   * platform's server; `url` names a server and database of its own (data residency).
   */
  database?: {
    url?: SecretRef;
  };
}

/** Every plugin a tenant uses: its ID verifiers, its SMS gateway and the fallback gateway. */
export function pluginUses(config: TenantConfig): PluginUse[] {
  return [...config.plugins.idVerifiers, config.plugins.sms, ...(config.plugins.smsFallback ? [config.plugins.smsFallback] : [])];
}
