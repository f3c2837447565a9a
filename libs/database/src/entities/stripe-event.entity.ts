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

  @CreateDateColumn({ type: 'timestamptz' })
  processedAt!: Date;
}
