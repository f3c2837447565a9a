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

/** Who chose a chatroom's title. Only a `default` title is replaced by a generated one. */
export enum TitleSource {
  Default = 'default',
  User = 'user',
  Generated = 'generated',
  Fork = 'fork',
}

@Entity('chatrooms')
@Index(['userId', 'lastActivityAt', 'id'])
export class Chatroom {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: Relation<User>;

  @Column({ type: 'varchar', length: 200 })
  title!: string;

  @Column({ type: 'enum', enum: TitleSource, enumName: 'chatroom_title_source', default: TitleSource.User })
  titleSource!: TitleSource;

  /**
   * The newest message of the active branch: what the conversation shows and what the next prompt follows. Null
   * until the first prompt.
   */
  @Column({ type: 'uuid', nullable: true })
  activeLeafId!: string | null;

  /** Per-chatroom generation settings; null means the configured default. */
  @Column({ type: 'text', nullable: true })
  systemInstruction!: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  model!: string | null;

  @Column({ type: 'real', nullable: true })
  temperature!: number | null;

  @Column({ type: 'int', nullable: true })
  maxOutputTokens!: number | null;

  /** Drives "most recently active first"; bumped by every new message. */
  @Column({ type: 'timestamptz', default: () => 'now()' })
  lastActivityAt!: Date;

  /** The `seq` of the chatroom's newest message; the row is locked to number new ones. */
  @Column({ type: 'int', default: 0 })
  lastMessageSeq!: number;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
