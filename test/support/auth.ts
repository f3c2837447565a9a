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

/** Logs in (registering on first use) through send-otp and verify-otp with the generated SDK, as a client would. */
export async function signIn(apiUrl: string, mobile = uniqueMobile()): Promise<SignedIn> {
  const client = sdkClient(apiUrl);
  const { data: issued } = await sendOtp({ client, body: { mobile }, throwOnError: true });
  if (!issued.otp) throw new Error('send-otp returned no code: is OTP_IN_RESPONSE off?');
  const { data: tokens } = await verifyOtp({ client, body: { mobile, otp: issued.otp }, throwOnError: true });
  return { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, user: tokens.user, mobile };
}
