import test from 'ava';
import { parseMobileNumber } from '../../src/registration/phone-numbers.js';

const india = { phone: { region: 'IN', countryCode: '91' } } as Parameters<typeof parseMobileNumber>[1];
const ukraine = { phone: { region: 'UA', countryCode: '380' } } as Parameters<typeof parseMobileNumber>[1];

test('a mobile number as people type it becomes E.164', (t) => {
  for (const typed of ['9876543210', '98765 43210', '+91-98765-43210', '098765 43210', '+91 98765 43210']) {
    t.is(parseMobileNumber(typed, india), '+919876543210', typed);
  }
  t.is(parseMobileNumber('050 123 4567', ukraine), '+380501234567');
});

test('landlines, numbers of other countries, invalid numbers and non-strings are refused', (t) => {
  t.is(parseMobileNumber('011 2345 6789', india), undefined, 'a Delhi landline');
  t.is(parseMobileNumber('+44 7700 900123', india), undefined, 'a British mobile on an Indian tenant');
  t.is(parseMobileNumber('+380 50 123 4567', india), undefined);
  t.is(parseMobileNumber('12345', india), undefined);
  t.is(parseMobileNumber('1234567890', india), undefined, 'ten digits that are no Indian number');
  t.is(parseMobileNumber('44 123 4567', ukraine), undefined, 'a Kyiv landline');
  t.is(parseMobileNumber(`9876543210${' '.repeat(40)}`, india), undefined, 'longer than 40 characters');
  for (const value of [9876543210, null, undefined, ['9876543210'], { mobile: '9876543210' }]) {
    t.is(parseMobileNumber(value, india), undefined, JSON.stringify(value));
  }
});
