import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsNotEmpty, IsOptional, IsString } from 'class-validator';
import { Chatroom } from '@app/database';
import { CODE_POINTS_NOTE, MaxCodePoints } from '../../common/text-length';

export const CHATROOM_TITLE_MAX_LENGTH = 200;

const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);

export class CreateChatroomRequest {
  @ApiPropertyOptional({
    example: 'Trip to Lisbon',
    maxLength: CHATROOM_TITLE_MAX_LENGTH,
    description: `Defaults to "New chat". ${CODE_POINTS_NOTE}.`,
  })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @IsNotEmpty({ message: 'title must not be blank' })
  @MaxCodePoints(CHATROOM_TITLE_MAX_LENGTH)
  title?: string;
}

export class RenameChatroomRequest {
  @ApiProperty({
    example: 'Lisbon, day by day',
    maxLength: CHATROOM_TITLE_MAX_LENGTH,
    description: `${CODE_POINTS_NOTE}.`,
  })
  @Transform(trim)
  @IsString()
  @IsNotEmpty({ message: 'title must not be blank' })
  @MaxCodePoints(CHATROOM_TITLE_MAX_LENGTH)
  title!: string;
}

export class ChatroomResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'Trip to Lisbon' })
  title!: string;

  @ApiProperty({ format: 'date-time', description: 'Time of the latest message, or of creation' })
  lastActivityAt!: string;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;

  static from(chatroom: Chatroom): ChatroomResponse {
    return {
      id: chatroom.id,
      title: chatroom.title,
      lastActivityAt: chatroom.lastActivityAt.toISOString(),
      createdAt: chatroom.createdAt.toISOString(),
      updatedAt: chatroom.updatedAt.toISOString(),
    };
  }
}

export class ChatroomPageResponse {
  @ApiProperty({ type: [ChatroomResponse] })
  items!: ChatroomResponse[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as `cursor` for the next page; null on the last page',
  })
  nextCursor!: string | null;
}
