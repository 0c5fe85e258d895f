// The pattern tables behind pii_detection (./pii.ts): one or more detectors per LangWatch
// entity key, each a linear-time candidate regex plus a scoring function that validates the
// candidate (checksum, registry rules, a validating library) and returns a confidence, or
// undefined to drop it. The confidences follow Presidio's scale (which LangWatch runs): a
// passed checksum is certain (1.0); an invalid one is no finding at all; shapes without a
// checksum get a lower score that nearby context words raise (see ./pii.ts).
//
// Every quantifier is bounded and every candidate starts at a lookbehind boundary, so a
// 512 KB input cannot make a regex backtrack for long.
import { createHash } from 'node:crypto';
import type cardValidator from 'card-validator';
import type libphonenumber from 'google-libphonenumber';
import { electronicFormatIBAN, isValidIBAN } from 'ibantools';
import type validator from 'validator';
import { lazy } from './lazy.js';

/** LangWatch's 25 entity keys (`presidio/pii_detection` settings), in its order. */
export const ENTITY_KEYS = [
  'credit_card',
  'crypto',
  'email_address',
  'iban_code',
  'ip_address',
  'location',
  'person',
  'phone_number',
  'medical_license',
  'us_bank_number',
  'us_driver_license',
  'us_itin',
  'us_passport',
  'us_ssn',
  'uk_nhs',
  'sg_nric_fin',
  'au_abn',
  'au_acn',
  'au_tfn',
  'au_medicare',
  'in_pan',
  'in_aadhaar',
  'in_vehicle_registration',
  'in_voter',
  'in_passport',
] as const;
export type EntityKey = (typeof ENTITY_KEYS)[number];

/** LangWatch's defaults: the entities that are on unless the settings say otherwise. */
export const DEFAULT_ON: ReadonlySet<EntityKey> = new Set(['credit_card', 'crypto', 'email_address', 'iban_code', 'ip_address', 'phone_number', 'medical_license']);

/** Entities that need a named-entity model; Assay has none offline (reported in details). */
export const NEEDS_MODEL: ReadonlySet<EntityKey> = new Set(['person', 'location']);

/** Confidence tiers (Presidio's scale). */
export const CONFIDENCE = {
  /** A checksum or a validating library accepted the candidate. */
  validated: 1,
  /** Structurally valid, distinctive, but without a checksum (IP addresses, +CC phone numbers). */
  distinctive: 0.6,
  /** A specific official format without a checksum (delimited SSN, PAN, Ethereum address…). */
  medium: 0.5,
  /** A nationally written phone number valid for its region (Presidio's phone score). */
  nationalPhone: 0.4,
  /** A generic shape that many other numbers share: reported only next to context words. */
  weak: 0.3,
  /** Any n-digit number: reported only with context and a lowered min_threshold. */
  veryWeak: 0.1,
} as const;

/** The validating libraries some detectors score with. */
export interface Validators {
  card: typeof cardValidator;
  phone: ReturnType<typeof libphonenumber.PhoneNumberUtil.getInstance>;
  validator: typeof validator;
}

/**
 * google-libphonenumber, validator and card-validator (about 25 MB of RSS and 100 ms together),
 * loaded on the first scan rather than at start-up (see ./lazy.ts).
 */
export const loadValidators = lazy(async (): Promise<Validators> => {
  const [card, phone, v] = await Promise.all([import('card-validator'), import('google-libphonenumber'), import('validator')]);
  return { card: card.default, phone: phone.default.PhoneNumberUtil.getInstance(), validator: v.default };
});

export interface Detector {
  entity: EntityKey;
  /** Presidio's entity name, used in details (`CREDIT_CARD`). */
  label: string;
  /** A global regex; its whole match is the candidate. */
  regex: RegExp;
  /** The candidate's confidence, or undefined when validation rejects it. */
  score(candidate: string, v: Validators): number | undefined;
  /** Lower-case words or phrases that raise a non-validated score when they precede it. */
  context: string[];
}

const digitsOf = (text: string): string => text.replace(/\D/g, '');
const digitArray = (text: string): number[] => [...digitsOf(text)].map(Number);
const validIf = (ok: boolean): number | undefined => (ok ? CONFIDENCE.validated : undefined);

// ---- checksums -------------------------------------------------------------------------------

/** Weighted digit sum. */
const weighted = (digits: number[], weights: number[]): number => weights.reduce((sum, w, i) => sum + w * (digits[i] ?? 0), 0);

/** US DEA registration number: d1+d3+d5 + 2·(d2+d4+d6) ends in d7. */
function deaValid(candidate: string): boolean {
  const d = digitArray(candidate.slice(2));
  return d.length === 7 && (d[0]! + d[2]! + d[4]! + 2 * (d[1]! + d[3]! + d[5]!)) % 10 === d[6];
}

/** NHS number: weights 10…2 on the first nine digits, check digit 11 − (sum mod 11), 11 → 0, 10 invalid. */
function nhsValid(candidate: string): boolean {
  const d = digitArray(candidate);
  const check = 11 - (weighted(d, [10, 9, 8, 7, 6, 5, 4, 3, 2]) % 11);
  return check !== 10 && (check === 11 ? 0 : check) === d[9];
}

/** Singapore NRIC/FIN: weights 2,7,6,5,4,3,2 plus a series offset, a letter per remainder. */
function nricValid(candidate: string): boolean {
  const id = candidate.toUpperCase();
  const sum = weighted(digitArray(id.slice(1, 8)), [2, 7, 6, 5, 4, 3, 2]);
  const series = id[0]!;
  if (series === 'M') return 'KLJNPQRTUWX'[10 - ((sum + 3) % 11)] === id[8];
  const offset = series === 'T' || series === 'G' ? 4 : 0;
  const letters = series === 'S' || series === 'T' ? 'JZIHGFEDCBA' : 'XWUTRQPNMLK';
  return letters[(sum + offset) % 11] === id[8];
}

/** Australian Business Number: first digit − 1, weights 10,1,3,…,19, divisible by 89. */
function abnValid(candidate: string): boolean {
  const d = digitArray(candidate);
  d[0] = d[0]! - 1;
  return d[0] >= 0 && weighted(d, [10, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19]) % 89 === 0;
}

/** Australian Company Number: weights 8…1, check digit (10 − sum mod 10) mod 10. */
function acnValid(candidate: string): boolean {
  const d = digitArray(candidate);
  return (10 - (weighted(d, [8, 7, 6, 5, 4, 3, 2, 1]) % 10)) % 10 === d[8];
}

/** Australian Tax File Number: weights 1,4,3,7,5,8,6,9,10, divisible by 11. */
const tfnValid = (candidate: string): boolean => weighted(digitArray(candidate), [1, 4, 3, 7, 5, 8, 6, 9, 10]) % 11 === 0;

/** Australian Medicare number: weights 1,3,7,9,1,3,7,9 on the first eight digits, mod 10 is the ninth. */
function medicareValid(candidate: string): boolean {
  const d = digitArray(candidate);
  return weighted(d, [1, 3, 7, 9, 1, 3, 7, 9]) % 10 === d[8];
}

// Verhoeff's dihedral-group tables (multiplication and position permutation).
const VERHOEFF_D = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
  [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
  [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
  [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
  [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
  [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
  [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
  [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
  [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
const VERHOEFF_P = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
  [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
  [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
  [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
  [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
  [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
  [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];

/** Aadhaar: Verhoeff-valid and not a palindrome (UIDAI never issues those). */
function aadhaarValid(candidate: string): boolean {
  const digits = digitsOf(candidate);
  if (digits === [...digits].reverse().join('')) return false;
  let c = 0;
  [...digits].reverse().forEach((ch, i) => {
    c = VERHOEFF_D[c]![VERHOEFF_P[i % 8]![Number(ch)]!]!;
  });
  return c === 0;
}

/** US SSN rules: area not 000, 666 or 9xx; group not 00; serial not 0000; no repeated digit or known sample. */
function ssnValid(candidate: string): boolean {
  const d = digitsOf(candidate);
  if (/^(\d)\1{8}$/.test(d)) return false;
  const [area, group, serial] = [d.slice(0, 3), d.slice(3, 5), d.slice(5)];
  if (area === '000' || area === '666' || area.startsWith('9') || group === '00' || serial === '0000') return false;
  // The SSA's advertising samples and the Woolworth wallet card, printed millions of times.
  return !['123456789', '078051120', '219099999'].includes(d) && !d.startsWith('98765432');
}

// ---- crypto addresses ------------------------------------------------------------------------

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/** Base58 to bytes (big-endian), leading '1's kept as zero bytes. */
function base58Decode(text: string): Uint8Array | undefined {
  const little: number[] = [];
  for (const ch of text) {
    let carry = BASE58.indexOf(ch);
    if (carry < 0) return undefined;
    for (let i = 0; i < little.length; i++) {
      carry += little[i]! * 58;
      little[i] = carry & 0xff;
      carry >>= 8;
    }
    for (; carry > 0; carry >>= 8) little.push(carry & 0xff);
  }
  const zeros = /^1*/.exec(text)![0].length;
  return Uint8Array.from([...new Array<number>(zeros).fill(0), ...little.reverse()]);
}

const sha256 = (data: Uint8Array): Buffer => createHash('sha256').update(data).digest();

/** Legacy (P2PKH '1…') and script (P2SH '3…') addresses: 25 bytes ending in a double-SHA-256 checksum. */
function base58CheckValid(address: string): boolean {
  const bytes = base58Decode(address);
  if (bytes?.length !== 25) return false;
  const check = sha256(sha256(bytes.subarray(0, 21)));
  return check.subarray(0, 4).equals(bytes.subarray(21));
}

const BECH32 = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const BECH32_GENERATOR = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

/** SegWit addresses (BIP 173 bech32, BIP 350 bech32m): the polymod over hrp and data is 1 or 0x2bc830a3. */
function bech32Valid(address: string): boolean {
  if (address !== address.toLowerCase() && address !== address.toUpperCase()) return false;
  const lower = address.toLowerCase();
  const split = lower.lastIndexOf('1');
  const hrp = lower.slice(0, split);
  const values = [...[...hrp].map((c) => c.charCodeAt(0) >> 5), 0, ...[...hrp].map((c) => c.charCodeAt(0) & 31)];
  for (const ch of lower.slice(split + 1)) values.push(BECH32.indexOf(ch));
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= BECH32_GENERATOR[i]!;
  }
  chk >>>= 0;
  return chk === 1 || chk === 0x2bc830a3;
}

// ---- phone numbers ---------------------------------------------------------------------------

/**
 * Regions tried for numbers written without +CC: Presidio's default list (US, UK, DE, FR, IL,
 * IN, CA, BR) minus CA, which shares the US numbering plan. A number with a trunk 0 cannot
 * be North American, one without cannot be European, so each shape tries only its regions.
 */
const TRUNK_REGIONS = ['GB', 'DE', 'FR', 'IL', 'IN', 'BR'];
const NO_TRUNK_REGIONS = ['US', 'IN', 'BR'];

const DATE_LIKE = /^(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4})$/;
const DOTTED_QUAD = /^\d{1,3}(?:\.\d{1,3}){3}$/;

function validPhone(phoneUtil: Validators['phone'], text: string, region: string): boolean {
  try {
    return phoneUtil.isValidNumber(phoneUtil.parse(text, region));
  } catch {
    // Not a number libphonenumber can read in this region.
    return false;
  }
}

/** libphonenumber's validity (length and prefixes of a real numbering plan). */
function phoneScore(candidate: string, v: Validators): number | undefined {
  const digits = digitsOf(candidate);
  if (digits.length < 7 || digits.length > 15 || DATE_LIKE.test(candidate) || DOTTED_QUAD.test(candidate)) return undefined;
  if (candidate.startsWith('+')) return validPhone(v.phone, candidate, 'ZZ') ? CONFIDENCE.distinctive : undefined;
  // A bare run of under ten digits is more often an id or an amount than a phone number.
  if (/^\d+$/.test(candidate) && digits.length < 10) return undefined;
  // National formats have at most five groups, none of one digit after the first: a row of
  // small numbers ("12 34 56 78 90 11") is a table, and parsing it in every region is costly.
  const groups = candidate.replace(/[()]/g, ' ').trim().split(/[ .-]+/);
  if (groups.length > 5 || groups.slice(1).some((g) => g.length < 2)) return undefined;
  const trunk = digits.startsWith('0');
  // Without a trunk 0 only the US (10 digits, 11 with its leading 1), India (10) and Brazil (10–11) remain.
  if (!trunk && digits.length !== 10 && digits.length !== 11) return undefined;
  const regions = trunk ? TRUNK_REGIONS : NO_TRUNK_REGIONS;
  return regions.some((r) => validPhone(v.phone, candidate, r)) ? CONFIDENCE.nationalPhone : undefined;
}

// ---- the table -------------------------------------------------------------------------------

/** A boundary that a candidate must not continue across. */
const NOT_AFTER_WORD = '(?<![\\w])';
const NOT_BEFORE_WORD = '(?![\\w])';
const re = (source: string, flags = 'g'): RegExp => new RegExp(source, flags);

/** Indian state and union-territory codes that start a registration plate. */
const IN_STATES =
  'AN|AP|AR|AS|BR|CG|CH|CT|DD|DL|DN|GA|GJ|HP|HR|JH|JK|KA|KL|LA|LD|MH|ML|MN|MP|MZ|NL|OD|OR|PB|PY|RJ|SK|TN|TR|TS|UA|UK|UL|UP|UT|WB';

const PHONE_CONTEXT = ['phone', 'number', 'telephone', 'tel', 'cell', 'cellphone', 'mobile', 'call', 'fax', 'whatsapp'];

export const DETECTORS: readonly Detector[] = [
  {
    entity: 'credit_card',
    label: 'CREDIT_CARD',
    // 13–19 digits written whole, in fours (16, or 19 as 4-4-4-4-3), or as 4-6-4/4-6-5 (Diners, Amex).
    regex: re('(?<![\\d-])(?:\\d{13,19}|\\d{4}([ -])\\d{4}\\1\\d{4}\\1\\d{4}(?:\\1\\d{3})?|\\d{4}([ -])\\d{6}\\2\\d{4,5})(?![\\d-])'),
    // Luhn plus the brand's length (card-validator knows the networks' IIN ranges).
    score: (c, v) => validIf(v.card.number(digitsOf(c)).isValid),
    context: [],
  },
  {
    entity: 'crypto',
    label: 'CRYPTO',
    regex: re(`${NOT_AFTER_WORD}[13][1-9A-HJ-NP-Za-km-z]{25,34}${NOT_BEFORE_WORD}`),
    score: (c) => validIf(base58CheckValid(c)),
    context: [],
  },
  {
    entity: 'crypto',
    label: 'CRYPTO',
    regex: re(`${NOT_AFTER_WORD}(?:bc1[02-9ac-hj-np-z]{11,71}|BC1[02-9AC-HJ-NP-Z]{11,71})${NOT_BEFORE_WORD}`),
    score: (c) => validIf(bech32Valid(c)),
    context: [],
  },
  {
    entity: 'crypto',
    label: 'CRYPTO',
    // Ethereum: the EIP-55 mixed-case checksum needs Keccak-256, which node:crypto lacks.
    regex: re(`${NOT_AFTER_WORD}0x[0-9a-fA-F]{40}${NOT_BEFORE_WORD}`),
    score: () => CONFIDENCE.medium,
    context: ['wallet', 'crypto', 'eth', 'ethereum', 'address'],
  },
  {
    entity: 'email_address',
    label: 'EMAIL_ADDRESS',
    regex: re('(?<![\\w.%+-])[\\w.%+-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?){1,8}'),
    score: (c, v) => validIf(v.validator.isEmail(c)),
    context: [],
  },
  {
    entity: 'iban_code',
    label: 'IBAN_CODE',
    regex: re('(?<![A-Za-z0-9])[A-Z]{2}\\d{2}(?:[ -]?[A-Z0-9]{4}){2,7}(?:[ -]?[A-Z0-9]{1,3})?(?![A-Za-z0-9])'),
    score: (c) => validIf(isValidIBAN(electronicFormatIBAN(c) ?? '')),
    context: [],
  },
  {
    entity: 'ip_address',
    label: 'IP_ADDRESS',
    regex: re('(?<!\\d|\\d\\.)(?:\\d{1,3}\\.){3}\\d{1,3}(?!\\d|\\.\\d)'),
    score: (c, v) => (v.validator.isIP(c, 4) ? CONFIDENCE.distinctive : undefined),
    context: ['ip', 'ipv4', 'address', 'host', 'server'],
  },
  {
    entity: 'ip_address',
    label: 'IP_ADDRESS',
    regex: re('(?<![\\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\\w:])'),
    // "::" alone (the unspecified address) and clock times never validate as IPv6 here.
    score: (c, v) => (/[0-9A-Fa-f]/.test(c) && v.validator.isIP(c, 6) ? CONFIDENCE.distinctive : undefined),
    context: ['ip', 'ipv6', 'address', 'host', 'server'],
  },
  {
    entity: 'phone_number',
    label: 'PHONE_NUMBER',
    regex: re('(?<![\\w+])(?:\\+\\d{1,3}[ .-]?)?(?:\\(\\d{1,5}\\)[ .-]?)?\\d[\\d .-]{4,18}\\d(?!\\w)'),
    score: phoneScore,
    context: PHONE_CONTEXT,
  },
  {
    entity: 'medical_license',
    label: 'MEDICAL_LICENSE',
    // US DEA registration: a registrant-type letter, a name letter (or 9), seven digits.
    regex: re(`${NOT_AFTER_WORD}[ABCDEFGHJKLMPRSTUX][A-Z9]\\d{7}${NOT_BEFORE_WORD}`, 'gi'),
    score: (c) => validIf(deaValid(c)),
    context: [],
  },
  {
    entity: 'us_bank_number',
    label: 'US_BANK_NUMBER',
    regex: re('(?<![\\d-])\\d{8,17}(?![\\d-])'),
    score: () => CONFIDENCE.weak,
    context: ['account', 'acct', 'bank', 'checking', 'savings', 'debit', 'routing'],
  },
  {
    entity: 'us_driver_license',
    label: 'US_DRIVER_LICENSE',
    regex: re(`${NOT_AFTER_WORD}(?:[A-Z]\\d{4,14}|[A-Z]{2}\\d{5,7}|\\d{7,9}[A-Z]{1,2})${NOT_BEFORE_WORD}`),
    score: () => CONFIDENCE.weak,
    context: ['driver', 'drivers', 'license', 'licence', 'permit', 'lic', 'dl', 'dls', 'driving', 'identification'],
  },
  {
    entity: 'us_driver_license',
    label: 'US_DRIVER_LICENSE',
    regex: re('(?<![\\d-])\\d{6,14}(?![\\d-])'),
    score: () => CONFIDENCE.veryWeak,
    context: ['driver', 'drivers', 'license', 'licence', 'permit', 'lic', 'dl', 'dls', 'driving'],
  },
  {
    entity: 'us_itin',
    label: 'US_ITIN',
    // IRS: 9XX-[50–65, 70–88, 90–92, 94–99]-XXXX.
    regex: re('(?<![\\d-])9\\d{2}([- ]?)(?:5\\d|6[0-5]|7\\d|8[0-8]|9[0-24-9])\\1\\d{4}(?![\\d-])'),
    score: (c) => (/\d[- ]\d/.test(c) ? CONFIDENCE.medium : CONFIDENCE.weak),
    context: ['itin', 'taxpayer', 'tax', 'tin', 'taxid', 'individual'],
  },
  {
    entity: 'us_passport',
    label: 'US_PASSPORT',
    regex: re(`${NOT_AFTER_WORD}[A-Z]\\d{8}${NOT_BEFORE_WORD}`),
    score: () => CONFIDENCE.weak,
    context: ['passport', 'travel', 'document'],
  },
  {
    entity: 'us_passport',
    label: 'US_PASSPORT',
    regex: re('(?<![\\d-])\\d{9}(?![\\d-])'),
    score: () => CONFIDENCE.veryWeak,
    context: ['passport', 'travel', 'document'],
  },
  {
    entity: 'us_ssn',
    label: 'US_SSN',
    // Same delimiter twice (Presidio drops mixed delimiters too).
    regex: re('(?<![\\d-])\\d{3}([- .])\\d{2}\\1\\d{4}(?![\\d-])'),
    score: (c) => (ssnValid(c) ? CONFIDENCE.medium : undefined),
    context: ['social', 'security', 'ssn', 'ssns', 'ssid'],
  },
  {
    entity: 'us_ssn',
    label: 'US_SSN',
    regex: re('(?<![\\d-])\\d{9}(?![\\d-])'),
    score: (c) => (ssnValid(c) ? CONFIDENCE.veryWeak : undefined),
    context: ['social', 'security', 'ssn', 'ssns', 'ssid'],
  },
  {
    entity: 'uk_nhs',
    label: 'UK_NHS',
    regex: re('(?<![\\d-])\\d{3}([- ]?)\\d{3}\\1\\d{4}(?![\\d-])'),
    score: (c) => validIf(nhsValid(c)),
    context: [],
  },
  {
    entity: 'sg_nric_fin',
    label: 'SG_NRIC_FIN',
    regex: re(`${NOT_AFTER_WORD}[STFGM]\\d{7}[A-Z]${NOT_BEFORE_WORD}`, 'gi'),
    score: (c) => validIf(nricValid(c)),
    context: [],
  },
  {
    entity: 'au_abn',
    label: 'AU_ABN',
    regex: re('(?<!\\d)\\d{2}( ?)\\d{3}\\1\\d{3}\\1\\d{3}(?!\\d)'),
    score: (c) => validIf(abnValid(c)),
    context: [],
  },
  {
    entity: 'au_acn',
    label: 'AU_ACN',
    regex: re('(?<!\\d)\\d{3}( ?)\\d{3}\\1\\d{3}(?!\\d)'),
    score: (c) => validIf(acnValid(c)),
    context: [],
  },
  {
    entity: 'au_tfn',
    label: 'AU_TFN',
    regex: re('(?<!\\d)\\d{3}( ?)\\d{3}\\1\\d{3}(?!\\d)'),
    score: (c) => validIf(tfnValid(c)),
    context: [],
  },
  {
    entity: 'au_medicare',
    label: 'AU_MEDICARE',
    regex: re('(?<!\\d)[2-6]\\d{3}( ?)\\d{5}\\1\\d(?!\\d)'),
    score: (c) => validIf(medicareValid(c)),
    context: [],
  },
  {
    entity: 'in_pan',
    label: 'IN_PAN',
    // Fourth letter: the holder type (P person, C company, H HUF, F firm, A, B, G, J, L, T).
    regex: re(`${NOT_AFTER_WORD}[A-Z]{3}[ABCFGHJLPT][A-Z]\\d{4}[A-Z]${NOT_BEFORE_WORD}`),
    score: () => CONFIDENCE.medium,
    context: ['pan', 'permanent account number', 'income tax'],
  },
  {
    entity: 'in_aadhaar',
    label: 'IN_AADHAAR',
    regex: re('(?<!\\d)[2-9]\\d{3}([ :-]?)\\d{4}\\1\\d{4}(?!\\d)'),
    score: (c) => validIf(aadhaarValid(c)),
    context: [],
  },
  {
    entity: 'in_vehicle_registration',
    label: 'IN_VEHICLE_REGISTRATION',
    regex: re(`${NOT_AFTER_WORD}(?:${IN_STATES})[ -]?\\d{1,2}[ -]?[A-Z]{1,3}[ -]?(?!0000)\\d{4}${NOT_BEFORE_WORD}`),
    score: () => CONFIDENCE.medium,
    context: ['vehicle', 'registration', 'plate', 'rto', 'car'],
  },
  {
    entity: 'in_vehicle_registration',
    label: 'IN_VEHICLE_REGISTRATION',
    // The "Bharat" series: year, BH, four digits, one or two letters (no I or O).
    regex: re(`${NOT_AFTER_WORD}\\d{2}[ -]?BH[ -]?(?!0000)\\d{4}[ -]?[A-HJ-NP-Z]{1,2}${NOT_BEFORE_WORD}`),
    score: () => CONFIDENCE.medium,
    context: ['vehicle', 'registration', 'plate', 'rto', 'car'],
  },
  {
    entity: 'in_voter',
    label: 'IN_VOTER',
    regex: re(`${NOT_AFTER_WORD}[A-Z]{3}\\d{7}${NOT_BEFORE_WORD}`),
    score: () => CONFIDENCE.weak,
    context: ['voter', 'epic', 'elector', 'election'],
  },
  {
    entity: 'in_passport',
    label: 'IN_PASSPORT',
    regex: re(`${NOT_AFTER_WORD}[A-Z][1-9]\\d ?\\d{4}[1-9]${NOT_BEFORE_WORD}`),
    score: () => CONFIDENCE.weak,
    context: ['passport'],
  },
];
