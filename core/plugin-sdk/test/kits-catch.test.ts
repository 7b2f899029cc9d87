import test, { type TestFn } from 'ava';
import {
  type DocumentType,
  defineIdVerifier,
  defineSmsGateway,
  type IdVerifier,
  type PluginContext,
  type SmsGateway,
} from '../src/index.js';
import { FakeIdVerifier, InMemorySmsGateway, idVerifierContract, smsGatewayContract } from '../src/testing/index.js';

// The kits must fail a plugin that gets wrong what integrators get wrong. Each case below runs
// the kit against a plugin with one such bug and registers only the kit tests that must catch it,
// as `test.failing`: these pass only while the kit fails the broken plugin.

/** A `test` for a kit: only titles matching `pattern` are registered, each expected to fail. */
function mustCatch(label: string, pattern: RegExp): TestFn {
  const only = ((title: string, implementation: Parameters<TestFn>[1]) => {
    if (pattern.test(title)) test.failing(`${label} is caught by "${title}"`, implementation as never);
  }) as unknown as TestFn;
  return Object.assign(only, { after: test.after, before: test.before });
}

const TYPE: DocumentType = { code: 'test-id', labelKey: 'testId.label', inputMask: '9999 9999', example: '1234 5645' };
const samples = { 'test-id': { valid: ['1234 5645'], invalid: ['1234 5641', '1234'] } };
type Context = PluginContext<{ url?: string }>;

const verifierWith = (change: (fake: FakeIdVerifier, context: Context) => Partial<IdVerifier>) =>
  defineIdVerifier<{ url?: string }>({
    resources: { en: { 'testId.label': 'Test ID' } },
    create: (context) => {
      const fake = new FakeIdVerifier();
      return {
        documentTypes: () => [TYPE],
        validate: (type, input) => fake.validate(type, input as string),
        mask: (type, normalized) => fake.mask(type, normalized),
        ...change(fake, context),
      };
    },
  });

idVerifierContract(mustCatch('a verifier that throws on a non-string', /never throws on garbage|random input/), {
  plugin: verifierWith((fake) => ({ validate: (type, input) => fake.validate(type, (input as string).trim()) })),
  config: {},
  samples,
});

idVerifierContract(mustCatch('a verifier that logs the number', /nothing it logs/), {
  plugin: verifierWith((fake, context) => ({
    validate: (type, input) => {
      context.logger.info('validating', { input });
      return fake.validate(type, input as string);
    },
  })),
  config: {},
  samples,
});

idVerifierContract(mustCatch('a verifier that invents a reason', /refuses each invalid sample/), {
  plugin: verifierWith((fake) => ({
    validate: (type, input) => {
      const result = fake.validate(type, input as string);
      return result.valid ? result : ({ valid: false, reason: `bad number ${input}` } as never);
    },
  })),
  config: {},
  samples,
});

idVerifierContract(mustCatch('a mask that shows six digits', /masks to the last four/), {
  plugin: verifierWith(() => ({ mask: (_type, normalized) => `XX${normalized.slice(-6)}` })),
  config: {},
  samples,
});

idVerifierContract(mustCatch('a registry call without a timeout', /registry that never answers/), {
  plugin: verifierWith((_fake, context) => ({
    documentTypes: () => [{ ...TYPE, onlineVerification: true }],
    verifyOnline: async () => {
      await fetch(String(context.config.url)).catch(() => undefined);
      return { status: 'verified' };
    },
  })),
  config: {},
  samples,
  registry: { config: (url) => ({ url }), deadlineMs: 300 },
});

const gatewayWith = (change: (inner: InMemorySmsGateway, context: Context) => Partial<SmsGateway>) =>
  defineSmsGateway<{ url?: string }>({
    create: (context) => {
      const inner = new InMemorySmsGateway();
      return Object.assign(inner, change(inner, context));
    },
  });

smsGatewayContract(mustCatch('a gateway that counts characters, not UTF-16 units', /longEmoji/), {
  plugin: gatewayWith((inner) => ({
    send: async (message) => {
      const result = await InMemorySmsGateway.prototype.send.call(inner, message);
      return result.status === 'accepted' ? { ...result, parts: Math.ceil([...message.text].length / 67) } : result;
    },
  })),
  config: {},
});

smsGatewayContract(mustCatch('a gateway that logs the recipient', /a ascii message/), {
  plugin: gatewayWith((inner, context) => ({
    send: async (message) => {
      context.logger.info('sending', { to: message.to });
      return InMemorySmsGateway.prototype.send.call(inner, message);
    },
  })),
  config: {},
});

smsGatewayContract(mustCatch('a gateway that throws or waits forever on a bad peer', /a peer that (never answers|refuses)/), {
  plugin: gatewayWith((inner, context) => ({
    send: async (message) => {
      if (context.config.url) await fetch(context.config.url); // no timeout, and throws when refused
      return InMemorySmsGateway.prototype.send.call(inner, message);
    },
  })),
  config: {},
  unreachable: { config: (peer) => ({ url: peer.url }), deadlineMs: 300 },
});
