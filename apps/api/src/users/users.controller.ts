import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, type AuthenticatedUser } from '../auth/current-user.decorator';
import { Authenticated } from '../common/public.decorator';
import { CurrentUserResponse } from './dto/user-profile.dto';
import { UsersService } from './users.service';

@ApiTags('users')
@Authenticated()
@Controller('user')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get('me')
  @ApiOperation({ operationId: 'getCurrentUser', summary: "Your profile, tier and today's prompt usage" })
  @ApiOkResponse({ type: CurrentUserResponse })
  getCurrentUser(@CurrentUser() user: AuthenticatedUser): Promise<CurrentUserResponse> {
    return this.users.getCurrentUser(user.id);
  }
}
