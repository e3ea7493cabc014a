import { describe, expect, it } from 'vitest';
import type { AnalysisContext, PhoneValidator, Recognizer } from './types.js';
import {
  CreditCardRecognizer,
  CryptoWalletRecognizer,
  DateOfBirthRecognizer,
  EmailRecognizer,
  IbanRecognizer,
  IpRecognizer,
  LocationRecognizer,
  PassportRecognizer,
  PersonRecognizer,
  PhoneRecognizer,
  UrlRecognizer,
  UsSsnRecognizer,
} from './recognizers/index.js';
import { groupingConsistent } from './recognizers/phone.js';
import { parseIPv4, parseIPv6 } from './ip.js';
import { isCalendarDate } from './recognizers/date-of-birth.js';

const ctx: AnalysisContext = { language: 'en', regions: ['US'] };
const found = (r: Recognizer, text: string): string[] =>
  r.analyze(text, ctx).map((f) => text.slice(f.start, f.end));

describe('IP parsing', () => {
  it('parses IPv4 strictly', () => {
    expect(parseIPv4('192.168.0.1')).toEqual([192, 168, 0, 1]);
    expect(parseIPv4('0.0.0.0')).toEqual([0, 0, 0, 0]);
    for (const bad of ['256.1.1.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1..2.3', 'a.b.c.d', '1.2.3.']) {
      expect(parseIPv4(bad)).toBeUndefined();
    }
  });
  it('parses every RFC 4291 text form', () => {
    expect(parseIPv6('2001:db8:0:0:1:0:0:1')).toEqual([0x2001, 0xdb8, 0, 0, 1, 0, 0, 1]);
    expect(parseIPv6('2001:db8::1')).toEqual([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]);
    expect(parseIPv6('::1')).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect(parseIPv6('::')).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(parseIPv6('fe80::1%eth0')).toEqual([0xfe80, 0, 0, 0, 0, 0, 0, 1]);
    expect(parseIPv6('::ffff:192.0.2.128')).toEqual([0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0280]);
    for (const bad of [
      '1::2::3',
      '12:30:45',
      '00:1A:2B:3C:4D:5E',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4:5:6:7::8',
      'g::1',
      '12345::',
      '::1.2.3',
      ':1:2:3:4:5:6:7',
    ]) {
      expect(parseIPv6(bad)).toBeUndefined();
    }
  });
});

describe('EmailRecognizer', () => {
  const r = new EmailRecognizer();
  it('finds pragmatic addresses', () => {
    expect(found(r, 'Mail jane.doe+news@mail.example.co.uk, or j_d@ex-ample.org.')).toEqual([
      'jane.doe+news@mail.example.co.uk',
      'j_d@ex-ample.org',
    ]);
  });
  it('rejects look-alikes', () => {
    expect(
      found(r, 'logo@2x.png user@localhost @handle a@b.c x..y@example.com foo@-bar.com a@b@example.com'),
    ).toEqual([]);
  });
});

describe('CreditCardRecognizer', () => {
  const r = new CreditCardRecognizer();
  it('finds Luhn-valid cards in common layouts', () => {
    expect(
      found(r, 'cards 4111 1111 1111 1111, 5555-5555-5555-4444, 378282246310005 and 3782 822463 10005.'),
    ).toEqual(['4111 1111 1111 1111', '5555-5555-5555-4444', '378282246310005', '3782 822463 10005']);
  });
  it('finds a card inside a longer run of groups', () => {
    expect(found(r, 'ref 1200 4111 1111 1111 1111 end')).toEqual(['4111 1111 1111 1111']);
  });
  it('rejects Luhn failures, mixed separators, glued digits and decimals', () => {
    expect(
      found(
        r,
        'order 4111 1111 1111 1112, 4111-1111 1111-1111, 41111111111111110, 4111111111111111x, 0.4111111111111111',
      ),
    ).toEqual([]);
  });
});

describe('IbanRecognizer', () => {
  const r = new IbanRecognizer();
  it('finds compact, grouped and lower-case IBANs', () => {
    expect(found(r, 'IBAN GB82 WEST 1234 5698 7654 32; de89370400440532013000.')).toEqual([
      'GB82 WEST 1234 5698 7654 32',
      'de89370400440532013000',
    ]);
  });
  it('rejects wrong check digits, lengths and glued text', () => {
    expect(
      found(r, 'GB82WEST12345698765431 GB82WEST123456987654321 XGB82WEST12345698765432 GB82 WEST12 3456'),
    ).toEqual([]);
  });
});

describe('UsSsnRecognizer', () => {
  const r = new UsSsnRecognizer();
  it('scores printed forms above bare digits', () => {
    const out = r.analyze('SSN 536-90-1234, 536 90 1234 and 536901234.', ctx);
    expect(out.map((f) => f.score)).toEqual([0.85, 0.6, 0.3]);
  });
  it('rejects never-issued ranges and longer numbers', () => {
    expect(
      found(r, '000-12-3456 666-12-3456 900-12-3456 123-00-4567 123-45-0000 536-90-1234-5 1536901234'),
    ).toEqual([]);
  });
});

describe('IpRecognizer', () => {
  const r = new IpRecognizer();
  it('finds v4 (with port) and v6 forms', () => {
    expect(
      found(r, 'from 10.0.0.1:8080, 192.168.1.1. and 2001:db8::ff00:42:8329 or fe80::1%eth0; ::1'),
    ).toEqual(['10.0.0.1', '192.168.1.1', '2001:db8::ff00:42:8329', 'fe80::1%eth0', '::1']);
  });
  it('rejects version-like runs, times and MAC addresses', () => {
    expect(found(r, 'v1.2.3.4 1.2.3.4.5 12:30:45 00:1A:2B:3C:4D:5E 999.1.1.1 cafe:babe')).toEqual([]);
  });
  it('leaves URL hosts to the URL recognizer', () => {
    expect(found(r, 'http://10.1.2.3/admin and https://[2001:db8::1]:8443/')).toEqual([]);
  });
});

describe('UrlRecognizer', () => {
  const r = new UrlRecognizer();
  it('finds scheme and www URLs, trimming punctuation', () => {
    expect(
      found(
        r,
        'See https://example.com/a?b=1#c. (www.example.org/x) and http://10.0.0.1:8080/admin, ftp://files.example.net!',
      ),
    ).toEqual([
      'https://example.com/a?b=1#c',
      'www.example.org/x',
      'http://10.0.0.1:8080/admin',
      'ftp://files.example.net',
    ]);
    expect(found(r, 'wiki https://en.wikipedia.org/wiki/Foo_(bar) ok')).toEqual([
      'https://en.wikipedia.org/wiki/Foo_(bar)',
    ]);
    expect(found(r, 'ipv6 http://[2001:db8::1]:8443/x')).toEqual(['http://[2001:db8::1]:8443/x']);
  });
  it('rejects invalid hosts and bare domains', () => {
    expect(
      found(r, 'http://nohost http://-bad-.com example.com https://exa mple.com wwwx.example.com'),
    ).toEqual([]);
  });
});

describe('DateOfBirthRecognizer', () => {
  const r = new DateOfBirthRecognizer();
  it('finds calendar-valid dates in many formats, with a low base score', () => {
    const text =
      '1985-03-12, 12/03/1985, 3/12/1985, 12.03.1985, 12 March 1985, March 12, 1985, 12th of Mar 1985';
    expect(found(r, text)).toHaveLength(7);
    expect(r.analyze(text, ctx).every((f) => f.score < 0.5)).toBe(true);
  });
  it('rejects impossible dates', () => {
    expect(found(r, '1985-02-30, 31/31/1985, 30 February 1985, 1985-13-01, 1.2.3.4')).toEqual([]);
    expect(isCalendarDate(2000, 2, 29)).toBe(true);
    expect(isCalendarDate(1900, 2, 29)).toBe(false);
  });
});

describe('CryptoWalletRecognizer', () => {
  const r = new CryptoWalletRecognizer();
  it('finds checksum-valid addresses and scores single-case ETH lower', () => {
    const text =
      'to 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2, bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4, 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed or 0xde709f2102306220921060314715629080e2fb77';
    const out = r.analyze(text, ctx);
    expect(out.map((f) => f.score)).toEqual([0.95, 0.95, 0.95, 0.6]);
  });
  it('rejects broken checksums', () => {
    expect(
      found(
        r,
        '1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3 bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD',
      ),
    ).toEqual([]);
  });
});

describe('PassportRecognizer', () => {
  const r = new PassportRecognizer();
  it('matches the shapes with a low base score', () => {
    expect(found(r, 'X12345678 123456789 12AB34567 C01X00T47 AB1234567')).toEqual([
      'X12345678',
      '123456789',
      '12AB34567',
      'C01X00T47',
      'AB1234567',
    ]);
    expect(r.analyze('X12345678', ctx)[0]?.score).toBe(0.2);
    expect(found(r, 'AB123456-7 x12345678 ABCDEFGHI 12345')).toEqual([]);
  });
});

describe('PhoneRecognizer', () => {
  // A validator that knows two numbers, to test the recognizer's own logic in isolation.
  const known = new Map([
    ['4155552671', { e164: '+14155552671', region: 'US', nationalGroups: [3, 3, 4] }],
    ['442079460958', { e164: '+442079460958', region: 'GB', nationalGroups: [3, 4, 4] }],
  ]);
  const validator: PhoneValidator = {
    validate: (candidate) => known.get(candidate.replace(/\D/g, '').replace(/^1(?=\d{10}$)/, '')),
  };
  const r = new PhoneRecognizer(validator);
  it('scores by writing style', () => {
    const out = r.analyze('+44 20 7946 0958, (415) 555-2671 and 4155552671', ctx);
    expect(out.map((f) => [f.score, f.start])).toEqual([
      [0.75, 0],
      [0.6, 18],
      [0.4, 37],
    ]);
  });
  it('drops trailing groups that are not part of the number', () => {
    expect(found(r, 'call 415 555 2671 12345 now')).toEqual(['415 555 2671']);
  });
  it('rejects other shapes and inconsistent grouping', () => {
    expect(found(r, '4155-55-2671 415-555-2671x 10.0.0.1 2024-01-02 536-90-1234')).toEqual([]);
    expect(groupingConsistent('(415) 555-2671', [3, 3, 4])).toBe(true);
    expect(groupingConsistent('1-415-555-2671', [3, 3, 4])).toBe(true);
    expect(groupingConsistent('4155-55-2671', [3, 3, 4])).toBe(false);
  });
});

describe('PersonRecognizer', () => {
  const r = new PersonRecognizer();
  it('finds given name + surname, titles and cued names', () => {
    expect(found(r, 'Emma Watson met Dr. Okonkwo, Mrs O’Neill and Vincent van Gogh.')).toEqual([
      'Emma Watson',
      'Okonkwo',
      'O’Neill',
      'Vincent van Gogh',
    ]);
    expect(found(r, 'Signed, Bartholomew Quince')).toEqual(['Bartholomew Quince']);
    expect(found(r, 'John F. Kennedy spoke.')).toEqual(['John F. Kennedy']);
  });
  it('keeps ambiguous words and lone names below the threshold', () => {
    const out = r.analyze('Will you come? May I help? Sarah agreed. John Street is closed.', ctx);
    expect(out.map((f) => f.score).every((s) => s < 0.5)).toBe(true);
  });
});

describe('LocationRecognizer', () => {
  const r = new LocationRecognizer();
  it('prefers the longest phrase and needs a locative word for ambiguous names', () => {
    const out = r.analyze('From New York City to Nice, then Turkey dinner and Paris Hilton; Germany.', ctx);
    expect(
      out
        .filter((f) => f.score >= 0.5)
        .map((f) =>
          'From New York City to Nice, then Turkey dinner and Paris Hilton; Germany.'.slice(f.start, f.end),
        ),
    ).toEqual(['New York City', 'Nice', 'Germany']);
  });
});
