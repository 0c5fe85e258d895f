// maskCredentials: the one masking of URLs for messages (the CLI's endpoint, DATABASE_URL).
import { describe, expect, it } from 'vitest';
import { maskCredentials } from './mask-credentials.js';

describe('maskCredentials', () => {
  it('hides user and password, and a password parameter', () => {
    expect(maskCredentials('postgres://bob:s3cret@db:5432/assay')).toBe('postgres://***@db:5432/assay');
    expect(maskCredentials('postgresql://db/assay?sslmode=require&password=s3cret')).toBe('postgresql://db/assay?sslmode=require&password=***');
    expect(maskCredentials('https://user:pw@example.com/api?x=1&PASSWORD=a#f')).toBe('https://***@example.com/api?x=1&PASSWORD=***#f');
  });

  it('leaves a URL without credentials as it is', () => {
    expect(maskCredentials('postgres://db:5432/assay')).toBe('postgres://db:5432/assay');
    expect(maskCredentials('http://localhost:5560')).toBe('http://localhost:5560');
    // An @ in the path or query is not a user.
    expect(maskCredentials('http://host/a@b?c=d@e')).toBe('http://host/a@b?c=d@e');
  });

  it('masks text that is not a URL (no scheme)', () => {
    expect(maskCredentials('bob:pw@127.0.0.1')).toBe('***@127.0.0.1');
  });
});
