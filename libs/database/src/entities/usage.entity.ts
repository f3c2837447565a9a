import {
  Column,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  type Relation,
  UpdateDateColumn,
} from 'typeorm';
import { User } from './user.entity';

/** Postgres `bigint` comes back as a string; token counts fit a JavaScript number. */
const bigintAsNumber = { to: (value: number) => value, from: (value: string | null) => Number(value ?? 0) };

/**
 * One user's usage on one UTC day. Written only by the statements that accept a prompt (`prompts`) and store a
 * reply's final state (the rest), in the same statement, so a re-delivered job or a retried write never counts
 * twice and a crash never counts half. A reply counts on the day it was accepted.
 */
@Entity('usage_days')
export class UsageDay {
  @PrimaryColumn({ type: 'uuid' })
  userId!: string;

  @PrimaryColumn({ type: 'date' })
  day!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: Relation<User>;

  /** Prompts accepted: new ones, edits and regenerations. */
  @Column({ type: 'int', default: 0 })
  prompts!: number;

  @Column({ type: 'int', default: 0 })
  repliesCompleted!: number;

  @Column({ type: 'int', default: 0 })
  repliesFailed!: number;

  @Column({ type: 'int', default: 0 })
  repliesCancelled!: number;

  @Column({ type: 'bigint', default: 0, transformer: bigintAsNumber })
  promptTokens!: number;

  @Column({ type: 'bigint', default: 0, transformer: bigintAsNumber })
  outputTokens!: number;

  @Column({ type: 'bigint', default: 0, transformer: bigintAsNumber })
  thinkingTokens!: number;

  /** Tokens the system spent for the user (chatroom titles); not counted against the budget. */
  @Column({ type: 'bigint', default: 0, transformer: bigintAsNumber })
  systemTokens!: number;
}

/**
 * One user's token budget account for one calendar month (UTC): tokens used by stored replies (prompt, output and
 * thinking), and tokens reserved for replies still open (each reply reserves at most its output cap when accepted,
 * and gives the reservation back when it ends).
 */
@Entity('usage_months')
/** The month's heaviest users, for operators. */
@Index(['month', 'usedTokens'])
export class UsageMonth {
  @PrimaryColumn({ type: 'uuid' })
  userId!: string;

  /** The month's first day. */
  @PrimaryColumn({ type: 'date' })
  month!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: Relation<User>;

  @Column({ type: 'bigint', default: 0, transformer: bigintAsNumber })
  usedTokens!: number;

  @Column({ type: 'bigint', default: 0, transformer: bigintAsNumber })
  reservedTokens!: number;
}

/** Limits an operator set for one user, instead of the tier's; null keeps the tier's. */
@Entity('user_limits')
export class UserLimits {
  @PrimaryColumn({ type: 'uuid' })
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: Relation<User>;

  @Column({ type: 'int', nullable: true })
  dailyPrompts!: number | null;

  /** 0 means unlimited. */
  @Column({
    type: 'bigint',
    nullable: true,
    transformer: { to: (v: number | null) => v, from: (v: string | null) => (v === null ? null : Number(v)) },
  })
  monthlyTokens!: number | null;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
