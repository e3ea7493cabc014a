/**
 * IP address parsing by grammar (RFC 791 dotted quad, RFC 4291 §2.2 text forms), not by regex:
 * the recognizer extracts a candidate token and these functions decide.
 */

/** Parse a dotted-quad IPv4 address; undefined unless it is exactly four decimal octets 0–255. */
export function parseIPv4(text: string): [number, number, number, number] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const part of parts) {
    if (part.length === 0 || part.length > 3) return undefined;
    // Leading zeros ("010") are octal in some parsers and ambiguous: reject them.
    if (part.length > 1 && part[0] === '0') return undefined;
    let v = 0;
    for (const ch of part) {
      const c = ch.charCodeAt(0);
      if (c < 48 || c > 57) return undefined;
      v = v * 10 + (c - 48);
    }
    if (v > 255) return undefined;
    out.push(v);
  }
  return out as [number, number, number, number];
}

const isHex = (ch: string): boolean => /^[0-9a-fA-F]$/.test(ch);

function parseHextet(group: string): number | undefined {
  if (group.length === 0 || group.length > 4) return undefined;
  for (const ch of group) if (!isHex(ch)) return undefined;
  return parseInt(group, 16);
}

/**
 * Parse an IPv6 address in any RFC 4291 text form (full, '::'-compressed, trailing embedded
 * IPv4) with an optional RFC 4007 zone ('%eth0'). Returns the eight 16-bit groups.
 */
export function parseIPv6(text: string): number[] | undefined {
  let addr = text;
  const pct = addr.indexOf('%');
  if (pct >= 0) {
    const zone = addr.slice(pct + 1);
    if (!/^[0-9A-Za-z_.-]{1,32}$/.test(zone)) return undefined;
    addr = addr.slice(0, pct);
  }
  if (addr.length < 2 || addr.length > 45) return undefined;
  const dbl = addr.indexOf('::');
  if (dbl >= 0 && addr.indexOf('::', dbl + 1) >= 0) return undefined; // at most one '::'

  const parseSide = (side: string, allowV4Tail: boolean): number[] | undefined => {
    if (side === '') return [];
    const groups = side.split(':');
    const out: number[] = [];
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (allowV4Tail && i === groups.length - 1 && g.includes('.')) {
        const v4 = parseIPv4(g);
        if (v4 === undefined) return undefined;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else {
        const v = parseHextet(g);
        if (v === undefined) return undefined;
        out.push(v);
      }
    }
    return out;
  };

  if (dbl < 0) {
    const groups = parseSide(addr, true);
    return groups !== undefined && groups.length === 8 ? groups : undefined;
  }
  const head = parseSide(addr.slice(0, dbl), false);
  const tail = parseSide(addr.slice(dbl + 2), true);
  if (head === undefined || tail === undefined) return undefined;
  // '::' stands for at least one zero group.
  if (head.length + tail.length > 7) return undefined;
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}
