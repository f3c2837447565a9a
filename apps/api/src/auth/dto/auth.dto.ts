import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsNotEmpty, IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';
import { CODE_POINTS_NOTE, MaxCodePoints } from '../../common/text-length';
import { UserProfileResponse } from '../../users/dto/user-profile.dto';
import { ACCOUNT_OUTCOMES, type AccountOutcome } from '../../users/users.service';
import { MobileNumber } from '../mobile';

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;
const NAME_MAX_LENGTH = 100;
const EMAIL_MAX_LENGTH = 254;

const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);

function PasswordField(description: string, options: { optional?: boolean } = {}): PropertyDecorator {
  const documented = {
    description,
    minLength: PASSWORD_MIN_LENGTH,
    maxLength: PASSWORD_MAX_LENGTH,
    example: 'correct horse battery',
  };
  return applyDecorators(
    ...(options.optional ? [ApiPropertyOptional(documented), IsOptional()] : [ApiProperty(documented)]),
    IsString(),
    Length(PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH, {
      message: `password must be ${PASSWORD_MIN_LENGTH}-${PASSWORD_MAX_LENGTH} characters`,
    }),
  );
}

export class MobileRequest {
  @MobileNumber()
  mobile!: string;
}

class OtpProof {
  @MobileNumber()
  mobile!: string;

  @ApiProperty({ example: '123456', pattern: '^\\d{6}$', description: 'The 6-digit code' })
  @IsString()
  @Matches(/^\d{6}$/, { message: 'otp must be 6 digits' })
  otp!: string;
}

/**
 * The code, plus the account details to use if this proof creates the account or claims a registered but never
 * verified one; they are ignored for an account that is already verified.
 */
export class VerifyOtpRequest extends OtpProof {
  @ApiPropertyOptional({
    example: 'Ada Lovelace',
    maxLength: NAME_MAX_LENGTH,
    description: `Used only when this proof creates or claims the account. ${CODE_POINTS_NOTE}.`,
  })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxCodePoints(NAME_MAX_LENGTH)
  name?: string;

  @ApiPropertyOptional({
    example: 'ada@example.com',
    format: 'email',
    maxLength: EMAIL_MAX_LENGTH,
    description: `Used only when this proof creates or claims the account. ${CODE_POINTS_NOTE}.`,
  })
  @IsOptional()
  @Transform(trim)
  @IsEmail({}, { message: 'email must be a valid email address' })
  @MaxCodePoints(EMAIL_MAX_LENGTH)
  email?: string;

  @PasswordField(
    'Lets the user also log in with /auth/login; used only when this proof creates or claims the account',
    {
      optional: true,
    },
  )
  password?: string;
}

export class ResetPasswordRequest extends OtpProof {
  @PasswordField('The new password')
  newPassword!: string;
}

export class ChangePasswordRequest {
  @ApiPropertyOptional({
    description: 'Required when the account already has a password',
    maxLength: PASSWORD_MAX_LENGTH,
  })
  @IsOptional()
  @IsString()
  @MaxLength(PASSWORD_MAX_LENGTH)
  currentPassword?: string;

  @PasswordField('The new password')
  newPassword!: string;
}

export class LoginRequest {
  @MobileNumber()
  mobile!: string;

  @ApiProperty({ example: 'correct horse battery', maxLength: PASSWORD_MAX_LENGTH })
  @IsString()
  @IsNotEmpty()
  @MaxLength(PASSWORD_MAX_LENGTH)
  password!: string;
}

export class RefreshRequest {
  @ApiProperty({
    description: 'The refresh token from the last token response',
    minLength: 20,
    maxLength: 200,
    example: 'q1Zb6x0pM2vT8cLr4YkN3wHs7Ud9EaFj',
  })
  @IsString()
  @Length(20, 200)
  refreshToken!: string;
}

export class OtpIssuedResponse {
  @ApiProperty({ example: '+14155550123' })
  mobile!: string;

  @ApiPropertyOptional({
    example: '123456',
    description: 'The code itself: delivery is mocked, so it is returned here (OTP_IN_RESPONSE=true)',
  })
  otp?: string;

  @ApiProperty({ format: 'date-time' })
  expiresAt!: string;

  @ApiProperty({ example: 300, description: 'Seconds until the code expires' })
  expiresIn!: number;
}

export class TokenResponse {
  @ApiProperty({ description: 'JWT to send as `Authorization: Bearer <token>`' })
  accessToken!: string;

  @ApiProperty({ description: 'Opaque, single-use: exchange it at /auth/refresh for a new pair' })
  refreshToken!: string;

  @ApiProperty({ example: 'Bearer', enum: ['Bearer'] })
  tokenType!: 'Bearer';

  @ApiProperty({ example: 900, description: 'Seconds until the access token expires' })
  expiresIn!: number;

  @ApiProperty({ type: UserProfileResponse })
  user!: UserProfileResponse;
}

export class VerifyOtpResponse extends TokenResponse {
  @ApiProperty({
    enum: ACCOUNT_OUTCOMES,
    enumName: 'AccountOutcome',
    description:
      'created: this proof registered the number; claimed: the number was registered but never proven, so any password and session set before are gone; existing: an account this number had already proven',
  })
  account!: AccountOutcome;
}
