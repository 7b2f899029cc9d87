import type { ExecutionContext, TestFn } from 'ava';
import type { PluginContext } from '../context.js';
import type { SendResult, SmsGateway, SmsGatewayPlugin } from '../kinds/sms-gateway.js';
import { smsParts } from '../sms.js';
import { testContext } from './context.js';
import { HangingPeer, type PeerAddress, refusingPeer } from './peers.js';

/** Options of {@link smsGatewayContract}. */
export interface SmsGatewayKitOptions<Config> {
  /** The plugin under test: the module's default export. */
  plugin: SmsGatewayPlugin<Config>;
  /** A config pointing at a working peer (a fake SMSC or HTTP API the test started). */
  config: Config;
  /** The rest of the context, e.g. `{ secrets: { password: '…' } }`. */
  context?: Partial<Omit<PluginContext<Config>, 'config' | 'logger'>>;
  /**
   * Returns what actually reached the other side (the SMSC, the HTTP API, the outbox) since the
   * gateway was created, so the kit can check that text arrives intact. Omit only for a gateway
   * with no observable peer.
   */
  received?: (gateway: SmsGateway) => Promise<{ to: string; text: string }[]>;
  /**
   * For a gateway that talks to a peer over the network: how to point it at another one. The kit
   * starts a peer that accepts connections and never answers, and finds a port where connections
   * are refused, and checks that `send` settles within `deadlineMs` as `rejected` and
   * `retryable: true` (core then tries again later), never hanging and never throwing. Leave it out
   * only for a gateway with no peer (an outbox kept in the database).
   */
  unreachable?: {
    /** The plugin config pointing at `peer` (use `peer.url`, or `peer.host` and `peer.port`), with its own timeout set. */
    config: (peer: PeerAddress) => Config;
    /** Longest time one send may take against such a peer: the configured timeout plus slack. */
    deadlineMs: number;
  };
}

/** Texts every gateway must carry intact, with the right part count. */
export const SAMPLE_TEXTS = {
  ascii: 'Your Teeka code is 123456. It expires in 3 minutes.',
  hindi: 'आपका टीका कोड 123456 है। यह 3 मिनट में समाप्त होगा।',
  arabic: 'رمز تيكا الخاص بك هو 123456. تنتهي صلاحيته خلال 3 دقائق.',
  /** GSM 03.38 extension table: each of these takes two septets. */
  gsmExtension: 'Price: 10€ [incl. fees] {ref: ~^|\\}',
  emoji: 'Vaccinated 💉✅ stay safe 🙂',
  long: 'Long message: '.concat('all work and no play makes a long SMS. '.repeat(12)),
  longHindi: 'लंबा संदेश: '.concat('टीकाकरण केंद्र पर अपना पहचान पत्र साथ लाएँ। '.repeat(6)),
};

/**
 * More texts that need several SMS (as do `SAMPLE_TEXTS.long` and `.longHindi`). A gateway sends
 * them as concatenated parts (and says how many in `parts`), or refuses them clearly: `rejected`,
 * `retryable: false`, with a reason.
 */
export const LONG_TEXTS = {
  /** 154 characters but 188 septets: the extension characters push it into two parts. */
  longGsmExtension: '{Teeka} '.concat('[dose 1] '.repeat(16), 'ok'),
  longArabic: 'رسالة طويلة: '.concat('أحضر بطاقة هويتك إلى مركز التطعيم. '.repeat(5)),
  /** 40 emoji are 40 characters but 80 UTF-16 units: two parts, each emoji whole. */
  longEmoji: '💉'.repeat(40),
};

const PHONE = '+919876543210';

/** The phone number in every spelling a log line might use. */
const PHONE_SPELLINGS = [PHONE, PHONE.slice(1), PHONE.slice(3)];

/**
 * The contract every SMS gateway plugin must pass. Call it from the plugin's own test file; it
 * registers ava tests named `contract: …`.
 *
 * It checks that Latin, Devanagari, Arabic, GSM extension characters and emoji arrive intact with
 * the part count `smsParts` gives (GSM-7 or UCS-2, concatenated); that long texts are sent in
 * parts or refused clearly; that the recipient's number is never logged; and, with `unreachable`,
 * that a peer that never answers or refuses connections makes `send` fail as retryable within the
 * deadline.
 *
 * @example
 * ```ts
 * smsGatewayContract(test, {
 *   plugin,
 *   config: { url: fake.url },
 *   received: async () => fake.messages,
 *   unreachable: { config: (peer) => ({ url: peer.url, timeoutMs: 300 }), deadlineMs: 2000 },
 * });
 * ```
 */
export function smsGatewayContract<Config>(test: TestFn, options: SmsGatewayKitOptions<Config>): void {
  const { plugin, config, received } = options;
  const make = async (withConfig: Config = config) => {
    const context = testContext(withConfig, options.context);
    return { gateway: await plugin.create(context), logger: context.logger };
  };

  const noPhoneLogged = (t: ExecutionContext, lines: unknown[]) => {
    const logged = JSON.stringify(lines);
    for (const spelling of PHONE_SPELLINGS) t.false(logged.includes(spelling), 'a log line holds the recipient’s number');
  };

  const sendAndCheck = (name: string, text: string) => {
    const long = smsParts(text).parts > 1;
    test(`contract: ${long ? 'sends in parts or clearly refuses' : 'accepts'} a ${name} message and it arrives intact`, async (t) => {
      const { gateway, logger } = await make();
      try {
        const result = await gateway.send({ to: PHONE, text, reference: `kit-${name}` });
        const expected = smsParts(text);
        if (long && result.status === 'rejected') {
          t.false(result.retryable, 'refusing a long message is final: retrying will not make it shorter');
          t.true(typeof result.reason === 'string' && result.reason.length > 0, 'a refusal says why');
          return;
        }
        t.is(result.status, 'accepted', JSON.stringify(result));
        if (result.status === 'accepted') {
          t.truthy(result.gatewayMessageId);
          t.is(result.parts, expected.parts, `${expected.encoding}, ${expected.units} units: ${expected.parts} part(s)`);
        }
        if (received) {
          const seen = await received(gateway);
          t.true(
            seen.some((m) => m.to === PHONE && m.text === text),
            'the peer received the exact text',
          );
        }
        noPhoneLogged(t, logger.lines);
      } finally {
        await gateway.close?.();
      }
    });
  };
  for (const [name, text] of Object.entries({ ...SAMPLE_TEXTS, ...LONG_TEXTS })) sendAndCheck(name, text);

  test('contract: close can be called and health reports', async (t) => {
    const { gateway } = await make();
    if (gateway.health) t.is(typeof (await gateway.health()).ok, 'boolean');
    await t.notThrowsAsync(async () => gateway.close?.());
  });

  const unreachable = options.unreachable;
  if (!unreachable) return;
  for (const [name, start] of [
    ['never answers', async () => HangingPeer.start()],
    ['refuses connections', async () => ({ ...(await refusingPeer()), stop: async () => {} })],
  ] as const) {
    test(`contract: a peer that ${name} makes send fail as retryable within the deadline`, async (t) => {
      const peer = await start();
      const { gateway, logger } = await make(unreachable.config(peer));
      try {
        const started = Date.now();
        let timer: NodeJS.Timeout | undefined;
        const outcome = await Promise.race([
          gateway.send({ to: PHONE, text: SAMPLE_TEXTS.ascii, reference: 'kit-unreachable' }).then(
            (result: SendResult) => ({ result }),
            (error: unknown) => ({ error }),
          ),
          new Promise<'hung'>((resolve) => {
            timer = setTimeout(() => resolve('hung'), unreachable.deadlineMs + 2000);
          }),
        ]);
        clearTimeout(timer);
        const elapsed = Date.now() - started;
        if (outcome === 'hung') return t.fail(`send still pending ${elapsed} ms later`);
        t.false('error' in outcome, `send must resolve with a result, not throw: ${'error' in outcome ? String(outcome.error) : ''}`);
        if ('result' in outcome) {
          t.like(outcome.result, { status: 'rejected', retryable: true });
          if (outcome.result.status === 'rejected') t.true(outcome.result.reason.length > 0, 'a rejection says why');
        }
        t.true(elapsed <= unreachable.deadlineMs, `settled in ${elapsed} ms, deadline ${unreachable.deadlineMs} ms`);
        noPhoneLogged(t, logger.lines);
      } finally {
        await gateway.close?.();
        await peer.stop();
      }
    });
  }
}
