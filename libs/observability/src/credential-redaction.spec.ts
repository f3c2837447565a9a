import { REDACTED, redactCredentials } from './credential-redaction';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl';

describe('redactCredentials', () => {
  it.each([
    ['/user/me?access_token=abc', `/user/me?access_token=${REDACTED}`],
    ['/x?refresh_token=abc&page=2', `/x?refresh_token=${REDACTED}&page=2`],
    ['/x?a=1&token=abc#top', `/x?a=1&token=${REDACTED}#top`],
    ['/x?otp=123456&OTP_CODE=123456', `/x?otp=${REDACTED}&OTP_CODE=${REDACTED}`],
    ['/x?password=hunter2&api_key=k&code=c', `/x?password=${REDACTED}&api_key=${REDACTED}&code=${REDACTED}`],
    ['Cannot GET /chatroom/?Authorization=Bearer%20abc', `Cannot GET /chatroom/?Authorization=${REDACTED}`],
  ])('redacts the credential parameters of %s', (given, expected) => {
    expect(redactCredentials(given)).toBe(expected);
  });

  it('redacts a JWT wherever it is, also outside a known parameter', () => {
    expect(redactCredentials(`/chatroom/${JWT}?jwt=${JWT}`)).toBe(`/chatroom/${REDACTED}?jwt=${REDACTED}`);
  });

  it('leaves other parameters and plain text alone', () => {
    expect(redactCredentials('/chatroom?limit=20&cursor=abc')).toBe('/chatroom?limit=20&cursor=abc');
    expect(redactCredentials('mobile must be a valid phone number')).toBe(
      'mobile must be a valid phone number',
    );
  });
});
