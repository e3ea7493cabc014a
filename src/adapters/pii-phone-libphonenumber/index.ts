/**
 * PhoneValidator over libphonenumber-js with the full ("max") metadata: exact per-region number
 * patterns, so "valid" means an assignable number of that region, not merely a plausible length.
 */
import { isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { PhoneValidator } from '../../core/safety/pii/types.js';

export class LibphonenumberPhoneValidator implements PhoneValidator {
  validate(
    candidate: string,
    region: string,
  ): { e164: string; region: string; nationalGroups: readonly number[] } | undefined {
    let parsed;
    if (candidate.trimStart().startsWith('+')) {
      // The country calling code decides; the region hint is irrelevant.
      parsed = parsePhoneNumberFromString(candidate, { extract: false });
    } else if (isSupportedCountry(region)) {
      parsed = parsePhoneNumberFromString(candidate, { defaultCountry: region, extract: false });
    } else {
      return undefined;
    }
    if (parsed === undefined || !parsed.isValid()) return undefined;
    const nationalGroups = (parsed.formatNational().match(/\d+/g) ?? []).map((g) => g.length);
    return { e164: parsed.number, region: parsed.country ?? region, nationalGroups };
  }
}
