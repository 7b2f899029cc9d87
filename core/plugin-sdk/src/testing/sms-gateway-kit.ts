import type { TestFn } from 'ava';
import type { PluginContext } from '../context.js';
import type { SmsGateway, SmsGatewayPlugin } from '../kinds/sms-gateway.js';
import { testContext } from './context.js';

export interface SmsGatewayKitOptions<Config> {
  plugin: SmsGatewayPlugin<Config>;
  config: Config;
  context?: Partial<Omit<PluginContext<Config>, 'config' | 'logger'>>;
  /**
   * Returns what actually reached the other side (the SMSC, the HTTP API, the outbox) since the
   * gateway was created, so the kit can check that text arrives intact. Omit only for a gateway
   * with no observable peer.
   */
  received?: (gateway: SmsGateway) => Promise<{ to: string; text: string }[]>;
}

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

/** Contract every SMS gateway plugin must pass: `smsGatewayContract(test, { plugin, config })`. */
export function smsGatewayContract<Config>(test: TestFn, options: SmsGatewayKitOptions<Config>): void {
  const { plugin, config, received } = options;
  const make = async () => plugin.create(testContext(config, options.context));

  for (const [name, text] of Object.entries(SAMPLE_TEXTS)) {
    test(`contract: accepts a ${name} message and it arrives intact`, async (t) => {
      const gateway = await make();
      try {
        const result = await gateway.send({ to: '+919876543210', text, reference: `kit-${name}` });
        t.is(result.status, 'accepted');
        if (result.status === 'accepted') {
          t.truthy(result.gatewayMessageId);
          t.true(result.parts >= 1);
        }
        if (received) {
          const seen = await received(gateway);
          t.true(
            seen.some((m) => m.to === '+919876543210' && m.text === text),
            'the peer received the exact text',
          );
        }
      } finally {
        await gateway.close?.();
      }
    });
  }

  test('contract: close can be called and health reports', async (t) => {
    const gateway = await make();
    if (gateway.health) t.is(typeof (await gateway.health()).ok, 'boolean');
    await t.notThrowsAsync(async () => gateway.close?.());
  });
}
