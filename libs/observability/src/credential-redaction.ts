/** Query parameter names that carry a credential: access_token, refresh_token, otp, otp_code, password, api_key, … */
const CREDENTIAL_PARAMETER =
  /([?&;])([^=&;\s#]*(?:token|otp|passw|secret|key|code|auth|signature|session|credential|cookie)[^=&;\s#]*)=([^&;\s#]*)/gi;
/** A JWT (header.payload.signature, base64url, the header always starting with `{"`), wherever it appears. */
const JWT = /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;

export const REDACTED = '[redacted]';

/**
 * Removes credentials from text that may hold a URL, before it reaches a log line or an error body: the values of
 * credential-like query parameters and any JWT. Clients of the original project sent `?access_token=…`.
 */
export function redactCredentials(text: string): string {
  return text
    .replace(CREDENTIAL_PARAMETER, (_, separator: string, name: string) => `${separator}${name}=${REDACTED}`)
    .replace(JWT, REDACTED);
}
