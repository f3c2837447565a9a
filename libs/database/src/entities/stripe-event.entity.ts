import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** Stripe event ids already applied; inserted in the same transaction as the change the event causes. */
@Entity('stripe_events')
export class StripeEvent {
  @PrimaryColumn({ type: 'varchar', length: 255 })
  id!: string;

  @Column({ type: 'varchar', length: 100 })
  type!: string;

  @Column({ type: 'timestamptz' })
  stripeCreatedAt!: Date;

  /** Why a genuine event changed nothing (e.g. its subscription is unknown to Stripe); null when it applied. */
  @Column({ type: 'varchar', length: 200, nullable: true })
  ignoredReason!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  processedAt!: Date;
}
