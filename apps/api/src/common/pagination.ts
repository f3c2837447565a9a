import { HttpStatus } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { ErrorCode, ProblemException } from './problem';

export const MAX_PAGE_SIZE = 100;

export class PageQuery {
  @ApiPropertyOptional({
    description: "Opaque cursor from a previous page's `nextCursor`",
    example: 'eyJ0IjoiMjAyNi0xMS0yNFQxMDowMDowMC4wMDBaIiwiaSI6IjNmMWMifQ',
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;

  @ApiPropertyOptional({
    description: `Page size, 1-${MAX_PAGE_SIZE}`,
    minimum: 1,
    maximum: MAX_PAGE_SIZE,
    default: 20,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit: number = 20;
}

/** A position in a list ordered by (timestamp, id): the last item of the previous page. */
export interface CursorPosition {
  at: Date;
  id: string;
}

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify({ t: position.at.toISOString(), i: position.id })).toString('base64url');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/**
 * Years 1-9999: every stored timestamp is inside, and PostgreSQL refuses some dates JavaScript accepts (before
 * 4714 BC), so a cursor outside is the client's mistake, not a query to attempt.
 */
const EARLIEST_CURSOR_TIME = Date.parse('0001-01-01T00:00:00.000Z');
const LATEST_CURSOR_TIME = Date.parse('9999-12-31T23:59:59.999Z');

export function decodeCursor(cursor: string): CursorPosition {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
      t?: unknown;
      i?: unknown;
    };
    const at = new Date(String(parsed.t));
    const time = at.getTime();
    if (
      typeof parsed.i === 'string' &&
      UUID.test(parsed.i) &&
      time >= EARLIEST_CURSOR_TIME &&
      time <= LATEST_CURSOR_TIME
    ) {
      return { at, id: parsed.i };
    }
  } catch {
    // fall through to the error below: any undecodable cursor is the client's mistake
  }
  throw new ProblemException(
    HttpStatus.BAD_REQUEST,
    ErrorCode.ValidationFailed,
    'cursor is not a valid page cursor',
    {
      errors: [{ field: 'cursor', message: 'cursor is not a valid page cursor' }],
    },
  );
}
