import { Message, MessageRole, MessageStatus } from '@app/database';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsInt, IsNotEmpty, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

export const MESSAGE_MAX_LENGTH = 8000;
export const MAX_WAIT_SECONDS = 60;

export class SendMessageRequest {
  @ApiProperty({
    description: `The prompt; surrounding whitespace is trimmed. At most ${MESSAGE_MAX_LENGTH} characters.`,
    example: 'Plan three days in Lisbon for a first-time visitor.',
    maxLength: MESSAGE_MAX_LENGTH,
  })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @IsNotEmpty({ message: 'content must not be empty' })
  @MaxLength(MESSAGE_MAX_LENGTH, { message: `content must be at most ${MESSAGE_MAX_LENGTH} characters` })
  content!: string;
}

export class SendMessageQuery {
  @ApiPropertyOptional({
    description: `Hold the response up to this many seconds (max ${MAX_WAIT_SECONDS}) until the reply is final; 200 when it is, 202 otherwise`,
    minimum: 0,
    maximum: MAX_WAIT_SECONDS,
    example: 30,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(MAX_WAIT_SECONDS)
  wait?: number;
}

export class MessageErrorResponse {
  @ApiProperty({ example: 'UPSTREAM_UNAVAILABLE' })
  code!: string;

  @ApiProperty({ example: 'Gemini is overloaded; gave up after 4 attempts' })
  message!: string;
}

export class TokenUsageResponse {
  @ApiProperty({ type: Number, nullable: true, example: 42 })
  promptTokens!: number | null;

  @ApiProperty({ type: Number, nullable: true, example: 128 })
  outputTokens!: number | null;

  @ApiProperty({ type: Number, nullable: true, example: 170 })
  totalTokens!: number | null;
}

export class MessageResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  chatroomId!: string;

  @ApiProperty({ enum: MessageRole, enumName: 'MessageRole' })
  role!: MessageRole;

  @ApiProperty({
    description:
      'The prompt, or the reply as stored: empty until it is final (stream it for the text as it arrives); a cancelled reply keeps what was streamed',
  })
  content!: string;

  @ApiProperty({
    enum: MessageStatus,
    enumName: 'MessageStatus',
    description:
      'User messages are always completed; replies go queued → generating → completed | cancelled | failed',
  })
  status!: MessageStatus;

  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description:
      'The message this one follows in the conversation tree: for a reply, the prompt it answers; for a prompt, ' +
      'the reply it was sent after (null for a first prompt)',
  })
  parentId!: string | null;

  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'For a reply: the prompt it answers (its `parentId`); null for a prompt',
  })
  replyToId!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'gemini-2.5-flash',
    description: 'For a reply: the model that generated it, once an attempt has ended',
  })
  model!: string | null;

  @ApiProperty({ type: MessageErrorResponse, nullable: true, description: 'Why a reply failed' })
  error!: MessageErrorResponse | null;

  @ApiProperty({ type: String, nullable: true, example: 'STOP' })
  finishReason!: string | null;

  @ApiProperty({ description: 'True when the reply was cut at the output token limit' })
  truncated!: boolean;

  @ApiProperty({ type: TokenUsageResponse, nullable: true })
  usage!: TokenUsageResponse | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  completedAt!: string | null;

  static from(message: Message): MessageResponse {
    const hasUsage =
      message.totalTokens !== null || message.promptTokens !== null || message.outputTokens !== null;
    return {
      id: message.id,
      chatroomId: message.chatroomId,
      role: message.role,
      content: message.content,
      status: message.status,
      parentId: message.parentId,
      replyToId: message.role === MessageRole.Model ? message.parentId : null,
      model: message.model,
      error: message.errorCode
        ? { code: message.errorCode, message: message.errorMessage ?? message.errorCode }
        : null,
      finishReason: message.finishReason,
      truncated: message.truncated,
      usage: hasUsage
        ? {
            promptTokens: message.promptTokens,
            outputTokens: message.outputTokens,
            totalTokens: message.totalTokens,
          }
        : null,
      createdAt: message.createdAt.toISOString(),
      updatedAt: message.updatedAt.toISOString(),
      completedAt: message.completedAt ? message.completedAt.toISOString() : null,
    };
  }
}

export class MessageVersionsResponse {
  @ApiProperty({
    example: 2,
    description: "This version's place among them, from 1, in the order they were made",
  })
  position!: number;

  @ApiProperty({
    example: 3,
    description: 'How many versions the turn has (1 when it was never edited or regenerated)',
  })
  count!: number;

  @ApiProperty({
    type: [String],
    format: 'uuid',
    description:
      "Every version's id, in that order, this one included; pass one to `switchBranch` to show its branch",
  })
  ids!: string[];
}

/** A message as a conversation path shows it: with where it stands among the versions of its turn. */
export class PathMessageResponse extends MessageResponse {
  @ApiProperty({
    type: MessageVersionsResponse,
    description:
      'The versions of this turn: edits of a prompt, or regenerations of a reply (siblings in the tree)',
  })
  versions!: MessageVersionsResponse;

  static fromPath(message: Message, versions: MessageVersionsResponse | undefined): PathMessageResponse {
    return {
      ...MessageResponse.from(message),
      versions: versions ?? { position: 1, count: 1, ids: [message.id] },
    };
  }
}

export class SentMessageResponse {
  @ApiProperty({ type: MessageResponse, description: 'Your stored message' })
  message!: MessageResponse;

  @ApiProperty({
    type: MessageResponse,
    description: 'The assistant reply: queued, or final when `wait` was used',
  })
  reply!: MessageResponse;
}

export class MessagePageResponse {
  @ApiProperty({ type: [PathMessageResponse], description: 'The active branch, newest first' })
  items!: PathMessageResponse[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as `cursor` for older messages; null at the start',
  })
  nextCursor!: string | null;
}
