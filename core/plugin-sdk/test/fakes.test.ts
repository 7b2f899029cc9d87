import test from 'ava';
import { defineIdVerifier, defineSmsGateway } from '../src/index.js';
import { FakeIdVerifier, InMemorySmsGateway, idVerifierContract, smsGatewayContract } from '../src/testing/index.js';

// The fakes integrators use in their tests must themselves honour the contracts.
idVerifierContract(test, {
  plugin: defineIdVerifier({
    resources: { en: { 'testId.label': 'Test ID' } },
    create: () => new FakeIdVerifier(),
  }),
  config: {},
  samples: { 'test-id': { valid: ['1234 5645', '00000000'], invalid: ['1234 5641', '1234', 'ABCDEFGH'] } },
});

smsGatewayContract(test, {
  plugin: defineSmsGateway({ create: () => new InMemorySmsGateway() }),
  config: {},
  received: async (gateway) => (await gateway.outbox?.()) ?? [],
});
