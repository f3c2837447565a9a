import { basicCredentialsMatch, bearerTokenMatches } from './operator-credentials';

const TOKEN = 'metrics-token-that-is-at-least-32-characters';
const basic = (credentials: string): string => `Basic ${Buffer.from(credentials).toString('base64')}`;

describe('bearerTokenMatches', () => {
  it('accepts exactly the configured token', () => {
    expect(bearerTokenMatches(`Bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(bearerTokenMatches(`bearer ${TOKEN}`, TOKEN)).toBe(true);
  });

  it('refuses a missing header, another scheme, a prefix of the token and a longer token', () => {
    expect(bearerTokenMatches(undefined, TOKEN)).toBe(false);
    expect(bearerTokenMatches(`Token ${TOKEN}`, TOKEN)).toBe(false);
    expect(bearerTokenMatches(`Bearer ${TOKEN.slice(0, -1)}`, TOKEN)).toBe(false);
    expect(bearerTokenMatches(`Bearer ${TOKEN}x`, TOKEN)).toBe(false);
    expect(bearerTokenMatches(`Bearer ${TOKEN} extra`, TOKEN)).toBe(false);
  });
});

describe('basicCredentialsMatch', () => {
  it('accepts the configured user name and password, including a password with colons', () => {
    expect(basicCredentialsMatch(basic('admin:s3cret:with:colons'), 'admin', 's3cret:with:colons')).toBe(
      true,
    );
  });

  it('refuses a wrong user, a wrong password, no separator and a non-Basic header', () => {
    expect(basicCredentialsMatch(basic('root:pw-long-enough-123'), 'admin', 'pw-long-enough-123')).toBe(
      false,
    );
    expect(basicCredentialsMatch(basic('admin:wrong'), 'admin', 'pw-long-enough-123')).toBe(false);
    expect(basicCredentialsMatch(basic('adminpw-long-enough-123'), 'admin', 'pw-long-enough-123')).toBe(
      false,
    );
    expect(basicCredentialsMatch('Bearer abc', 'admin', 'pw-long-enough-123')).toBe(false);
    expect(basicCredentialsMatch(undefined, 'admin', 'pw-long-enough-123')).toBe(false);
  });
});
