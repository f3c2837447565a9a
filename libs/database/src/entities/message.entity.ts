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
import { Chatroom } from './chatroom.entity';

export enum MessageRole {
  User = 'user',
  Model = 'model',
}

export enum MessageStatus {
  Queued = 'queued',
  Generating = 'generating',
  Completed = 'completed',
  Cancelled = 'cancelled',
  Failed = 'failed',
}

@Entity('messages')
@Index(['chatroomId', 'seq'], { unique: true })
@Index(['status', 'updatedAt'])
@Index(['userId', 'idempotencyKey'], { unique: true, where: 'idempotency_key IS NOT NULL' })
export class Message {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  chatroomId!: string;

  @ManyToOne(() => Chatroom, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'chatroom_id' })
  chatroom?: Relation<Chatroom>;

  /** Position in the chatroom (1, 2, 3…): the order of the conversation, which timestamps cannot break ties in. */
  @Column({ type: 'int' })
  seq!: number;

  /** Denormalised owner, so ownership is part of every message query without a join. */
  @Column({ type: 'uuid' })
  userId!: string;

  @Column({ type: 'enum', enum: MessageRole, enumName: 'message_role' })
  role!: MessageRole;

  @Column({ type: 'text', default: '' })
  content!: string;

  @Column({ type: 'enum', enum: MessageStatus, enumName: 'message_status' })
  status!: MessageStatus;

  /** For a model reply: the user message it answers. Unique, so a prompt can never get two replies. */
  @Index({ unique: true, where: 'reply_to_id IS NOT NULL' })
  @Column({ type: 'uuid', nullable: true })
  replyToId!: string | null;

  @Column({ type: 'varchar', length: 100, nullable: true })
  idempotencyKey!: string | null;

  @Column({ type: 'varchar', length: 40, nullable: true })
  errorCode!: string | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  errorMessage!: string | null;

  @Column({ type: 'varchar', length: 40, nullable: true })
  finishReason!: string | null;

  @Column({ type: 'boolean', default: false })
  truncated!: boolean;

  @Column({ type: 'int', nullable: true })
  promptTokens!: number | null;

  @Column({ type: 'int', nullable: true })
  outputTokens!: number | null;

  @Column({ type: 'int', nullable: true })
  totalTokens!: number | null;

  @Column({ type: 'int', default: 0 })
  attempts!: number;

  @Column({ type: 'varchar', length: 64, nullable: true })
  model!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  completedAt!: Date | null;
}
