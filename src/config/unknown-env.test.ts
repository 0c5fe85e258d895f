// ASSAY_* variables nothing reads are named at start-up with the closest setting, and the ones
// Assay does read (settings, the CLI's, secrets, the tests') are not.
import { describe, expect, it } from 'vitest';
import { SETTING_NAMES } from './env.js';
import { unknownVariables } from './unknown-env.js';

describe('unknown ASSAY_* variables', () => {
  it('names misspelt settings with the one meant', () => {
    expect(unknownVariables({ ASSAY_MAX_ROW: '5', ASSAY_ADMIN_TOKN: 'abc', ASSAY_NOTHING_LIKE_IT_AT_ALL: '1', PATH: '/bin' })).toEqual([
      'ASSAY_ADMIN_TOKN is not a setting Assay reads (did you mean ASSAY_ADMIN_TOKEN?); it is ignored',
      'ASSAY_MAX_ROW is not a setting Assay reads (did you mean ASSAY_MAX_ROWS?); it is ignored',
      'ASSAY_NOTHING_LIKE_IT_AT_ALL is not a setting Assay reads; it is ignored',
    ]);
  });

  it('says nothing of the variables Assay reads', () => {
    const env = Object.fromEntries(SETTING_NAMES.map((n) => [n, 'x']));
    Object.assign(env, { ASSAY_ENDPOINT: 'http://a', ASSAY_REQUEST_TIMEOUT: '5', ASSAY_SECRET_TOKEN: 's', ASSAY_SECRET_ORIGINS_TOKEN: 'https://a', ASSAY_TEST_PG_URL: 'postgres://' });
    expect(unknownVariables(env)).toEqual([]);
  });
});
