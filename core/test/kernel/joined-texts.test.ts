import test from 'ava';
import { concatBytes, isRunOf, JoinedTexts } from '../../src/kernel/cache/joined-texts.js';

/**
 * JoinedTexts (kernel/cache/joined-texts.ts): availability answers are cut from it by byte offsets,
 * so every run must be exactly the texts joined with commas, whatever their script.
 */
const texts = ['{"a":1}', '{"name":"मुंबई"}', '', '{"x":"é, ü"}', '"😀"', '{"b":[1,2]}'];

test('every run of items is the items joined with commas, in bytes, multi-byte scripts included', (t) => {
  const joined = new JoinedTexts(texts);
  for (let from = 0; from <= texts.length; from++) {
    for (let to = from; to <= texts.length; to++) {
      t.is(joined.slice(from, to).toString('utf8'), texts.slice(from, to).join(','), `[${from}, ${to})`);
    }
  }
  t.is(joined.slice(3, 2).length, 0, 'an empty run for a reversed range');
  t.is(new JoinedTexts([]).slice(0, 0).length, 0);
});

test('isRunOf: only the same objects, consecutive and in order, from that index', (t) => {
  const list = [{ n: 0 }, { n: 1 }, { n: 2 }, { n: 3 }];
  t.true(isRunOf(list, list, 0));
  t.true(isRunOf(list.slice(1, 3), list, 1));
  t.true(isRunOf([], list, 4));
  t.false(isRunOf(list.slice(1, 3), list, 0), 'wrong start');
  t.false(isRunOf([list[0], list[2]], list, 0), 'a gap');
  t.false(isRunOf([{ n: 0 }], list, 0), 'an equal copy is not the same object');
  t.false(isRunOf(list.slice(2), list, 3), 'past the end');
  t.false(isRunOf([], list, -1));
});

test('concatBytes writes texts as UTF-8 between buffers, into a copy', (t) => {
  const middle = Buffer.from('"मुंबई"');
  const joined = concatBytes(['{"x":', middle, '}']);
  t.is(joined.toString('utf8'), '{"x":"मुंबई"}');
  joined.fill(0);
  t.is(middle.toString('utf8'), '"मुंबई"', 'a kept buffer is never shared with an answer');
});
