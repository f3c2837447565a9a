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
/** Siblings (the versions of one turn) and the walk down to a branch's newest message. */
@Index(['parentId', 'seq'])
/** The first turns of a chatroom, which have no parent. */
@Index(['chatroomId', 'seq'], { where: 'parent_id IS NULL' })
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

  /**
   * The message this one follows: a reply's parent is the prompt it answers; a prompt's parent is the reply it was
   * sent after (null for a first prompt). Siblings (same parent) are versions of one turn: edits of a prompt,
   * regenerations of a reply. Set once, always to a message of the same chatroom, so the tree has no cycles.
   */
  @Column({ type: 'uuid', nullable: true })
  parentId!: string | null;

  @ManyToOne(() => Message, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'parent_id' })
  parent?: Relation<Message>;

  /** In a forked chatroom: the message this one is a copy of (it may since have been deleted with its chatroom). */
  @Column({ type: 'uuid', nullable: true })
  copiedFromId!: string | null;

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

  /** Tokens Gemini spent thinking, where it reports them (within the output cap). */
  @Column({ type: 'int', nullable: true })
  thinkingTokens!: number | null;

  @Column({ type: 'int', nullable: true })
  totalTokens!: number | null;

  /** For a reply accepted under a token budget: the tokens it reserved, its output cap; given back when it ends. */
  @Column({ type: 'int', nullable: true })
  reservedTokens!: number | null;

  /** For a reply: the UTC day it was accepted, on which the ledger counts it. */
  @Column({ type: 'date', nullable: true })
  usageDay!: string | null;

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
