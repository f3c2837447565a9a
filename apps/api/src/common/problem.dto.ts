import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ErrorCode } from './problem';

export class FieldErrorResponse {
  @ApiProperty({ example: 'mobile' })
  field!: string;

  @ApiProperty({ example: 'mobile must be a valid phone number in E.164 format, e.g. +14155550123' })
  message!: string;
}

/** RFC 9457 problem details: the body of every error response. */
export class ProblemResponse {
  @ApiProperty({ example: 'about:blank' })
  type!: string;

  @ApiProperty({ example: 'Bad Request' })
  title!: string;

  @ApiProperty({ example: 400 })
  status!: number;

  @ApiProperty({ example: 'mobile must be a valid phone number' })
  detail!: string;

  @ApiProperty({ enum: ErrorCode, enumName: 'ErrorCode', example: ErrorCode.ValidationFailed })
  code!: ErrorCode;

  @ApiProperty({ example: '/auth/send-otp' })
  instance!: string;

  @ApiProperty({ example: '3f1c2a9e-3c55-4f0b-9d61-0f6f2b8a7c11' })
  requestId!: string;

  @ApiPropertyOptional({ type: [FieldErrorResponse] })
  errors?: FieldErrorResponse[];
}
