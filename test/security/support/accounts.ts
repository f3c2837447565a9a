import { postJson, uniqueMobile } from '../../support/auth';

export interface PasswordAccount {
  userId: string;
  mobile: string;
  password: string;
  /** A new session for this account: a fresh access token, as many times as needed (no OTP cooldown). */
  login(): Promise<string>;
}

/** Registers a number (signup, then the code) with a password, so tests can open sessions for one user at will. */
export async function registerWithPassword(apiUrl: string): Promise<PasswordAccount> {
  const mobile = uniqueMobile();
  const password = `pw-${mobile}-long-enough`;
  const signup = await postJson(`${apiUrl}/auth/signup`, { mobile });
  if (signup.status !== 200) throw new Error(`signup answered ${signup.status}: ${await signup.text()}`);
  const { otp } = (await signup.json()) as { otp: string };
  const verified = await postJson(`${apiUrl}/auth/verify-otp`, { mobile, otp, password });
  if (verified.status !== 200)
    throw new Error(`verify-otp answered ${verified.status}: ${await verified.text()}`);
  const { user } = (await verified.json()) as { user: { id: string } };
  return {
    userId: user.id,
    mobile,
    password,
    login: async () => {
      for (let attempt = 1; ; attempt++) {
        const response = await postJson(`${apiUrl}/auth/login`, { mobile, password });
        if (response.status === 200) return ((await response.json()) as { accessToken: string }).accessToken;
        // The per-IP limit on /auth/* is shared with whatever else the suite sends there.
        if (response.status !== 429 || attempt === 3) {
          throw new Error(`login answered ${response.status}: ${await response.text()}`);
        }
        const seconds = Number(response.headers.get('retry-after') ?? 1);
        await new Promise((resolve) => setTimeout(resolve, Math.min(seconds, 60) * 1000));
      }
    },
  };
}
