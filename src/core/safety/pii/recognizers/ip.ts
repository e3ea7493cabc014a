import type { AnalysisContext, Finding, Recognizer } from '../types.js';
import { parseIPv4, parseIPv6 } from '../ip.js';
import { boundaryAfter, isAlnum, isDigit, isHexDigit } from '../text.js';

/**
 * IPv4 and IPv6 addresses. Candidates are maximal runs of address characters at token
 * boundaries; the RFC grammars in ../ip.ts decide. A run with more than four dotted numbers
 * ("1.2.3.4.5"), or one glued to letters ("v1.2.3.4"), is not an address. Hosts written right
 * after '://' belong to the URL recognizer.
 */
export class IpRecognizer implements Recognizer {
  readonly name = 'IpRecognizer';
  readonly entities = ['IP_ADDRESS'] as const;
  readonly context = [
    'ip',
    'ipv4',
    'ipv6',
    'address',
    'host',
    'server',
    'client',
    'gateway',
    'login from',
    'connected',
  ];
  readonly negativeContext = [
    'version',
    'ver',
    'release',
    'build',
    'firmware',
    'section',
    'chapter',
    'clause',
    'figure',
    'table',
    'step',
    'oid',
  ];

  analyze(text: string, _context: AnalysisContext): Finding[] {
    const out: Finding[] = [];
    let i = 0;
    while (i < text.length) {
      const ch = text[i]!;
      const prev = text[i - 1];
      const startsRun =
        (isHexDigit(ch) || ch === ':') && !isAlnum(prev) && prev !== '.' && prev !== ':' && prev !== '-';
      if (!startsRun) {
        i++;
        continue;
      }
      let e = i;
      while (e < text.length && (isHexDigit(text[e]) || text[e] === ':' || text[e] === '.')) e++;
      // RFC 4007 zone index: '%' and an interface name.
      if (text[e] === '%' && isAlnum(text[e + 1])) {
        e++;
        while (e < text.length && (isAlnum(text[e]) || text[e] === '_' || text[e] === '-' || text[e] === '.'))
          e++;
      }
      const finding = this.classify(text, i, e);
      if (finding !== undefined) out.push(finding);
      i = e > i ? e : i + 1;
    }
    return out;
  }

  private classify(text: string, start: number, runEnd: number): Finding | undefined {
    if (!boundaryAfter(text, runEnd)) return undefined;
    const afterScheme = text.slice(Math.max(0, start - 4), start);
    if (afterScheme.endsWith('://') || afterScheme.endsWith('://[')) return undefined;
    // Sentence punctuation may end the run ("… from 10.0.0.1." / "… was ::1:"), try without it.
    let end = runEnd;
    for (let attempt = 0; attempt < 2 && end > start; attempt++) {
      const candidate = text.slice(start, end);
      const port = /^([0-9.]+):(\d{1,5})$/.exec(candidate);
      if (port !== null && parseIPv4(port[1]!) !== undefined) {
        // "10.0.0.1:8080": the address is the part before the port.
        const addrEnd = start + port[1]!.length;
        return {
          entity: 'IP_ADDRESS',
          start,
          end: addrEnd,
          score: 0.8,
          recognizer: this.name,
          explanation: 'IPv4 with port',
        };
      }
      if (candidate.includes(':')) {
        const groups = parseIPv6(candidate);
        if (groups !== undefined && this.isPlausibleV6(candidate)) {
          return {
            entity: 'IP_ADDRESS',
            start,
            end,
            score: 0.85,
            recognizer: this.name,
            explanation: 'IPv6 grammar',
          };
        }
      } else if (isDigit(candidate[0]) && parseIPv4(candidate) !== undefined) {
        return {
          entity: 'IP_ADDRESS',
          start,
          end,
          score: 0.8,
          recognizer: this.name,
          explanation: 'IPv4 dotted quad',
        };
      }
      const last = text[end - 1];
      if (last !== '.' && last !== ':') return undefined;
      end--;
    }
    return undefined;
  }

  /**
   * '::' alone and bare hex words joined by colons are grammatical but are not addresses in prose:
   * require at least two colons and a digit or a '::'.
   */
  private isPlausibleV6(candidate: string): boolean {
    const colons = candidate.split(':').length - 1;
    return colons >= 2 && candidate !== '::' && (/\d/.test(candidate) || candidate.includes('::'));
  }
}
