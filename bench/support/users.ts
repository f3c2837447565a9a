import { HttpClient } from './http';

export interface BenchUser {
  token: string;
  userId: string;
  chatroomIds: string[];
}

/** A valid Indian mobile number per index (+91 9XXXXXXXXX), unique within a run. */
const mobileFor = (index: number): string => `+919${String(index).padStart(9, '0')}`;

async function expectStatus<T>(
  promise: Promise<{ status: number; body: T }>,
  status: number,
  what: string,
): Promise<T> {
  const response = await promise;
  if (response.status !== status)
    throw new Error(`${what}: expected ${status}, got ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

/** Logs in (registering) through send-otp and verify-otp, then creates the user's chatrooms, as a client would. */
export async function createUser(api: HttpClient, index: number, chatrooms: number): Promise<BenchUser> {
  const mobile = mobileFor(index);
  const { otp } = await expectStatus(
    api.send<{ otp: string }>('POST', '/auth/send-otp', { body: { mobile } }),
    200,
    'send-otp',
  );
  const session = await expectStatus(
    api.send<{ accessToken: string; user: { id: string } }>('POST', '/auth/verify-otp', {
      body: { mobile, otp },
    }),
    200,
    'verify-otp',
  );
  const chatroomIds: string[] = [];
  for (let room = 0; room < chatrooms; room += 1) {
    const created = await expectStatus(
      api.send<{ id: string }>('POST', '/chatroom', {
        token: session.accessToken,
        body: { title: `Bench room ${room + 1}` },
      }),
      201,
      'create chatroom',
    );
    chatroomIds.push(created.id);
  }
  return { token: session.accessToken, userId: session.user.id, chatroomIds };
}

export async function createUsers(api: HttpClient, count: number, chatrooms: number): Promise<BenchUser[]> {
  const users: BenchUser[] = [];
  const parallel = 8;
  for (let start = 0; start < count; start += parallel) {
    const batch = Array.from({ length: Math.min(parallel, count - start) }, (_, offset) =>
      createUser(api, start + offset + 1, chatrooms),
    );
    users.push(...(await Promise.all(batch)));
  }
  return users;
}

/** Every (user, chatroom) pair, visited round-robin so prompts spread over users and conversations. */
export function targets(users: BenchUser[]): { token: string; chatroomId: string }[] {
  return users.flatMap((user) => user.chatroomIds.map((chatroomId) => ({ token: user.token, chatroomId })));
}
