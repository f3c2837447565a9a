import { Controller, Get, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, type AuthenticatedUser } from '../auth/current-user.decorator';
import { ProblemResponse } from '../common/problem.dto';
import { Authenticated } from '../common/public.decorator';
import { UsageReportQuery, UsageReportResponse } from './dto/usage-report.dto';
import { UsageService } from './usage.service';

@ApiTags('usage')
@Authenticated()
@Controller('usage')
export class UsageController {
  constructor(private readonly usage: UsageService) {}

  @Get()
  @ApiOperation({
    operationId: 'getUsage',
    summary: 'Your usage per UTC day: prompts, replies by outcome and tokens, with totals',
    description:
      'Counted exactly once per reply, in the same transaction that stores its final state; a reply counts on the ' +
      'day its prompt was accepted. Default range: this month so far; at most 366 days.',
  })
  @ApiOkResponse({ type: UsageReportResponse })
  @ApiBadRequestResponse({
    description: 'A malformed date, or a range backwards or over 366 days',
    type: ProblemResponse,
  })
  getUsage(
    @CurrentUser() user: AuthenticatedUser,
    @Query() query: UsageReportQuery,
  ): Promise<UsageReportResponse> {
    return this.usage.report(user.id, query);
  }
}
