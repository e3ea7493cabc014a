import type { AnalysisContext, Finding, Recognizer } from '../types.js';
import { bitcoinBase58AddressValid, ethAddressCheck, segwitAddressValid } from '../checksums.js';
import { isAlnum } from '../text.js';

/**
 * Cryptocurrency wallet addresses, each validated by its own checksum:
 * - Bitcoin legacy P2PKH/P2SH (Base58Check, double SHA-256),
 * - Bitcoin native SegWit (bech32 for v0, bech32m for v1+, BIP-173/350),
 * - Ethereum (EIP-55 mixed-case checksum via Keccak-256). An all-lower or all-upper Ethereum
 *   address carries no checksum (EIP-55 keeps them valid for compatibility): it is reported with
 *   a lower score that a context word ("wallet", "ETH" …) lifts.
 * The scanner looks at each maximal alphanumeric token once.
 */
export class CryptoWalletRecognizer implements Recognizer {
  readonly name = 'CryptoWalletRecognizer';
  readonly entities = ['CRYPTO_WALLET'] as const;
  readonly context = [
    'wallet',
    'bitcoin',
    'btc',
    'ethereum',
    'eth',
    'crypto',
    'address',
    'send',
    'usdt',
    'deposit',
  ];

  analyze(text: string, _context: AnalysisContext): Finding[] {
    const out: Finding[] = [];
    let i = 0;
    while (i < text.length) {
      if (!isAlnum(text[i]) || isAlnum(text[i - 1])) {
        i++;
        continue;
      }
      let e = i;
      while (e < text.length && isAlnum(text[e])) e++;
      const token = text.slice(i, e);
      const found = this.check(token);
      if (found !== undefined) {
        out.push({
          entity: 'CRYPTO_WALLET',
          start: i,
          end: e,
          score: found.score,
          recognizer: this.name,
          explanation: found.how,
        });
      }
      i = e;
    }
    return out;
  }

  private check(token: string): { score: number; how: string } | undefined {
    const n = token.length;
    if (n === 42 && token.startsWith('0x')) {
      const result = ethAddressCheck(token);
      if (result === 'checksum-valid') return { score: 0.95, how: 'Ethereum, EIP-55 checksum valid' };
      if (result === 'no-checksum') return { score: 0.6, how: 'Ethereum format, single case (no checksum)' };
      return undefined;
    }
    if ((token[0] === '1' || token[0] === '3') && n >= 26 && n <= 35) {
      return bitcoinBase58AddressValid(token) ? { score: 0.95, how: 'Bitcoin Base58Check valid' } : undefined;
    }
    const prefix = token.slice(0, 3).toLowerCase();
    if ((prefix === 'bc1' || prefix === 'tb1') && n >= 14 && n <= 90) {
      return segwitAddressValid(token)
        ? { score: 0.95, how: 'Bitcoin SegWit bech32/bech32m valid' }
        : undefined;
    }
    return undefined;
  }
}
