import { Body, Controller, HttpCode, HttpStatus, Post, Req } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import { OtpPurpose } from '@app/database';
import type { FastifyRequest } from 'fastify';
import { ProblemResponse } from '../common/problem.dto';
import { Authenticated, Public } from '../common/public.decorator';
import { AuthService } from './auth.service';
import { CurrentUser, type AuthenticatedUser } from './current-user.decorator';
import {
  ChangePasswordRequest,
  LoginRequest,
  MobileRequest,
  OtpIssuedResponse,
  RefreshRequest,
  ResetPasswordRequest,
  TokenResponse,
  VerifyOtpRequest,
  VerifyOtpResponse,
} from './dto/auth.dto';

@ApiTags('auth')
@ApiBadRequestResponse({ description: 'Invalid body', type: ProblemResponse })
@ApiUnsupportedMediaTypeResponse({ description: 'Body is not JSON', type: ProblemResponse })
@ApiTooManyRequestsResponse({ description: 'Too many requests; see Retry-After', type: ProblemResponse })
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @Post('signup')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    operationId: 'signup',
    summary: 'Start registering a mobile number: sends a code, exactly like send-otp',
    description:
      'Answers the same whether or not the number is registered. A number owns an account only once proven: verify the code at /auth/verify-otp, with the name, email and password to set up.',
  })
  @ApiOkResponse({ type: OtpIssuedResponse })
  signup(@Body() body: MobileRequest, @Req() request: FastifyRequest): Promise<OtpIssuedResponse> {
    return this.auth.requestOtp(body.mobile, OtpPurpose.Login, request.ip);
  }

  @Public()
  @Post('send-otp')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    operationId: 'sendOtp',
    summary: 'Get a login code (login-or-register)',
    description:
      'Delivery is mocked: the code is in the response. A number without an account gets its account when the code is verified.',
  })
  @ApiOkResponse({ type: OtpIssuedResponse })
  sendOtp(@Body() body: MobileRequest, @Req() request: FastifyRequest): Promise<OtpIssuedResponse> {
    return this.auth.requestOtp(body.mobile, OtpPurpose.Login, request.ip);
  }

  @Public()
  @Post('verify-otp')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    operationId: 'verifyOtp',
    summary: 'Exchange a login code for tokens (registers or claims the number on its first proof)',
  })
  @ApiOkResponse({ type: VerifyOtpResponse })
  @ApiUnauthorizedResponse({ description: 'Wrong, expired or used code', type: ProblemResponse })
  verifyOtp(@Body() body: VerifyOtpRequest): Promise<VerifyOtpResponse> {
    return this.auth.verifyOtp(body);
  }

  @Public()
  @Post('login')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ operationId: 'login', summary: 'Log in with mobile number and password' })
  @ApiOkResponse({ type: TokenResponse })
  @ApiUnauthorizedResponse({ description: 'Wrong number or password', type: ProblemResponse })
  @ApiTooManyRequestsResponse({
    description: 'Too many wrong passwords for this number (TOO_MANY_PASSWORD_ATTEMPTS); see Retry-After',
    type: ProblemResponse,
  })
  login(@Body() body: LoginRequest): Promise<TokenResponse> {
    return this.auth.login(body.mobile, body.password);
  }

  @Public()
  @Post('forgot-password')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ operationId: 'forgotPassword', summary: 'Get a password reset code' })
  @ApiOkResponse({ type: OtpIssuedResponse })
  forgotPassword(@Body() body: MobileRequest, @Req() request: FastifyRequest): Promise<OtpIssuedResponse> {
    return this.auth.requestOtp(body.mobile, OtpPurpose.PasswordReset, request.ip);
  }

  @Public()
  @Post('reset-password')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    operationId: 'resetPassword',
    summary: 'Set a new password with a reset code; ends every session',
  })
  @ApiNoContentResponse({ description: 'Password changed' })
  @ApiUnauthorizedResponse({ description: 'Wrong, expired or used code', type: ProblemResponse })
  resetPassword(@Body() body: ResetPasswordRequest): Promise<void> {
    return this.auth.resetPassword(body.mobile, body.otp, body.newPassword);
  }

  @Authenticated()
  @Post('change-password')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    operationId: 'changePassword',
    summary: 'Change (or set) your password; ends your other sessions',
  })
  @ApiNoContentResponse({ description: 'Password changed' })
  changePassword(@CurrentUser() user: AuthenticatedUser, @Body() body: ChangePasswordRequest): Promise<void> {
    return this.auth.changePassword(user.id, user.sessionId, body.currentPassword, body.newPassword);
  }

  @Public()
  @Post('refresh')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    operationId: 'refreshTokens',
    summary: 'Exchange a refresh token for a new pair (rotation)',
  })
  @ApiOkResponse({ type: TokenResponse })
  @ApiUnauthorizedResponse({ description: 'Invalid, expired or reused refresh token', type: ProblemResponse })
  refreshTokens(@Body() body: RefreshRequest): Promise<TokenResponse> {
    return this.auth.refresh(body.refreshToken);
  }

  @Authenticated()
  @Post('logout')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    operationId: 'logout',
    summary: 'End this session: its refresh and access tokens stop working',
  })
  @ApiNoContentResponse({ description: 'Logged out' })
  logout(@CurrentUser() user: AuthenticatedUser): Promise<void> {
    return this.auth.logout(user.sessionId);
  }
}
