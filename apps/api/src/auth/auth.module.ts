import { OtpChallenge } from '@app/database';
import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG, AppConfig } from '@app/config';
import { UsersModule } from '../users/users.module';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { JwtAuthGuard } from './jwt-auth.guard';
import { OtpRateLimiter } from './otp-rate-limiter';
import { OtpService } from './otp.service';
import { PasswordAttemptThrottle } from './password-attempt-throttle';
import { PasswordHasher } from './password-hasher';
import { SessionStates } from './session-states';
import { TokenService } from './token.service';

@Module({
  imports: [
    TypeOrmModule.forFeature([OtpChallenge]),
    JwtModule.registerAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        secret: config.auth.jwtSecret,
        signOptions: { algorithm: 'HS256' },
        verifyOptions: { algorithms: ['HS256'] },
      }),
    }),
    UsersModule,
  ],
  controllers: [AuthController],
  providers: [
    AuthService,
    OtpService,
    OtpRateLimiter,
    PasswordHasher,
    TokenService,
    SessionStates,
    PasswordAttemptThrottle,
    { provide: APP_GUARD, useClass: JwtAuthGuard },
  ],
})
export class AuthModule {}
