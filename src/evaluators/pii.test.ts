// pii_detection (presidio/pii_detection): every default entity with valid and invalid
// examples from published sources, the off-by-default national ids, context words, overlaps,
// thresholds, skips and settings. Examples marked "Presidio" are the vectors of Microsoft
// Presidio's own recognizer tests (presidio-analyzer/tests/test_<entity>_recognizer.py).
import { describe, expect, it } from 'vitest';
import type { EvaluatorContext, EvaluatorInputs } from '../core/model/results.js';
import { createFakeSandbox } from '../testing/fake-sandbox.js';
import { noModels } from '../testing/no-models.js';
import { ENTITY_KEYS } from './pii-entities.js';
import { piiDetection } from './pii.js';

const context: EvaluatorContext = { row: {}, target: { id: 't', durationMs: 1 }, signal: new AbortController().signal };

function run(inputs: EvaluatorInputs, settings: Record<string, unknown> = {}) {
  return piiDetection.create(piiDetection.settings.parse(settings), { sandbox: createFakeSandbox(), models: noModels }).evaluate(inputs, context);
}

/** Settings with only these entities on. */
const only = (...keys: string[]) => ({ entities: Object.fromEntries(ENTITY_KEYS.map((k) => [k, keys.includes(k)])) });

/** The findings of one text as [label, start, end, likelihood] (likelihood as printed). */
async function findings(text: string, settings: Record<string, unknown> = {}): Promise<[string, number, number, string][]> {
  const result = await run({ output: text }, settings);
  if (result.status !== 'processed') throw new Error(`not processed: ${JSON.stringify(result)}`);
  expect(result.score).toBe(result.passed ? 0 : (result.details?.match(/ at \d+–\d+/g) ?? []).length);
  return [...(result.details ?? '').matchAll(/(\w+) in output at (\d+)–(\d+) \(likelihood ([\d.]+)\)/g)].map((m) => [m[1]!, Number(m[2]), Number(m[3]), m[4]!]);
}

/** Asserts that `text` holds exactly the values listed, found whole and with these likelihoods. */
async function expectFound(text: string, expected: [label: string, value: string, likelihood: string][], settings: Record<string, unknown> = {}) {
  const got = await findings(text, settings);
  expect(got).toEqual(expected.map(([label, value, likelihood]) => [label, text.indexOf(value), text.indexOf(value) + value.length, likelihood]));
}

describe('pii_detection: entities on by default', () => {
  it('credit_card: Luhn-valid card-network test numbers in any grouping; a changed digit is not a card', async () => {
    // Test numbers published by the networks' acquirers (datatrans / Stripe test cards), as in
    // Presidio's test_credit_card_recognizer.py.
    const text = 'Visa 4012888888881881, 4012-8888-8888-1881 and 4012 8888 8888 1881; bad 4012-8888-8888-1882';
    await expectFound(text, [
      ['CREDIT_CARD', '4012888888881881', '1.00'],
      ['CREDIT_CARD', '4012-8888-8888-1881', '1.00'],
      ['CREDIT_CARD', '4012 8888 8888 1881', '1.00'],
    ]);
    for (const card of ['371449635398431', '30569309025904', '6011000400000000', '3528000700000000', '5555555555554444', '4111111111111111']) {
      await expectFound(`card: ${card}`, [['CREDIT_CARD', card, '1.00']]);
    }
    // Presidio: a Diners number failing Luhn, even after the words "credit card".
    expect(await findings('my credit card number is 36168002586008')).toEqual([]);
  });

  it('crypto: Bitcoin base58check and bech32/bech32m addresses with valid checksums; Ethereum by shape', async () => {
    // Presidio's vectors (bitaddress.org), BIP-173's and BIP-350's valid mainnet test vectors.
    const text =
      'P2PKH 16Yeky6GMjeNkAiNcBY7ZhrLoMSgg1BoyZ P2SH 3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy ' +
      'segwit BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4 taproot bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0';
    await expectFound(text, [
      ['CRYPTO', '16Yeky6GMjeNkAiNcBY7ZhrLoMSgg1BoyZ', '1.00'],
      ['CRYPTO', '3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy', '1.00'],
      ['CRYPTO', 'BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4', '1.00'],
      ['CRYPTO', 'bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0', '1.00'],
    ]);
    // Presidio: one character too many; a hash is not an address. One changed character breaks a bech32 checksum.
    expect(await findings('16Yeky6GMjeNkAiNcBY7ZhrLoMSgg1BoyZ2 8f953371d3e85eddb89b05ed6b9e680791055315c73e1025ab5dba7bb2aee189')).toEqual([]);
    expect(await findings('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5')).toEqual([]);
    // EIP-55's example address: no Keccak here, so a shape-only 0.5, raised by "wallet".
    await expectFound('0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', [['CRYPTO', '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', '0.50']]);
    await expectFound('My Ethereum wallet is 0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB', [['CRYPTO', '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB', '0.85']]);
  });

  it('email_address: LangWatch test case and RFC-valid addresses; no TLD, no address', async () => {
    // langevals presidio test_pii_detection: "PII detected: EMAIL_ADDRESS (likelihood: 1.0)".
    const result = await run({ input: 'hey there, my email is foo@bar.com' });
    expect(result).toEqual({ status: 'processed', passed: false, score: 1, details: 'PII detected: EMAIL_ADDRESS in input at 23–34 (likelihood 1.00)' });
    await expectFound('write to first.last+tag@mail.example.co.uk.', [['EMAIL_ADDRESS', 'first.last+tag@mail.example.co.uk', '1.00']]);
    expect(await findings('user@localhost and @handle and a@b')).toEqual([]);
  });

  it('iban_code: IBAN-registry examples, compact or grouped; a wrong check digit is not an IBAN', async () => {
    // SWIFT IBAN registry examples, as in Presidio's test_iban_recognizer.py.
    await expectFound('I want my deposit in DE89370400440532013000 2 days from today.', [['IBAN_CODE', 'DE89370400440532013000', '1.00']]);
    await expectFound('pay GB29 NWBK 6016 1331 9268 19 now', [['IBAN_CODE', 'GB29 NWBK 6016 1331 9268 19', '1.00']]);
    await expectFound('NL91ABNA0417164300', [['IBAN_CODE', 'NL91ABNA0417164300', '1.00']]);
    expect(await findings('GB29 NWBK 6016 1331 9268 10 and DE89 3704 0044 0532 0130 01')).toEqual([]);
  });

  it('ip_address: IPv4 and IPv6 by validation at 0.6, raised by "IP"; versions, times and 256 are not', async () => {
    // RFC 1918 private and RFC 3849 documentation addresses.
    await expectFound('the server 192.168.0.1 and 2001:db8::1', [
      ['IP_ADDRESS', '192.168.0.1', '0.95'],
      ['IP_ADDRESS', '2001:db8::1', '0.60'],
    ]);
    expect(await findings('version 1.2.3 at 10:30:00, not 256.1.1.1 nor ::')).toEqual([]);
  });

  it('phone_number: valid +CC numbers at 0.6; national ones need a context word, as in Presidio', async () => {
    // libphonenumber's example numbers (PhoneNumberUtil.getExampleNumber) for US, GB and FR.
    await expectFound('Reach me on +1 201-555-0123 or +44 121 234 5678', [
      ['PHONE_NUMBER', '+1 201-555-0123', '0.60'],
      ['PHONE_NUMBER', '+44 121 234 5678', '0.60'],
    ]);
    // Presidio scores a nationally written number 0.4, under the default 0.5…
    expect(await findings('(201) 555-0123 or 0121 234 5678')).toEqual([]);
    // …until a context word stands within the five words before it (+0.35).
    await expectFound('Please call me at (201) 555-0123', [['PHONE_NUMBER', '(201) 555-0123', '0.75']]);
    await expectFound('my mobile: 01 23 45 67 89', [['PHONE_NUMBER', '01 23 45 67 89', '0.75']]);
    // No North American number starts its area code with 1; dates, ids and IPs are not numbers.
    const text = 'phone +1 123-456-7890, call on 2024-01-15, number 1234567, 10.20.30.40';
    await expectFound(text, [['IP_ADDRESS', '10.20.30.40', '0.60']]);
  });

  it('medical_license: DEA numbers whose check digit holds; others are not', async () => {
    // Worked examples: takerx.com/verify.html (AP5836727: 5+3+7 + 2·(8+6+2) = 47 → 7) and
    // AJ5184279 (15 + 2·12 = 39 → 9); AB4523763 fails (13 + 2·14 = 41 → 1, not 3).
    await expectFound('DEA AP5836727 and AJ5184279', [
      ['MEDICAL_LICENSE', 'AP5836727', '1.00'],
      ['MEDICAL_LICENSE', 'AJ5184279', '1.00'],
    ]);
    // Presidio: IA… is not a registrant type, N9… has eight digits.
    expect(await findings('AB4523763 IA2341666 N92375416')).toEqual([]);
  });
});

describe('pii_detection: entities off by default', () => {
  it('leaves them alone unless enabled', async () => {
    expect(await findings('NHS 943 476 5919, ABN 51 824 753 556')).toEqual([]);
  });

  it('us_ssn: delimited numbers following the SSA rules at 0.5, bare nine digits only with context', async () => {
    // Presidio's vectors: 078-05-1123 (medium) in three delimiters, 078051121 (weak).
    await expectFound('078-05-1123 078.05.1123 078 05 1123', [
      ['US_SSN', '078-05-1123', '0.50'],
      ['US_SSN', '078.05.1123', '0.50'],
      ['US_SSN', '078 05 1123', '0.50'],
    ], only('us_ssn'));
    expect(await findings('078051121', only('us_ssn'))).toEqual([]);
    expect(await findings('078051121', { ...only('us_ssn'), min_threshold: 0.1 })).toEqual([['US_SSN', 0, 9, '0.10']]);
    // Presidio's rejections: sample numbers, zero groups, area 666, mixed delimiters; 9xx is an ITIN.
    expect(await findings('078-05-1120 000-12-3456 666-12-3456 078-05-0000 078 00 1123 693-09.4444 912-70-1234', { ...only('us_ssn'), min_threshold: 0 })).toEqual([]);
    await expectFound('SSN: 078-05-1123', [['US_SSN', '078-05-1123', '0.85']], only('us_ssn'));
  });

  it('uk_nhs: mod-11 valid numbers; a wrong check digit is not one', async () => {
    // NHS Digital's example 943 476 5919 and Presidio's vectors.
    await expectFound('943 476 5919, 401-023-2137, 221 395 1837, 0032698674 but not 401-023-2138', [
      ['UK_NHS', '943 476 5919', '1.00'],
      ['UK_NHS', '401-023-2137', '1.00'],
      ['UK_NHS', '221 395 1837', '1.00'],
      ['UK_NHS', '0032698674', '1.00'],
    ], only('uk_nhs'));
  });

  it('sg_nric_fin: NRIC/FIN check letters for the S, T, F, G and M series', async () => {
    // Vectors of the idnumbers SGP tests (cross-checked against GovTech FormSG's validator); M1234567K is FormSG's.
    await expectFound('S8076606H S1728872E G4549883U M1234567K not S1179607H or M1234567N', [
      ['SG_NRIC_FIN', 'S8076606H', '1.00'],
      ['SG_NRIC_FIN', 'S1728872E', '1.00'],
      ['SG_NRIC_FIN', 'G4549883U', '1.00'],
      ['SG_NRIC_FIN', 'M1234567K', '1.00'],
    ], only('sg_nric_fin'));
  });

  it('au_abn, au_acn, au_tfn, au_medicare: checksums from the ATO, ASIC and Services Australia', async () => {
    // Presidio's vectors for each.
    const settings = only('au_abn', 'au_acn', 'au_tfn', 'au_medicare');
    await expectFound('ABN 51 824 753 556; ACN 005 499 981; TFN 876 543 210; Medicare 2123 45670 1', [
      ['AU_ABN', '51 824 753 556', '1.00'],
      ['AU_ACN', '005 499 981', '1.00'],
      ['AU_TFN', '876 543 210', '1.00'],
      ['AU_MEDICARE', '2123 45670 1', '1.00'],
    ], settings);
    expect(await findings('52 824 753 556; 824 753 557; 2123 25870 1; 51 824 753 5564', settings)).toEqual([]);
  });

  it('in_aadhaar: Verhoeff-valid, not starting 0/1, not a palindrome', async () => {
    // Presidio's vectors.
    await expectFound('3123 4567 8909, 3998-7654-3211 and 400123456787; not 1234 5678 9012', [
      ['IN_AADHAAR', '3123 4567 8909', '1.00'],
      ['IN_AADHAAR', '3998-7654-3211', '1.00'],
      ['IN_AADHAAR', '400123456787', '1.00'],
    ], only('in_aadhaar'));
  });

  it('format-only ids score by shape and rise next to their context words', async () => {
    // Shapes from the issuers' published formats (no check digit exists for these).
    const settings = only('in_pan', 'in_vehicle_registration', 'in_voter', 'in_passport', 'us_passport', 'us_itin', 'us_bank_number', 'us_driver_license');
    await expectFound('ABCPE1234F and MH 12 AB 1234', [
      ['IN_PAN', 'ABCPE1234F', '0.50'],
      ['IN_VEHICLE_REGISTRATION', 'MH 12 AB 1234', '0.50'],
    ], settings);
    await expectFound('voter id ABC1234567; passport J8369854; ITIN 912-70-1234; bank account 000123456789', [
      ['IN_VOTER', 'ABC1234567', '0.65'],
      ['IN_PASSPORT', 'J8369854', '0.65'],
      ['US_ITIN', '912-70-1234', '0.85'],
      ['US_BANK_NUMBER', '000123456789', '0.65'],
    ], settings);
    expect(await findings('ABC1234567 J8369854 000123456789 C03005988 D1234567', settings)).toEqual([]);
  });
});

describe('pii_detection: results', () => {
  it('checks input and output, counts every finding and never shows the PII itself', async () => {
    const result = await run({ input: 'mail me at jane.doe@example.com', output: 'card 4111 1111 1111 1111, IBAN NL91ABNA0417164300' });
    expect(result).toEqual({
      status: 'processed',
      passed: false,
      score: 3,
      details:
        'PII detected: EMAIL_ADDRESS in input at 11–31 (likelihood 1.00), CREDIT_CARD in output at 5–24 (likelihood 1.00), IBAN_CODE in output at 31–49 (likelihood 1.00)',
    });
    for (const secret of ['jane.doe', '4111', 'NL91']) expect(result.details).not.toContain(secret);
    expect(await run({ input: 'nothing to see', output: 'all clean here' })).toEqual({ status: 'processed', passed: true, score: 0 });
  });

  it('reads escaped line breaks of JSON text as spaces, keeping positions (LangWatch test_keep_jsons_valid)', async () => {
    const text = '{"foo": "bar\\nfoo@bar.com"}';
    await expectFound(text, [['EMAIL_ADDRESS', 'foo@bar.com', '1.00']]);
    expect(await run({ output: { contact: 'foo@bar.com' } })).toMatchObject({ passed: false, score: 1 });
  });

  it('counts one stretch of text once: a 15-digit card is not also a phone number', async () => {
    await expectFound('call 378282246310005', [['CREDIT_CARD', '378282246310005', '1.00']], { min_threshold: 0 });
  });

  it('applies min_threshold to the likelihood', async () => {
    expect(await findings('(201) 555-0123', { min_threshold: 0.4 })).toEqual([['PHONE_NUMBER', 0, 14, '0.40']]);
    expect(await findings('+1 201-555-0123 and a@b.co', { min_threshold: 1 })).toEqual([['EMAIL_ADDRESS', 20, 26, '1.00']]);
  });

  it('notes that person and location need a model, and skips when nothing else is enabled', async () => {
    const note = await run({ output: 'Ada Lovelace lives in London, ada@example.com' }, { entities: { person: true, location: true } });
    expect(note).toMatchObject({ status: 'processed', passed: false, score: 1 });
    expect(note.details).toMatch(/\. location and person need a named-entity model, which Assay does not have offline: not checked$/);
    const skipped = await run({ output: 'Ada Lovelace' }, only('person'));
    expect(skipped).toMatchObject({ status: 'skipped', details: expect.stringMatching(/^person needs a named-entity model/) });
  });

  it('skips missing, empty and over-long inputs', async () => {
    expect(await run({})).toEqual({ status: 'skipped', details: 'input and output are both missing or empty: map at least one of them' });
    expect(await run({ input: '  ', output: null })).toMatchObject({ status: 'skipped' });
    expect(await run({ output: 'x'.repeat(524_289) })).toMatchObject({ status: 'skipped', details: expect.stringContaining('524289 characters') });
  });

  it("has LangWatch's 25 entity switches and defaults, and refuses bad settings with the field's path", () => {
    const defaults = piiDetection.settings.parse({});
    expect(defaults.min_threshold).toBe(0.5);
    expect(Object.keys(defaults.entities)).toEqual([...ENTITY_KEYS]);
    expect(Object.entries(defaults.entities).filter(([, on]) => on).map(([k]) => k)).toEqual(['credit_card', 'crypto', 'email_address', 'iban_code', 'ip_address', 'phone_number', 'medical_license']);
    expect(piiDetection.settings.parse({ entities: { us_ssn: true } }).entities).toMatchObject({ us_ssn: true, credit_card: true });
    const issue = (settings: unknown) => piiDetection.settings.safeParse(settings).error?.issues[0];
    expect(issue({ entities: { credit_cards: true } })).toMatchObject({ path: ['entities'], message: expect.stringContaining('credit_cards') });
    expect(issue({ entities: { email_address: 'yes' } })?.path).toEqual(['entities', 'email_address']);
    expect(issue({ entities: Object.fromEntries(ENTITY_KEYS.map((k) => [k, false])) })).toMatchObject({ path: ['entities'], message: 'enable at least one entity' });
    expect(issue({ min_threshold: 1.5 })?.path).toEqual(['min_threshold']);
  });
});
