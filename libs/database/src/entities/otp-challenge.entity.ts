import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export enum OtpPurpose {
  Login = 'login',
  PasswordReset = 'password_reset',
}

@Entity('otp_challenges')
@Index(['mobile', 'purpose', 'createdAt'])
export class OtpChallenge {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 16 })
  mobile!: string;

  @Column({ type: 'enum', enum: OtpPurpose, enumName: 'otp_purpose' })
  purpose!: OtpPurpose;

  /** HMAC-SHA256 of the code with a server secret; the code itself is never stored. */
  @Column({ type: 'varchar', length: 64 })
  codeHash!: string;

  @Column({ type: 'int', default: 0 })
  failedAttempts!: number;

  @Column({ type: 'timestamptz' })
  expiresAt!: Date;

  /** Set when the code is used, exhausted or replaced by a newer one: any non-null value makes it dead. */
  @Column({ type: 'timestamptz', nullable: true })
  consumedAt!: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
