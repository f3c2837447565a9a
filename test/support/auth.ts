import { sendOtp, verifyOtp } from '@app/sdk';
import { randomInt } from 'node:crypto';
import { sdkClient } from './sdk';

/** A valid, practically unique Indian mobile number in E.164 (+91 and ten digits starting with 9). */
export function uniqueMobile(): string {
  return `+919${String(randomInt(0, 1_000_000_000)).padStart(9, '0')}`;
}

export interface SignedIn {
  accessToken: string;
  refreshToken: string;
  mobile: string;
  user: { id: string; tier: string };
}

export async function postJson(url: string, body: unknown, accessToken?: string): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}),
    },
    body: JSON.stringify(body),
  });
}

/** Logs in (registering on first use) through send-otp and verify-otp, as a client would. */
export async function signIn(apiUrl: string, mobile = uniqueMobile()): Promise<SignedIn> {
  const sent = await postJson(`${apiUrl}/auth/send-otp`, { mobile });
  if (sent.status !== 200) throw new Error(`send-otp answered ${sent.status}: ${await sent.text()}`);
  const issued = (await sent.json()) as { otp: string };
  const response = await postJson(`${apiUrl}/auth/verify-otp`, { mobile, otp: issued.otp });
  if (response.status !== 200)
    throw new Error(`verify-otp answered ${response.status}: ${await response.text()}`);
  return { ...((await response.json()) as Omit<SignedIn, 'mobile'>), mobile };
}
