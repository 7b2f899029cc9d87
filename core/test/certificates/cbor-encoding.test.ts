/**
 * The EU DCC's CBOR is written by cbor-x where it writes what cbor2 writes, by cbor2 otherwise
 * (formats/eu-dcc/cose.ts). cbor2 is the reference here: every value, random or edge, must come
 * out byte for byte as cbor2 writes it, whichever library wrote it.
 */
import test from 'ava';
import { encode, Tag } from 'cbor2';
import { cborEncode } from '../../src/certificates/formats/eu-dcc/cose.js';

const reference = (value: unknown) => Buffer.from(encode(value, { rejectUndefined: true })).toString('hex');
const ours = (value: unknown) => Buffer.from(cborEncode(value)).toString('hex');

/** A small deterministic generator (the same values every run, so a failure can be replayed). */
function generator(seed: number) {
  let state = seed;
  const random = () => {
    state = (Math.imul(state, 1103515245) + 12345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  // Lengths either side of each CBOR head size (23/24, 255/256, 65535/65536), in scripts of 1-4 UTF-8 bytes.
  const text = () => {
    const length = pick([0, 1, 23, 24, 25, 255, 256, 300, ...(random() < 0.05 ? [65_535, 65_536] : [])]);
    return pick(['a', 'अ', 'é', '😀', 'ي']).repeat(length).slice(0, length);
  };
  const integer = () =>
    pick([0, 1, 23, 24, 255, 256, 65_535, 65_536, 0xffff_ffff, 0x1_0000_0000, 1_700_000_000, -1, -24, -25, -256, -257, -260, -65_537]);
  const value = (depth: number): unknown => {
    const choice = random();
    if (depth === 0 || choice < 0.3) return random() < 0.5 ? text() : integer();
    if (choice < 0.45) return Array.from({ length: Math.floor(random() * 8) }, () => value(depth - 1));
    if (choice < 0.6)
      return Object.fromEntries(
        Array.from({ length: Math.floor(random() * 8) }, (_, i) => [`${text().slice(0, 5)}${i}`, value(depth - 1)]),
      );
    if (choice < 0.75)
      return new Map(Array.from({ length: Math.floor(random() * 8) }, (_, i) => [random() < 0.5 ? integer() : `k${i}`, value(depth - 1)]));
    if (choice < 0.85) return Uint8Array.from({ length: Math.floor(random() * 300) }, () => Math.floor(random() * 256));
    return pick([true, false, null]);
  };
  return { value, random };
}

test('random values: the same bytes as cbor2', (t) => {
  const { value } = generator(20261207);
  for (let i = 0; i < 1500; i++) {
    const sample = value(4);
    t.is(ours(sample), reference(sample), `value ${i}`);
  }
});

test('what cbor-x would write differently goes to cbor2: lone surrogates, large integers, fractions', (t) => {
  const cases: unknown[] = [
    'a\uD800b', // a lone surrogate: cbor2 writes U+FFFD, cbor-x would write the raw (invalid UTF-8) bytes
    { '\uDC00key': 1 },
    new Map([[1, 'x\uDBFF']]),
    0x1_0000_0000 + 5, // cbor-x writes integers above 32 bits as floats
    Number.MAX_SAFE_INTEGER,
    -0x1_0000_0001,
    1.5,
    0.1,
    -0,
    Number.NaN,
    [1, [2, { deep: 2 ** 40 }]],
    10n ** 20n,
  ];
  for (const sample of cases) t.is(ours(sample), reference(sample));
  t.true(ours('a\uD800b').includes('efbfbd'), 'U+FFFD in place of the lone surrogate');
});

test('undefined anywhere is refused, as cbor2 refuses it', (t) => {
  for (const sample of [undefined, [1, undefined], { a: undefined }, new Map([[1, undefined]])]) {
    t.throws(() => cborEncode(sample));
  }
});

test('COSE_Sign1 tag 18 is its single head byte before the array; other tags go to cbor2', (t) => {
  const sign1 = new Tag(18, [Uint8Array.of(0xa1, 0x01, 0x26), new Map(), Uint8Array.of(1, 2, 3), new Uint8Array(64)]);
  t.is(ours(sign1), reference(sign1));
  t.is(ours(sign1).slice(0, 4), 'd284');
  for (const other of [new Tag(24, Uint8Array.of(1)), new Tag(1, 1_700_000_000), [new Tag(18, [1])], new Tag(18, ['x\uD800'])]) {
    t.is(ours(other), reference(other));
  }
});

test('it answers plain bytes, never a Buffer, so they nest in a value cbor2 writes', (t) => {
  const header = cborEncode(new Map([[1, -7]]));
  t.false(Buffer.isBuffer(header));
  t.true(header instanceof Uint8Array);
  // A lone surrogate sends the outer value to cbor2: the header must still be written as bytes.
  const outer = [header, 'x\uD800'];
  t.is(ours(outer), reference([Uint8Array.from(header), 'x\uD800']));
  t.is(ours(outer).slice(0, 10), '8243a10126');
});

test('the bytes returned are not changed by later encodings', (t) => {
  const first = cborEncode({ name: 'अनन्या', doses: [1, 2, 3] });
  const copy = Buffer.from(first).toString('hex');
  for (let i = 0; i < 10_000; i++) cborEncode({ i, text: 'x'.repeat(i % 300) });
  t.is(Buffer.from(first).toString('hex'), copy);
});
