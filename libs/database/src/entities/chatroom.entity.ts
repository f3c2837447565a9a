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
