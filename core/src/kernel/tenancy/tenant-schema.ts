/**
 * JSON Schema of a tenant file. ajv fills the defaults (`useDefaults`), so a country only writes
 * what differs from a sensible national programme.
 */
const secretRef = {
  type: 'object',
  additionalProperties: false,
  required: ['env'],
  properties: { env: { type: 'string', pattern: '^[A-Z][A-Z0-9_]*$' } },
};

const languageCode = { type: 'string', pattern: '^[a-z]{2,3}(-[A-Z]{2})?$' };

const pluginUse = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: {
    id: { type: 'string', minLength: 1 },
    config: { type: 'object', default: {} },
    secrets: { type: 'object', additionalProperties: secretRef, default: {} },
  },
};

const positiveInt = { type: 'integer', minimum: 1 };

export const tenantSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['code', 'country', 'languages', 'timeZone', 'currency', 'phone', 'areas', 'plugins', 'theme', 'vaccines', 'certificates'],
  properties: {
    code: { type: 'string', pattern: '^[a-z]{2}$' },
    country: { type: 'string', pattern: '^[A-Z]{2}$' },
    hostnames: {
      type: 'array',
      items: { type: 'string', pattern: '^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$' },
      default: [],
    },
    languages: {
      type: 'object',
      additionalProperties: false,
      required: ['default', 'enabled'],
      properties: {
        default: languageCode,
        enabled: { type: 'array', minItems: 1, uniqueItems: true, items: languageCode },
        fallback: { type: 'object', additionalProperties: { type: 'array', items: languageCode } },
      },
    },
    timeZone: { type: 'string', minLength: 1 },
    currency: { type: 'string', pattern: '^[A-Z]{3}$' },
    phone: {
      type: 'object',
      additionalProperties: false,
      required: ['countryCode', 'region'],
      properties: {
        countryCode: { type: 'string', pattern: '^[1-9][0-9]{0,2}$' },
        region: { type: 'string', pattern: '^[A-Z]{2}$' },
      },
    },
    areas: {
      type: 'object',
      additionalProperties: false,
      required: ['levels'],
      properties: {
        levels: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^[a-z][a-z-]*$' } },
        postalCode: {
          type: 'object',
          additionalProperties: false,
          required: ['pattern'],
          properties: { pattern: { type: 'string' } },
        },
      },
    },
    plugins: {
      type: 'object',
      additionalProperties: false,
      required: ['idVerifiers', 'sms'],
      properties: {
        idVerifiers: { type: 'array', minItems: 1, items: pluginUse },
        sms: pluginUse,
        /** A second gateway core fails over to when the first keeps failing. */
        smsFallback: pluginUse,
      },
    },
    theme: {
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: {
        name: { type: 'string', minLength: 1 },
        // Tokens end up in a <style> element: no characters that could leave it.
        tokens: { type: 'object', additionalProperties: { type: 'string', pattern: '^[^<>"\'{};\\\\]*$' } },
      },
    },
    vaccines: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['code', 'name', 'doses'],
        properties: {
          code: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]*$' },
          name: { type: 'string' },
          manufacturer: { type: 'string' },
          doses: positiveInt,
          intervals: {
            type: 'array',
            default: [],
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['dose', 'minDays'],
              properties: {
                dose: { type: 'integer', minimum: 2 },
                minDays: { type: 'integer', minimum: 0 },
                maxDays: { type: 'integer', minimum: 0 },
                /** Earlier doses allowed for a stated reason (e.g. international travel), and how early. */
                exceptions: {
                  type: 'array',
                  default: [],
                  items: {
                    type: 'object',
                    additionalProperties: false,
                    required: ['reason', 'minDays'],
                    properties: {
                      reason: { type: 'string', pattern: '^[a-z][a-z0-9-]*$' },
                      minDays: { type: 'integer', minimum: 0 },
                    },
                  },
                },
              },
            },
          },
          booster: {
            type: 'object',
            additionalProperties: false,
            required: ['minDaysAfterLastDose'],
            properties: { minDaysAfterLastDose: { type: 'integer', minimum: 0 } },
          },
          minAgeYears: { type: 'integer', minimum: 0 },
          maxAgeYears: { type: 'integer', minimum: 0 },
          /** The product as stocked (inventory): who holds the marketing authorisation, how it comes. */
          marketingAuthorisationHolder: { type: 'string' },
          dosesPerVial: positiveInt,
          presentation: { enum: ['multi-dose-vial', 'single-dose-vial', 'prefilled-syringe', 'ampoule'] },
          /** Storage range in degrees Celsius (2–8 °C for most; −90 to −60 °C for some mRNA vaccines). */
          storage: {
            type: 'object',
            additionalProperties: false,
            required: ['minC', 'maxC'],
            properties: { minC: { type: 'number' }, maxC: { type: 'number' } },
          },
          /** Hours an opened multi-dose vial may be used; default `inventory.openVialHours`. */
          openVialHours: { type: 'number', exclusiveMinimum: 0, maximum: 720 },
          /**
           * Codes by system: icd11 (WHO ICD-11 extension code), cvx (CDC), snomed (SNOMED CT, the
           * EU DCC `vp` value), euProduct and euManufacturer (EU DCC `mp` and `ma` value sets).
           */
          codes: {
            type: 'object',
            properties: {
              icd11: { type: 'string', pattern: '^X[A-Z0-9]{5}$' },
              cvx: { type: 'string', pattern: '^[0-9]{1,3}$' },
              snomed: { type: 'string', pattern: '^[0-9]{6,18}$' },
              euProduct: { type: 'string', minLength: 1 },
              euManufacturer: { type: 'string', minLength: 1 },
            },
            additionalProperties: { type: 'string' },
          },
        },
      },
    },
    inventory: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        /** Default hours an opened multi-dose vial may be used before it is discarded. */
        openVialHours: { type: 'number', exclusiveMinimum: 0, maximum: 720, default: 4 },
        /** Alert when a facility's stock lasts fewer days than this at its recent rate of use. */
        lowStockDays: { type: 'integer', minimum: 1, maximum: 365, default: 7 },
        /** The recent rate of use: doses administered per day over this many days. */
        usageWindowDays: { type: 'integer', minimum: 1, maximum: 90, default: 14 },
        /** Alert for batches in stock that expire within this many days. */
        expiringWithinDays: { type: 'integer', minimum: 1, maximum: 365, default: 30 },
      },
    },
    eligibility: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        minAgeYears: { type: 'integer', minimum: 0, default: 18 },
        phases: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['name', 'minAgeYears', 'opensOn'],
            properties: {
              name: { type: 'string' },
              minAgeYears: { type: 'integer', minimum: 0 },
              maxAgeYears: { type: 'integer', minimum: 0 },
              /** Only people who declared one of the tenant's comorbidities (45+ with comorbidities). */
              requiresComorbidity: { type: 'boolean', default: false },
              opensOn: { type: 'string', format: 'date' },
            },
          },
        },
      },
    },
    limits: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        beneficiariesPerAccount: { ...positiveInt, default: 4 },
        citizenSessionSeconds: { ...positiveInt, default: 900 },
        staffSessionSeconds: { ...positiveInt, default: 28800 },
        sms: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            /** Tries per gateway before failing over. */
            attemptsPerGateway: { ...positiveInt, default: 3 },
            /** First back-off between tries; doubles each time, with jitter. */
            backoffMs: { type: 'integer', minimum: 0, default: 250 },
            /** No message waits longer than this in total (the citizen is waiting for the OTP). */
            deadlineMs: { ...positiveInt, default: 20000 },
            /** One try may take this long; a gateway that does not answer in time is failed over. */
            attemptTimeoutMs: { ...positiveInt, default: 5000 },
          },
        },
        registry: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            /**
             * Core's own bound on one online document check (a plugin's `verifyOnline`): past it the
             * citizen gets "try later" whatever the plugin does, so a hung registry never holds a request.
             */
            timeoutMs: { ...positiveInt, default: 8000 },
          },
        },
        staffSignIn: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            maxFailures: { ...positiveInt, default: 5 },
            lockSeconds: { ...positiveInt, default: 900 },
          },
        },
        otp: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            ttlSeconds: { ...positiveInt, default: 180 },
            maxAttempts: { ...positiveInt, default: 5 },
            resendCooldownSeconds: { type: 'integer', minimum: 0, default: 60 },
          },
        },
        rateLimits: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            otpPerNumberPerHour: { ...positiveInt, default: 10 },
            otpPerIpPerHour: { ...positiveInt, default: 100 },
            publicApiPerIpPer5Minutes: { ...positiveInt, default: 100 },
          },
        },
      },
    },
    /** The Co-WIN-compatible API at /cowin. */
    cowin: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        /** Whether schedule checks the answer to getRecaptcha (Co-WIN tried it and dropped it). */
        captcha: { type: 'boolean', default: false },
        /** Session searches a signed-in client may make per login, then 429. */
        searchesPerLogin: { type: 'integer', minimum: 1, maximum: 10000, default: 20 },
      },
    },
    scheduling: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        /** How old an availability answer (centres and free places) may be; 0 turns caching off. */
        availabilityCacheSeconds: { type: 'integer', minimum: 0, maximum: 300, default: 10 },
        /** How many times one appointment may be moved to another session or slot. */
        reschedulesPerAppointment: { type: 'integer', minimum: 0, maximum: 20, default: 3 },
        /**
         * Fair openings: booking requests for a session that arrive within `windowMs` of the moment
         * it opens (its `bookableFrom`) are pooled and served in random order when the window closes.
         */
        fairOpening: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            enabled: { type: 'boolean', default: false },
            windowMs: { type: 'integer', minimum: 100, maximum: 5000, default: 3000 },
          },
        },
      },
    },
    /** Availability pushed to third parties: webhooks and Server-Sent Events (docs/subscriptions.md). */
    subscriptions: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        /** Consecutive failed deliveries after which a webhook subscription is disabled. */
        maxFailures: { type: 'integer', minimum: 1, maximum: 1000, default: 10 },
        /** Tries per notice (the first included) before it is given up. */
        attemptsPerNotice: { type: 'integer', minimum: 1, maximum: 20, default: 8 },
        /** Seconds before the second try of a notice, doubling after (at most an hour). */
        retryDelaySeconds: { type: 'integer', minimum: 1, maximum: 3600, default: 10 },
        /** Webhooks to private, loopback and link-local addresses; absent: allowed in development only. */
        allowPrivateTargets: { type: 'boolean' },
        /** How far back `Last-Event-ID` replays events to an SSE client that reconnects. */
        replaySeconds: { type: 'integer', minimum: 0, maximum: 3600, default: 300 },
        /** Subscriptions one IP address may create per hour. */
        createPerIpPerHour: { type: 'integer', minimum: 1, default: 20 },
      },
    },
    aefi: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        /** Symptoms a report may name, as codes; their names are translated (`aefi:symptoms.<code>`). `other` takes free text. */
        symptoms: {
          type: 'array',
          uniqueItems: true,
          minItems: 1,
          items: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,39}$' },
          default: [
            'fever',
            'injection-site-reaction',
            'headache',
            'fatigue',
            'myalgia',
            'nausea',
            'allergic-reaction',
            'anaphylaxis',
            'seizure',
            'thrombosis-with-thrombocytopenia',
            'myocarditis',
            'guillain-barre',
            'other',
          ],
        },
        /** When counts per batch flag a batch: serious cases, or enough cases at a high rate per 1,000 doses. */
        batchSignal: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            seriousCases: { type: 'integer', minimum: 1, default: 2 },
            minCases: { type: 'integer', minimum: 1, default: 3 },
            ratePer1000: { type: 'number', exclusiveMinimum: 0, default: 10 },
          },
        },
      },
    },
    registration: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        /** Version of the consent text citizens accept when registering someone. */
        consentVersion: { type: 'string', minLength: 1, maxLength: 20, default: '1' },
        /** Conditions a citizen may declare, as codes; their names are translated. */
        comorbidities: {
          type: 'array',
          items: { type: 'string', pattern: '^[a-z][a-z0-9-]*$' },
          default: [
            'diabetes',
            'hypertension',
            'heart-disease',
            'chronic-lung-disease',
            'chronic-kidney-disease',
            'cancer',
            'immunodeficiency',
            // Declared without naming it (Co-WIN's comorbidity_ind "Y"); checked at the centre.
            'other',
          ],
        },
      },
    },
    certificates: {
      type: 'object',
      additionalProperties: false,
      required: ['issuer'],
      properties: {
        issuer: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'country'],
          properties: {
            name: { type: 'string' },
            country: { type: 'string', pattern: '^[A-Z]{2}$' },
            url: { type: 'string', format: 'uri' },
          },
        },
        formats: {
          type: 'array',
          uniqueItems: true,
          items: { enum: ['eu-dcc', 'shc', 'w3c-vc'] },
          default: ['eu-dcc'],
        },
      },
    },
    secrets: {
      type: 'object',
      additionalProperties: secretRef,
      default: {},
    },
    database: {
      type: 'object',
      additionalProperties: false,
      properties: {
        url: secretRef,
      },
    },
  },
} as const;
