import type { AnalysisContext, Finding, Recognizer } from '../types.js';
import { parseIPv4, parseIPv6 } from '../ip.js';
import { isAlnum, isValidHostname } from '../text.js';

const SCHEMES = ['https://', 'http://', 'ftp://', 'ftps://', 'sftp://', 'ws://', 'wss://'];

/** Characters that may appear in a URL as written in prose (RFC 3986 plus '%'). */
const URL_CHAR = /[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]/;
const MAX_URL_LENGTH = 2048;
const TRAILING_PUNCT = new Set(['.', ',', ';', ':', '!', '?', "'", '"']);

/**
 * URLs with an explicit scheme (http, https, ftp, ws …) or starting with 'www.'. The authority is
 * parsed (userinfo, host, port) and the host must be a valid DNS name, IPv4, or bracketed IPv6.
 * Trailing sentence punctuation and unbalanced closing brackets are not part of the URL. Bare
 * domains ("example.com") are not reported: in prose they are far more often product or company
 * names than links to a person.
 */
export class UrlRecognizer implements Recognizer {
  readonly name = 'UrlRecognizer';
  readonly entities = ['URL'] as const;
  readonly context = ['url', 'link', 'website', 'site', 'page', 'visit', 'profile', 'homepage'];

  analyze(text: string, _context: AnalysisContext): Finding[] {
    const out: Finding[] = [];
    const lower = text.toLowerCase();
    let i = 0;
    while (i < text.length) {
      const ch = lower[i];
      if (ch !== 'h' && ch !== 'f' && ch !== 'w' && ch !== 's') {
        i++;
        continue;
      }
      if (isAlnum(text[i - 1]) || text[i - 1] === '@' || text[i - 1] === '.' || text[i - 1] === '/') {
        i++;
        continue;
      }
      const scheme = SCHEMES.find((s) => lower.startsWith(s, i));
      const www = scheme === undefined && lower.startsWith('www.', i);
      if (scheme === undefined && !www) {
        i++;
        continue;
      }
      let e = i + (scheme?.length ?? 0);
      // Bounded so that text made of many URL starts stays linear-ish; real URLs are shorter.
      const limit = Math.min(text.length, i + MAX_URL_LENGTH);
      while (e < limit && URL_CHAR.test(text[e]!)) e++;
      e = this.trimEnd(text, i, e);
      const authorityStart = i + (scheme?.length ?? 0);
      if (this.validAuthority(text.slice(authorityStart, e))) {
        out.push({
          entity: 'URL',
          start: i,
          end: e,
          score: scheme !== undefined ? 0.85 : 0.75,
          recognizer: this.name,
          explanation: scheme !== undefined ? 'scheme and valid host' : "'www.' and valid host",
        });
        i = e;
      } else {
        i++;
      }
    }
    return out;
  }

  /** Drop trailing punctuation and closing brackets that have no opening partner inside. */
  private trimEnd(text: string, start: number, end: number): number {
    const balance = { ')': 0, ']': 0 };
    for (let k = start; k < end; k++) {
      const c = text[k];
      if (c === '(') balance[')']++;
      else if (c === ')') balance[')']--;
      else if (c === '[') balance[']']++;
      else if (c === ']') balance[']']--;
    }
    let e = end;
    while (e > start) {
      const last = text[e - 1]!;
      if (TRAILING_PUNCT.has(last)) {
        e--;
      } else if ((last === ')' || last === ']') && balance[last] < 0) {
        balance[last]++;
        e--;
      } else {
        break;
      }
    }
    return e;
  }

  private validAuthority(rest: string): boolean {
    const authority = rest.slice(0, 512).split(/[/?#]/, 1)[0] ?? '';
    const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
    if (hostPort.startsWith('[')) {
      const close = hostPort.indexOf(']');
      if (close < 0) return false;
      const tail = hostPort.slice(close + 1);
      return parseIPv6(hostPort.slice(1, close)) !== undefined && (tail === '' || /^:\d{1,5}$/.test(tail));
    }
    const colon = hostPort.indexOf(':');
    const host = colon >= 0 ? hostPort.slice(0, colon) : hostPort;
    if (colon >= 0 && !/^\d{1,5}$/.test(hostPort.slice(colon + 1))) return false;
    return isValidHostname(host) || parseIPv4(host) !== undefined || host.toLowerCase() === 'localhost';
  }
}
