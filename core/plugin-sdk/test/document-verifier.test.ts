import test from 'ava';
import { type DocumentRule, defineIdVerifier, documentVerifier } from '../src/index.js';
import { idVerifierContract, manifestContract } from '../src/testing/index.js';

const digits =
  (length: number): DocumentRule['validate'] =>
  (input) => {
    if (typeof input !== 'string' || input.trim() === '') return { valid: false, reason: 'empty' };
    const compact = input.replace(/[\s-]/g, '');
    if (!/^\d+$/.test(compact)) return { valid: false, reason: 'format' };
    return compact.length === length ? { valid: true, normalized: compact } : { valid: false, reason: 'length' };
  };

const rules: DocumentRule[] = [
  {
    type: { code: 'six', labelKey: 'six.label', inputMask: '999999', example: '123456' },
    validate: digits(6),
    mask: (n) => `XX${n.slice(-4)}`,
  },
  {
    type: { code: 'eight', labelKey: 'eight.label', inputMask: '99999999', example: '12345678' },
    validate: digits(8),
    mask: (n) => `XXXX${n.slice(-4)}`,
  },
  {
    type: { code: 'buggy', labelKey: 'buggy.label', inputMask: '9', example: '1' },
    validate: (input) => (input === '1' ? { valid: true, normalized: '1' } : JSON.parse('{')),
    mask: () => {
      throw new Error('bug');
    },
  },
];

idVerifierContract(test, {
  plugin: defineIdVerifier({
    resources: { en: { 'six.label': 'Six', 'eight.label': 'Eight', 'buggy.label': 'Buggy' } },
    create: () => documentVerifier(rules),
  }),
  config: {},
  samples: { six: { valid: ['123 456', '000000'], invalid: ['12345', 'abcdef'] }, eight: { valid: ['1234-5678'], invalid: ['123456789'] } },
});

test('a tenant’s list sets the order people see the types in', (t) => {
  t.deepEqual(
    documentVerifier(rules, { enabled: ['eight', 'six', 'nonsense'] })
      .documentTypes()
      .map((type) => type.code),
    ['eight', 'six'],
  );
});

test('a tenant can narrow the document types; others are unknown', (t) => {
  const verifier = documentVerifier(rules, { enabled: ['eight'] });
  t.deepEqual(
    verifier.documentTypes().map((type) => type.code),
    ['eight'],
  );
  t.deepEqual(verifier.validate('six', '123456'), { valid: false, reason: 'unknown-type' });
  t.is(verifier.mask('six', '123456'), 'XXXX');
});

test('a rule that throws is a refusal, never an exception', (t) => {
  const verifier = documentVerifier(rules);
  t.deepEqual(verifier.validate('buggy', 'boom'), { valid: false, reason: 'format' });
  t.is(verifier.mask('buggy', '1'), 'XXXX');
});

test('online checks only for the types the registry covers, and only when configured', async (t) => {
  const asked: string[] = [];
  const verifier = documentVerifier(rules, {
    online: ['eight'],
    verifyOnline: async (type) => {
      asked.push(type);
      return { status: 'verified' };
    },
  });
  t.deepEqual(
    verifier.documentTypes().map((type) => [type.code, type.onlineVerification]),
    [
      ['six', false],
      ['eight', true],
      ['buggy', false],
    ],
  );
  t.deepEqual(await verifier.verifyOnline!('eight', '12345678', {}), { status: 'verified' });
  t.deepEqual(await verifier.verifyOnline!('six', '123456', {}), { status: 'unavailable' });
  t.deepEqual(asked, ['eight']);
  t.is(documentVerifier(rules).verifyOnline, undefined);
});

manifestContract(test, {
  packageJson: new URL('../../../../plugins/aadhaar/package.json', import.meta.url),
  plugin: defineIdVerifier({ create: () => documentVerifier(rules) }),
  validConfigs: [{ documentTypes: ['aadhaar'] }],
  invalidConfigs: [{ documentTypes: ['ration-card'] }, { colour: 'blue' }],
});
