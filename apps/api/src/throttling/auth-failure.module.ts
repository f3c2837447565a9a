import { Global, Module } from '@nestjs/common';
import { AuthFailureThrottle } from './auth-failure-throttle';

/** Global, so every place that checks a credential (JWT guard, metrics, queue dashboard) counts its failures. */
@Global()
@Module({ providers: [AuthFailureThrottle], exports: [AuthFailureThrottle] })
export class AuthFailureModule {}
