import { Module } from '@nestjs/common';
import { UsageLedger } from './usage-ledger';

/** The usage ledger's read side and the limit overrides. Needs the app's `DatabaseModule`. */
@Module({ providers: [UsageLedger], exports: [UsageLedger] })
export class UsageModule {}
