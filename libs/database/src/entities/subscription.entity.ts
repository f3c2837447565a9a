import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  type Relation,
  UpdateDateColumn,
} from 'typeorm';
import { User } from './user.entity';

/** The local copy of a Stripe subscription, refreshed from Stripe on every relevant webhook. */
@Entity('subscriptions')
@Index(['userId'])
export class Subscription {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: Relation<User>;

  @Column({ type: 'varchar', length: 255, unique: true })
  stripeSubscriptionId!: string;

  @Column({ type: 'varchar', length: 255 })
  stripeCustomerId!: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  priceId!: string | null;

  /** Stripe's status verbatim: active, trialing, past_due, canceled, unpaid, incomplete, incomplete_expired, paused. */
  @Column({ type: 'varchar', length: 32 })
  status!: string;

  @Column({ type: 'timestamptz', nullable: true })
  currentPeriodEnd!: Date | null;

  @Column({ type: 'boolean', default: false })
  cancelAtPeriodEnd!: boolean;

  /** When the subscription first became past_due; the grace period counts from here. */
  @Column({ type: 'timestamptz', nullable: true })
  pastDueSince!: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
