import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsNotEmpty, IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';
import { UserProfileResponse } from '../../users/dto/user-profile.dto';
import { MobileNumber } from '../mobile';

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;

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

export class SignupRequest {
  @MobileNumber()
  mobile!: string;

  @ApiPropertyOptional({ example: 'Ada Lovelace', maxLength: 100 })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  name?: string;

  @ApiPropertyOptional({ example: 'ada@example.com', format: 'email', maxLength: 254 })
  @IsOptional()
  @Transform(trim)
  @IsEmail({}, { message: 'email must be a valid email address' })
  @MaxLength(254)
  email?: string;

  @PasswordField('Optional: lets the user also log in with /auth/login', { optional: true })
  password?: string;
}

export class MobileRequest {
  @MobileNumber()
  mobile!: string;
}

export class VerifyOtpRequest {
  @MobileNumber()
  mobile!: string;

  @ApiProperty({ example: '123456', pattern: '^\\d{6}$', description: 'The 6-digit code' })
  @IsString()
  @Matches(/^\d{6}$/, { message: 'otp must be 6 digits' })
  otp!: string;
}

export class ResetPasswordRequest extends VerifyOtpRequest {
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
