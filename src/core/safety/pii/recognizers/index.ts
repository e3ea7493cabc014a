import type { PhoneValidator, Recognizer } from '../types.js';
import { CreditCardRecognizer } from './credit-card.js';
import { CryptoWalletRecognizer } from './crypto-wallet.js';
import { DateOfBirthRecognizer } from './date-of-birth.js';
import { EmailRecognizer } from './email.js';
import { IbanRecognizer } from './iban.js';
import { IpRecognizer } from './ip.js';
import { LocationRecognizer, PersonRecognizer } from './names.js';
import { PassportRecognizer } from './passport.js';
import { PhoneRecognizer } from './phone.js';
import { UsSsnRecognizer } from './ssn.js';
import { UrlRecognizer } from './url.js';

export {
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
};

export interface DefaultRecognizerOptions {
  /**
   * Phone-number metadata. Without it there is no PHONE_NUMBER recognizer: digit shapes alone
   * cannot tell a phone number from an order number with useful precision.
   */
  readonly phoneValidator?: PhoneValidator;
}

/** The built-in recognizers, one per entity type. */
export function defaultRecognizers(options: DefaultRecognizerOptions = {}): Recognizer[] {
  const list: Recognizer[] = [
    new EmailRecognizer(),
    new CreditCardRecognizer(),
    new IbanRecognizer(),
    new UsSsnRecognizer(),
    new IpRecognizer(),
    new UrlRecognizer(),
    new DateOfBirthRecognizer(),
    new CryptoWalletRecognizer(),
    new PassportRecognizer(),
    new PersonRecognizer(),
    new LocationRecognizer(),
  ];
  if (options.phoneValidator !== undefined) list.push(new PhoneRecognizer(options.phoneValidator));
  return list;
}
