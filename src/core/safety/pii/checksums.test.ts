import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  base58CheckDecode,
  base58CheckEncode,
  base58Decode,
  base58Encode,
  bech32Decode,
  bech32Encode,
  bitcoinBase58AddressValid,
  cardBrand,
  creditCardValid,
  ethAddressCheck,
  ibanCheckDigits,
  ibanValid,
  luhnCheckDigit,
  luhnValid,
  mod97,
  segwitAddressValid,
  ssnValid,
  toEip55Address,
} from './checksums.js';
import { keccak256, sha256, sha3_256 } from './hashes.js';
import { fromBase64Url, fromHex, toBase64, toBase64Url, toHex } from './encoding.js';

const hex = (b: Uint8Array): string => toHex(b);
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('SHA-256 (FIPS 180-4 examples)', () => {
  it('matches the published digests', () => {
    expect(hex(sha256(ascii('')))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(hex(sha256(ascii('abc')))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(hex(sha256(ascii('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')))).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
  });
  it('agrees with node:crypto on any length (padding edge cases)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (data) => {
        expect(hex(sha256(data))).toBe(createHash('sha256').update(data).digest('hex'));
      }),
      { numRuns: 200 },
    );
  });
});

describe('Keccak-256 / SHA3-256', () => {
  it('matches Ethereum known answers', () => {
    expect(hex(keccak256(ascii('')))).toBe(
      'c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470',
    );
    expect(hex(keccak256(ascii('abc')))).toBe(
      '4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45',
    );
    expect(hex(keccak256(ascii('The quick brown fox jumps over the lazy dog')))).toBe(
      '4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15',
    );
  });
  it('the same permutation with SHA3 padding agrees with node:crypto, across block boundaries', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 420 }), (data) => {
        expect(hex(sha3_256(data))).toBe(createHash('sha3-256').update(data).digest('hex'));
      }),
      { numRuns: 150 },
    );
  });
});

describe('Luhn and card brands', () => {
  it('validates the classic examples', () => {
    expect(luhnValid('79927398713')).toBe(true);
    expect(luhnValid('79927398710')).toBe(false);
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(luhnValid('')).toBe(false);
    expect(luhnValid('41x1')).toBe(false);
    expect(luhnCheckDigit('7992739871')).toBe(3);
  });
  it('knows issuer prefixes and lengths', () => {
    expect(cardBrand('4111111111111111')).toBe('visa');
    expect(cardBrand('5555555555554444')).toBe('mastercard');
    expect(cardBrand('2221000000000009')).toBe('mastercard');
    expect(cardBrand('378282246310005')).toBe('amex');
    expect(cardBrand('6011111111111117')).toBe('discover');
    expect(cardBrand('3530111333300000')).toBe('jcb');
    expect(cardBrand('36259600000004')).toBe('diners');
    expect(cardBrand('9111111111111111')).toBeUndefined();
    expect(cardBrand('37828224631000')).toBeUndefined(); // Amex is 15 digits
    expect(creditCardValid('378282246310005')).toBe(true);
    expect(creditCardValid('378282246310006')).toBe(false);
    expect(creditCardValid('1234567812345670')).toBe(false); // Luhn-valid, no issuer
  });
});

describe('IBAN (ISO 13616 mod 97-10)', () => {
  it('accepts the registry examples and rejects altered ones', () => {
    expect(ibanValid('GB82WEST12345698765432')).toBe(true);
    expect(ibanValid('gb82west12345698765432')).toBe(true);
    expect(ibanValid('DE89370400440532013000')).toBe(true);
    expect(ibanValid('FR1420041010050500013M02606')).toBe(true);
    expect(ibanValid('NO9386011117947')).toBe(true);
    expect(ibanValid('GB82WEST12345698765431')).toBe(false); // one digit changed
    expect(ibanValid('GB28WEST12345698765432')).toBe(false); // check digits swapped
    expect(ibanValid('GB82WEST1234569876543')).toBe(false); // wrong length for GB
    expect(ibanValid('XX82WEST12345698765432')).toBe(false); // unknown country
    expect(ibanValid('GB82 WEST 1234 5698 7654 32')).toBe(false); // spaces are the recognizer's job
  });
  it('computes check digits', () => {
    expect(ibanCheckDigits('GB', 'WEST12345698765432')).toBe('82');
    expect(ibanCheckDigits('DE', '370400440532013000')).toBe('89');
    expect(mod97('WEST12345698765432GB82')).toBe(1);
    expect(mod97('12-3')).toBe(-1);
  });
});

describe('US SSN ranges', () => {
  it('applies the never-issued rules', () => {
    expect(ssnValid('536901234')).toBe(true);
    expect(ssnValid('000123456')).toBe(false);
    expect(ssnValid('666123456')).toBe(false);
    expect(ssnValid('900123456')).toBe(false);
    expect(ssnValid('999123456')).toBe(false);
    expect(ssnValid('123001234')).toBe(false);
    expect(ssnValid('123450000')).toBe(false);
    expect(ssnValid('078051120')).toBe(false); // Woolworth wallet specimen
    expect(ssnValid('12345678')).toBe(false);
  });
});

describe('Base58Check (Bitcoin)', () => {
  it('validates known mainnet addresses', () => {
    expect(bitcoinBase58AddressValid('1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2')).toBe(true);
    expect(bitcoinBase58AddressValid('3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy')).toBe(true);
    expect(bitcoinBase58AddressValid('1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa')).toBe(true); // genesis
    expect(bitcoinBase58AddressValid('1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3')).toBe(false);
    expect(bitcoinBase58AddressValid('1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN0')).toBe(false); // '0' not in alphabet
  });
  it('round-trips encode/decode with leading zero bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.nat(3), (body, zeros) => {
        const data = new Uint8Array([...new Array<number>(zeros).fill(0), ...body]);
        expect(base58Decode(base58Encode(data))).toEqual(data);
        expect(base58CheckDecode(base58CheckEncode(data))).toEqual(data);
      }),
    );
    expect(base58Encode(fromHex('000000287fb4cd'))).toBe('111233QC4'); // Bitcoin Core base58 vector
  });
});

describe('bech32 / bech32m (BIP-173, BIP-350)', () => {
  it('accepts the generic checksum vectors', () => {
    expect(bech32Decode('A12UEL5L')?.variant).toBe('bech32');
    expect(bech32Decode('abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw')?.variant).toBe('bech32');
    expect(bech32Decode('split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w')?.variant).toBe(
      'bech32',
    );
    expect(bech32Decode('A1LQFN3A')?.variant).toBe('bech32m');
    expect(bech32Decode('abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx')?.variant).toBe('bech32m');
  });
  it('rejects the invalid vectors', () => {
    expect(bech32Decode('pzry9x0s0muk')).toBeUndefined(); // no separator
    expect(bech32Decode('1pzry9x0s0muk')).toBeUndefined(); // empty HRP
    expect(bech32Decode('x1b4n0q5v')).toBeUndefined(); // invalid data character
    expect(bech32Decode('li1dgmt3')).toBeUndefined(); // checksum too short
    expect(bech32Decode('A1G7SGD8')).toBeUndefined(); // checksum from upper-case HRP
    expect(bech32Decode('a12UEL5L')).toBeUndefined(); // mixed case
    expect(
      bech32Decode(
        'an84characterslonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1569pvx',
      ),
    ).toBeUndefined();
  });
  it('validates segwit addresses', () => {
    expect(segwitAddressValid('BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4')).toBe(true);
    expect(segwitAddressValid('tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7')).toBe(true);
    expect(
      segwitAddressValid('bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y'),
    ).toBe(true);
    expect(segwitAddressValid('BC1SW50QGDZ25J')).toBe(true);
    expect(segwitAddressValid('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5')).toBe(false); // bad checksum
    expect(segwitAddressValid('tc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', ['bc'])).toBe(false);
    // A v0 program encoded with bech32m, and a v1 program with bech32, are both invalid (BIP-350).
    const program = [
      0x75, 0x1e, 0x76, 0xe8, 0x19, 0x91, 0x96, 0xd4, 0x54, 0x94, 0x1c, 0x45, 0xd1, 0xb3, 0xa3, 0x23, 0xf1,
      0x43, 0x3b, 0xd6,
    ];
    const words = (bits: number[]): number[] => {
      const out: number[] = [];
      let acc = 0;
      let n = 0;
      for (const b of bits) {
        acc = (acc << 8) | b;
        n += 8;
        while (n >= 5) {
          n -= 5;
          out.push((acc >> n) & 31);
        }
      }
      if (n > 0) out.push((acc << (5 - n)) & 31);
      return out;
    };
    expect(bech32Encode('bc', [0, ...words(program)], 'bech32')).toBe(
      'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4',
    );
    expect(segwitAddressValid(bech32Encode('bc', [0, ...words(program)], 'bech32m'))).toBe(false);
    expect(segwitAddressValid(bech32Encode('bc', [1, ...words([...program, ...program])], 'bech32'))).toBe(
      false,
    );
  });
});

describe('EIP-55', () => {
  const vectors = [
    '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
    '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359',
    '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB',
    '0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb',
  ];
  it('reproduces the EIP test vectors', () => {
    for (const v of vectors) {
      expect(toEip55Address(v.toLowerCase())).toBe(v);
      expect(ethAddressCheck(v)).toBe('checksum-valid');
    }
  });
  it('treats single-case addresses as unchecked and wrong mixed case as invalid', () => {
    expect(ethAddressCheck('0x52908400098527886E0F7030069857D2E4169EE7')).toBe('no-checksum');
    expect(ethAddressCheck('0xde709f2102306220921060314715629080e2fb77')).toBe('no-checksum');
    expect(ethAddressCheck('0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD')).toBe('invalid');
    expect(ethAddressCheck('0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe')).toBe('invalid');
  });
});

describe('encodings', () => {
  it('base64 / base64url / hex round trips', () => {
    expect(toBase64(ascii('foobar'))).toBe('Zm9vYmFy');
    expect(toBase64(ascii('fo'))).toBe('Zm8=');
    expect(toBase64Url(new Uint8Array([0xfb, 0xff]))).toBe('-_8');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        expect(fromBase64Url(toBase64Url(b))).toEqual(b);
        expect(fromHex(toHex(b))).toEqual(b);
        expect(toBase64(b)).toBe(Buffer.from(b).toString('base64'));
      }),
    );
    expect(() => fromBase64Url('a')).toThrow(/base64url/);
    expect(() => fromBase64Url('ab$d')).toThrow(/base64url/);
    expect(() => fromHex('abc')).toThrow(/hexadecimal/);
  });
});
