import { describe, expect, it } from 'vitest';
import { PhoneRecognizer } from '../../core/safety/pii/recognizers/index.js';
import { LibphonenumberPhoneValidator } from './index.js';

const v = new LibphonenumberPhoneValidator();

describe('LibphonenumberPhoneValidator', () => {
  it('validates international and national numbers', () => {
    expect(v.validate('+44 20 7946 0958', 'US')).toEqual({
      e164: '+442079460958',
      region: 'GB',
      nationalGroups: [3, 4, 4],
    });
    expect(v.validate('(415) 555-2671', 'US')?.e164).toBe('+14155552671');
    expect(v.validate('020 7946 0958', 'GB')?.e164).toBe('+442079460958');
    expect(v.validate('+49 30 901820', 'US')?.region).toBe('DE');
  });
  it('rejects invalid numbers, unknown regions and text around a number', () => {
    expect(v.validate('(123) 456-7890', 'US')).toBeUndefined(); // area codes never start with 1
    expect(v.validate('415 555 2671', 'XX')).toBeUndefined();
    expect(v.validate('call 415 555 2671', 'US')).toBeUndefined();
    expect(v.validate('+999 1234 5678', 'US')).toBeUndefined();
  });
  it('drives the core PhoneRecognizer across regions', () => {
    const r = new PhoneRecognizer(v);
    const text = 'US (415) 555-2671, UK 020 7946 0958, DE +49 30 901820, build 4164-56-1606.';
    const out = r
      .analyze(text, { language: 'en', regions: ['US', 'GB'] })
      .map((f) => text.slice(f.start, f.end));
    expect(out).toEqual(['(415) 555-2671', '020 7946 0958', '+49 30 901820']);
  });
});
