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
    description: 'For a reply: the prompt it answers',
  })
  replyToId!: string | null;

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
      replyToId: message.replyToId,
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
  @ApiProperty({ type: [MessageResponse], description: 'Newest first' })
  items!: MessageResponse[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as `cursor` for older messages; null at the start',
  })
  nextCursor!: string | null;
}
