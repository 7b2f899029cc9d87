import type { TestFn } from 'ava';
import fc from 'fast-check';
import { type IdVerifier, type IdVerifierPlugin, INVALID_REASONS, type ValidationResult } from '../kinds/id-verifier.js';
import { testContext } from './context.js';
import { HangingPeer } from './peers.js';

/** Options of {@link idVerifierContract}. */
export interface IdVerifierKitOptions<Config> {
  /** The plugin under test: the module's default export. */
  plugin: IdVerifierPlugin<Config>;
  /** A config a tenant could give it (validated against the manifest's configSchema by the manifest kit, not here). */
  config: Config;
  /**
   * Per document type code: numbers that must be accepted, and numbers that must be refused. Give
   * every kind of mistake people make: a wrong check digit, one digit too few or too many,
   * letters where digits go, an impossible date. Each type needs at least one of each.
   */
  samples: Record<string, { valid: string[]; invalid: string[] }>;
  /**
   * For a verifier that can ask a registry online (`verifyOnline`): how to point it at a registry.
   * The kit starts a registry that accepts connections and never answers, and checks that
   * `verifyOnline` settles within `deadlineMs` as `unavailable` (try later), without rejecting and
   * without logging the number. Required when the verifier made from `config` has `verifyOnline`.
   */
  registry?: {
    /** The plugin config pointing at `url`, with the plugin's own timeout (and retries) set. */
    config: (url: string) => Config;
    /** Longest time one `verifyOnline` may take: the configured timeout × attempts, plus back-off and slack. */
    deadlineMs: number;
  };
  /** Random inputs tried per document type by the garbage property (default 300). */
  fuzzRuns?: number;
}

/** Inputs people (and attackers) send that must never make a verifier throw or accept. */
const GARBAGE: unknown[] = [
  '',
  '   ',
  'null',
  '0',
  '-',
  '\u0000\u0000',
  '\u202e1234',
  '١٢٣٤٥٦٧٨٩٠١٢', // Arabic-Indic digits
  '१२३४५६७८९०१२', // Devanagari digits
  '💉💉💉',
  'x'.repeat(10_000),
  '9'.repeat(10_000),
  '9'.repeat(1_000_000),
  "1' OR '1'='1",
  '<script>alert(1)</script>',
  undefined,
  null,
  Number.NaN,
  123456789012,
  -1,
  12345678901234567890n,
  true,
  Symbol('id'),
  {},
  { toString: () => '123456789012' },
  [],
  ['123456789012'],
  () => '123456789012',
];

const REASONS = new Set<string>(INVALID_REASONS);

/** True when the result has the shape the contract promises (and a reason core knows). */
function wellFormed(result: unknown): result is ValidationResult {
  if (!result || typeof result !== 'object') return false;
  const r = result as { valid?: unknown; normalized?: unknown; reason?: unknown };
  if (r.valid === true) return typeof r.normalized === 'string' && r.normalized !== '';
  return r.valid === false && typeof r.reason === 'string' && REASONS.has(r.reason);
}

/** Every run of 5 characters of the number (or the whole of a shorter one): none may leak. */
function fragments(normalized: string): string[] {
  const compact = normalized.replace(/[^0-9A-Za-z]/g, '');
  if (compact.length < 5) return compact ? [compact] : [];
  const out: string[] = [];
  for (let i = 0; i + 5 <= compact.length; i++) out.push(compact.slice(i, i + 5));
  return out;
}

/** `text` with separators removed, so `1234 5678` is caught as `12345678` too. */
const squeeze = (text: string) => text.replace(/[^0-9A-Za-z]/g, '');

/**
 * The contract every ID-verification plugin must pass. Call it from the plugin's own test file;
 * it registers ava tests named `contract: …`.
 *
 * It checks that the verifier declares its document types with an English label and an example
 * that validates; accepts the valid samples, normalising idempotently; refuses each invalid sample
 * with a known reason; never throws on, and never accepts, garbage (a fixed list plus random
 * strings, Unicode and values of every JS type, with fast-check); masks to at most the last four
 * characters; never puts the number in a result, a log line or an error; and, with `registry`,
 * gives up on a registry that never answers within the deadline, as `unavailable`.
 *
 * @example
 * ```ts
 * import test from 'ava';
 * import { idVerifierContract } from '@teeka/plugin-sdk/testing';
 * import plugin from '../src/index.js';
 *
 * idVerifierContract(test, {
 *   plugin,
 *   config: {},
 *   samples: { 'ke-nid': { valid: ['12345674'], invalid: ['12345675', '1234567'] } },
 * });
 * ```
 */
export function idVerifierContract<Config>(test: TestFn, options: IdVerifierKitOptions<Config>): void {
  const { plugin, config, samples } = options;
  const created: IdVerifier[] = [];
  const make = async (withConfig: Config = config) => {
    const context = testContext(withConfig);
    const verifier = await plugin.create(context);
    created.push(verifier);
    return { verifier, logger: context.logger };
  };
  test.after.always(async () => {
    for (const verifier of created) await verifier.close?.();
  });

  test('contract: declares document types with unique codes, a label in English and a valid example', async (t) => {
    const { verifier } = await make();
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
    const { verifier } = await make();
    for (const [type, { valid }] of Object.entries(samples)) {
      t.true(valid.length > 0, `valid samples for ${type}`);
      for (const input of valid) {
        const result = verifier.validate(type, input);
        if (!result.valid) {
          t.fail(`${type} ${input} refused: ${result.reason}`);
          continue;
        }
        t.true(wellFormed(result), `${type} result has the promised shape`);
        t.deepEqual(verifier.validate(type, result.normalized), result, 'normalised form validates to itself');
        const masked = verifier.mask(type, result.normalized);
        t.is(typeof masked, 'string');
        t.true(masked.endsWith(result.normalized.slice(-4)), 'mask keeps the last four');
        // Hidden characters are shown as X (or *, •): whatever else is alphanumeric is visible.
        const compact = masked.replace(/[^0-9A-Za-z*•]/g, '');
        const visible = compact.slice(0, -4).replace(/[X*•]/g, '');
        t.is(visible, '', `mask ${masked} shows nothing but the last four`);
        for (const fragment of fragments(result.normalized)) {
          t.false(squeeze(masked).includes(fragment), `mask ${masked} leaks part of the number`);
        }
      }
    }
  });

  test('contract: refuses each invalid sample with a known reason, and the result does not repeat the number', async (t) => {
    const { verifier } = await make();
    for (const [type, { invalid }] of Object.entries(samples)) {
      t.true(invalid.length > 0, `invalid samples for ${type}`);
      for (const input of invalid) {
        const result = verifier.validate(type, input);
        t.false(result.valid, `${type} ${input} must be refused`);
        t.true(wellFormed(result), `${type} ${input}: reason must be one of ${INVALID_REASONS.join(', ')}, got ${JSON.stringify(result)}`);
        const said = squeeze(JSON.stringify(result));
        for (const fragment of fragments(input)) t.false(said.includes(fragment), `the refusal of ${type} ${input} repeats the number`);
      }
    }
  });

  test('contract: never throws on garbage and never accepts it', async (t) => {
    const { verifier } = await make();
    for (const type of [...verifier.documentTypes().map((d) => d.code), 'no-such-type']) {
      for (const input of GARBAGE) {
        let result: ValidationResult | undefined;
        t.notThrows(
          () => {
            result = verifier.validate(type, input as string);
          },
          `${type} threw on ${typeof input}`,
        );
        t.false(
          result?.valid ?? true,
          `${type} must refuse ${typeof input === 'string' ? JSON.stringify(input.slice(0, 20)) : `a value of type ${typeof input}`}`,
        );
        t.true(wellFormed(result), `${type}: a well-formed refusal for ${typeof input}`);
      }
    }
  });

  test('contract: random input never makes validate or mask throw, and what it accepts is canonical (fast-check)', async (t) => {
    const { verifier } = await make();
    const input = fc.oneof(
      // Any code points, lone surrogates included (cheaper than fc.string's `binary` unit, which builds a table first).
      fc.array(fc.integer({ min: 0, max: 0x10ffff }), { maxLength: 64 }).map((points) => String.fromCodePoint(...points)),
      fc.string({ unit: 'grapheme', maxLength: 32 }),
      fc.stringMatching(/^[0-9 \-A-Z]{0,24}$/),
      fc.anything(),
    );
    for (const type of verifier.documentTypes().map((d) => d.code)) {
      fc.assert(
        fc.property(input, (value) => {
          const result = verifier.validate(type, value as string);
          if (!wellFormed(result)) return false;
          if (result.valid && JSON.stringify(verifier.validate(type, result.normalized)) !== JSON.stringify(result)) return false;
          return typeof verifier.mask(type, typeof value === 'string' ? value : '') === 'string';
        }),
        { numRuns: options.fuzzRuns ?? 300 },
      );
      t.pass(`${type} survived ${options.fuzzRuns ?? 300} random inputs`);
    }
  });

  test('contract: an unknown document type is refused as unknown-type', async (t) => {
    const { verifier } = await make();
    t.deepEqual(verifier.validate('no-such-type', '123456789012'), { valid: false, reason: 'unknown-type' });
  });

  test('contract: nothing it logs holds a number it was given', async (t) => {
    const { verifier, logger } = await make();
    const numbers: string[] = [];
    for (const [type, { valid, invalid }] of Object.entries(samples)) {
      for (const input of [...valid, ...invalid]) {
        numbers.push(input);
        const result = verifier.validate(type, input);
        if (result.valid) verifier.mask(type, result.normalized);
      }
    }
    const logged = squeeze(JSON.stringify(logger.lines));
    for (const number of numbers)
      for (const fragment of fragments(number)) t.false(logged.includes(fragment), `a log line holds ${number}`);
    t.pass();
  });

  test('contract: a registry that never answers gives "unavailable" within the deadline', async (t) => {
    const { verifier: plain } = await make();
    if (!options.registry) {
      t.falsy(plain.verifyOnline, 'this verifier checks online: give the kit `registry` options so it can test a hung registry');
      return;
    }
    const peer = await HangingPeer.start();
    try {
      const { verifier, logger } = await make(options.registry.config(peer.url));
      const online = verifier.documentTypes().filter((type) => type.onlineVerification);
      t.truthy(verifier.verifyOnline, 'with a registry configured, the verifier has verifyOnline');
      t.true(online.length > 0, 'with a registry configured, some document type says onlineVerification');
      for (const type of online) {
        const sample = samples[type.code]?.valid[0];
        const checked = sample === undefined ? undefined : verifier.validate(type.code, sample);
        if (!checked?.valid) {
          t.fail(`a valid sample for ${type.code}`);
          continue;
        }
        const started = Date.now();
        let deadline: NodeJS.Timeout | undefined;
        const outcome = await Promise.race([
          verifier.verifyOnline!(type.code, checked.normalized, { name: 'Kit Person', birthYear: 1990 }).then(
            (result) => ({ result }),
            (error: unknown) => ({ error }),
          ),
          new Promise<'hung'>((resolve) => {
            deadline = setTimeout(() => resolve('hung'), options.registry!.deadlineMs + 2000);
          }),
        ]);
        clearTimeout(deadline);
        const elapsed = Date.now() - started;
        if (outcome === 'hung') {
          t.fail(`verifyOnline(${type.code}) still pending ${elapsed} ms after a registry that never answers`);
          continue;
        }
        t.false('error' in outcome, `verifyOnline(${type.code}) must resolve, not reject`);
        if ('result' in outcome) t.is(outcome.result.status, 'unavailable', `${type.code}: a hung registry means try later`);
        t.true(
          elapsed <= options.registry.deadlineMs,
          `${type.code}: settled in ${elapsed} ms, deadline ${options.registry.deadlineMs} ms`,
        );
        const logged = squeeze(JSON.stringify(logger.lines));
        for (const fragment of fragments(checked.normalized)) t.false(logged.includes(fragment), 'a log line holds the number');
      }
      t.true(peer.connections > 0, 'the verifier did try the registry');
    } finally {
      await peer.stop();
    }
  });
}
