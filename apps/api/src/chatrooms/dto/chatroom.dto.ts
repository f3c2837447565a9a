import { Chatroom, TitleSource } from '@app/database';
import { TEMPERATURE_RANGE } from '@app/gemini';
import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { CODE_POINTS_NOTE, MaxCodePoints } from '../../common/text-length';

export const CHATROOM_TITLE_MAX_LENGTH = 200;
export const SYSTEM_INSTRUCTION_MAX_LENGTH = 4000;
/** The widest output cap any tier could allow; each tier's own bound is configuration (see `listModels`). */
export const OUTPUT_TOKENS_CEILING = 65536;

const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);

/** A chatroom title as a body field: trimmed, not blank, at most CHATROOM_TITLE_MAX_LENGTH code points. */
function ChatroomTitle(): PropertyDecorator {
  return applyDecorators(
    Transform(trim),
    IsString(),
    IsNotEmpty({ message: 'title must not be blank' }),
    MaxCodePoints(CHATROOM_TITLE_MAX_LENGTH),
  );
}

/** Generation settings of a chatroom. Omitted: unchanged; null: back to the configured default. */
export class ChatroomSettingsRequest {
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'You are a concise travel guide. Answer in bullet points.',
    maxLength: SYSTEM_INSTRUCTION_MAX_LENGTH,
    description: `Instructions Gemini follows in every reply of this chatroom, instead of the server's default. ${CODE_POINTS_NOTE}.`,
  })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @IsNotEmpty({ message: 'systemInstruction must not be blank; send null to use the default' })
  @MaxCodePoints(SYSTEM_INSTRUCTION_MAX_LENGTH)
  systemInstruction?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'gemini-2.5-flash',
    description: 'One of the models `listModels` offers your tier',
  })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z0-9][a-z0-9.-]{0,63}$/, { message: 'model must be a model id such as gemini-2.5-flash' })
  model?: string | null;

  @ApiPropertyOptional({
    type: Number,
    nullable: true,
    example: 0.7,
    minimum: TEMPERATURE_RANGE.min,
    maximum: TEMPERATURE_RANGE.max,
    description: 'Sampling temperature: lower is more focused, higher more varied',
  })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(TEMPERATURE_RANGE.min)
  @Max(TEMPERATURE_RANGE.max)
  temperature?: number | null;

  @ApiPropertyOptional({
    type: Number,
    nullable: true,
    example: 1024,
    minimum: 1,
    description: "The longest reply, in tokens; at most your tier's bound (see `listModels`)",
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(OUTPUT_TOKENS_CEILING)
  maxOutputTokens?: number | null;
}

export class CreateChatroomRequest {
  @ApiPropertyOptional({
    example: 'Trip to Lisbon',
    maxLength: CHATROOM_TITLE_MAX_LENGTH,
    description: `Without one, the chatroom is called "New chat" until its first reply, when Gemini titles it. ${CODE_POINTS_NOTE}.`,
  })
  @IsOptional()
  @ChatroomTitle()
  title?: string;

  @ApiPropertyOptional({ type: ChatroomSettingsRequest, description: 'Generation settings; all optional' })
  @IsOptional()
  @ValidateNested()
  @Type(() => ChatroomSettingsRequest)
  settings?: ChatroomSettingsRequest;
}

export class RenameChatroomRequest {
  @ApiProperty({
    example: 'Lisbon, day by day',
    maxLength: CHATROOM_TITLE_MAX_LENGTH,
    description: `${CODE_POINTS_NOTE}. A title you set is never replaced by a generated one.`,
  })
  @ChatroomTitle()
  title!: string;
}

export class ChatroomSettingsResponse {
  @ApiProperty({ type: String, nullable: true, description: 'Null: the server default' })
  systemInstruction!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'gemini-2.5-flash',
    description: 'Null: the default model',
  })
  model!: string | null;

  @ApiProperty({ type: Number, nullable: true, example: 0.7, description: "Null: the model's default" })
  temperature!: number | null;

  @ApiProperty({ type: Number, nullable: true, example: 1024, description: "Null: the tier's default" })
  maxOutputTokens!: number | null;

  static from(chatroom: Chatroom): ChatroomSettingsResponse {
    return {
      systemInstruction: chatroom.systemInstruction,
      model: chatroom.model,
      temperature: chatroom.temperature,
      maxOutputTokens: chatroom.maxOutputTokens,
    };
  }
}

export class ChatroomResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'Trip to Lisbon' })
  title!: string;

  @ApiProperty({
    enum: TitleSource,
    enumName: 'TitleSource',
    description:
      '`default` ("New chat", replaced by a generated title after the first reply), `user` (set by you, never ' +
      'replaced), `generated` (written by Gemini), `fork` (derived from the forked chatroom)',
  })
  titleSource!: TitleSource;

  @ApiProperty({ type: ChatroomSettingsResponse, description: 'The generation settings as you set them' })
  settings!: ChatroomSettingsResponse;

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
      titleSource: chatroom.titleSource,
      settings: ChatroomSettingsResponse.from(chatroom),
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

export class SwitchBranchRequest {
  @ApiProperty({
    format: 'uuid',
    example: '0b7e1f3a-5d2c-4c8e-9a41-2f6d8e0c1b55',
    description:
      'Any message of the chatroom (typically one of the `versions.ids` of a turn): the chatroom then shows the ' +
      'branch through it, down to its newest message, and the next prompt follows that message',
  })
  @IsUUID('4')
  messageId!: string;
}

export class ForkChatroomRequest {
  @ApiPropertyOptional({
    format: 'uuid',
    example: 'c4a2d9e7-81b3-4f5a-b6c0-7d3e2a1f9b84',
    description:
      'The reply the new chatroom continues after (it and everything before it are copied); default: the end of the active branch',
  })
  @IsOptional()
  @IsUUID('4')
  messageId?: string;

  @ApiPropertyOptional({
    example: 'Lisbon, the budget version',
    maxLength: CHATROOM_TITLE_MAX_LENGTH,
    description: `Default: the source's title followed by " (fork)". ${CODE_POINTS_NOTE}.`,
  })
  @IsOptional()
  @ChatroomTitle()
  title?: string;
}
