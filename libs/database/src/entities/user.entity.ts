import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export enum Tier {
  Basic = 'basic',
  Pro = 'pro',
}

@Entity('users')
export class User {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** E.164, e.g. +14155550123. */
  @Column({ type: 'varchar', length: 16, unique: true })
  mobile!: string;

  @Column({ type: 'varchar', length: 100, nullable: true })
  name!: string | null;

  @Column({ type: 'varchar', length: 254, nullable: true })
  email!: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  passwordHash!: string | null;

  /** When the number was first proven by an OTP; until then the account belongs to no one (see AuthService). */
  @Column({ type: 'timestamptz', nullable: true })
  verifiedAt!: Date | null;

  /** Follows the Stripe subscription; written only by the webhook handler. */
  @Column({ type: 'enum', enum: Tier, enumName: 'user_tier', default: Tier.Basic })
  tier!: Tier;

  @Column({ type: 'varchar', length: 255, nullable: true, unique: true })
  stripeCustomerId!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
