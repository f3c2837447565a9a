import { Chatroom } from './chatroom.entity';
import { Message } from './message.entity';
import { OtpChallenge } from './otp-challenge.entity';
import { RefreshToken } from './refresh-token.entity';
import { Session } from './session.entity';
import { StripeEvent } from './stripe-event.entity';
import { Subscription } from './subscription.entity';
import { UsageDay, UsageMonth, UserLimits } from './usage.entity';
import { User } from './user.entity';

export * from './chatroom.entity';
export * from './message.entity';
export * from './otp-challenge.entity';
export * from './refresh-token.entity';
export * from './session.entity';
export * from './stripe-event.entity';
export * from './subscription.entity';
export * from './usage.entity';
export * from './user.entity';

export const ENTITIES = [
  User,
  OtpChallenge,
  Session,
  RefreshToken,
  Chatroom,
  Message,
  Subscription,
  StripeEvent,
  UsageDay,
  UsageMonth,
  UserLimits,
];
