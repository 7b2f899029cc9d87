import type { TestFn } from 'ava';
import type { IdVerifier, IdVerifierPlugin, ValidationResult } from '../kinds/id-verifier.js';
import { testContext } from './context.js';

export interface IdVerifierKitOptions<Config> {
  plugin: IdVerifierPlugin<Config>;
  config: Config;
  /** Per document type: numbers that must be accepted and numbers that must be refused. */
  samples: Record<string, { valid: string[]; invalid: string[] }>;
}

/** Inputs people (and attackers) send that must never make a verifier throw or accept. */
const GARBAGE: unknown[] = [
  '',
  '   ',
  'null',
  '0',
  '-',
  '\u0000\u0000',
  '١٢٣٤٥٦٧٨٩٠١٢', // Arabic-Indic digits
  '१२३४५६७८९०१२', // Devanagari digits
  '💉💉💉',
  'x'.repeat(10_000),
  '9'.repeat(10_000),
  "1' OR '1'='1",
  undefined,
  null,
  123456789012,
  {},
  [],
];

/**
 * Contract every ID-verification plugin must pass. Call it from the plugin's own test file:
 * `idVerifierContract(test, { plugin, config, samples })`.
 */
export function idVerifierContract<Config>(test: TestFn, options: IdVerifierKitOptions<Config>): void {
  const { plugin, config, samples } = options;
  const created: IdVerifier[] = [];
  const make = async (): Promise<IdVerifier> => {
    const verifier = await plugin.create(testContext(config));
    created.push(verifier);
    return verifier;
  };
  test.after.always(async () => {
    for (const verifier of created) await verifier.close?.();
  });

  test('contract: declares document types with unique codes, a label in English and a valid example', async (t) => {
    const verifier = await make();
    const types = verifier.documentTypes();
    t.true(types.length > 0);
    t.is(new Set(types.map((type) => type.code)).size, types.length);
    for (const type of types) {
      t.regex(type.code, /^[a-z][a-z0-9-]*$/);
      t.truthy(plugin.resources?.en?.[type.labelKey], `English label for ${type.labelKey}`);
      t.true(verifier.validate(type.code, type.example).valid, `example of ${type.code} must validate`);
    }
  });

  test('contract: every language it ships has every key English has', (t) => {
    const english = Object.keys(plugin.resources?.en ?? {}).sort();
    for (const [lng, keys] of Object.entries(plugin.resources ?? {})) {
      t.deepEqual(Object.keys(keys).sort(), english, `keys of ${lng}`);
    }
  });

  test('contract: accepts valid samples, normalises idempotently and masks to the last four', async (t) => {
    const verifier = await make();
    for (const [type, { valid }] of Object.entries(samples)) {
      t.true(valid.length > 0, `valid samples for ${type}`);
      for (const input of valid) {
        const result = verifier.validate(type, input);
        if (!result.valid) {
          t.fail(`${type} ${input} refused: ${result.reason}`);
          continue;
        }
        t.deepEqual(verifier.validate(type, result.normalized), result, 'normalised form validates to itself');
        const masked = verifier.mask(type, result.normalized);
        t.true(masked.endsWith(result.normalized.slice(-4)), 'mask keeps the last four');
        // Hidden characters are shown as X (or *, •): whatever else is alphanumeric is visible.
        const compact = masked.replace(/[^0-9A-Za-z*•]/g, '');
        const visible = compact.slice(0, -4).replace(/[X*•]/g, '');
        t.is(visible, '', `mask ${masked} shows nothing but the last four`);
        for (let i = 0; i + 5 <= result.normalized.length - 4; i++) {
          t.false(compact.includes(result.normalized.slice(i, i + 5)), `mask ${masked} leaks part of the number`);
        }
      }
    }
  });

  test('contract: refuses each invalid sample with a reason', async (t) => {
    const verifier = await make();
    for (const [type, { invalid }] of Object.entries(samples)) {
      t.true(invalid.length > 0, `invalid samples for ${type}`);
      for (const input of invalid) {
        const result = verifier.validate(type, input);
        t.false(result.valid, `${type} ${input} must be refused`);
        if (!result.valid) t.truthy(result.reason);
      }
    }
  });

  test('contract: never throws on garbage and never accepts it', async (t) => {
    const verifier = await make();
    for (const type of [...verifier.documentTypes().map((d) => d.code), 'no-such-type']) {
      for (const input of GARBAGE) {
        let result: ValidationResult | undefined;
        t.notThrows(() => {
          result = verifier.validate(type, input as string);
        });
        t.false(result?.valid ?? true, `${type} must refuse ${String(input).slice(0, 20)}`);
      }
    }
  });

  test('contract: an unknown document type is refused as unknown-type', async (t) => {
    const verifier = await make();
    t.deepEqual(verifier.validate('no-such-type', '123456789012'), { valid: false, reason: 'unknown-type' });
  });
}
