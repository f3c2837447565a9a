import { UsageModule as UsageLedgerModule } from '@app/usage';
import { Module } from '@nestjs/common';
import { QuotaModule } from '../quota/quota.module';
import { AccountStanding } from './account-standing';
import { UsageController } from './usage.controller';
import { UsageService } from './usage.service';

/** What users have used and may use: the usage report, and the standing every prompt is checked against. */
@Module({
  imports: [UsageLedgerModule, QuotaModule],
  controllers: [UsageController],
  providers: [AccountStanding, UsageService],
  exports: [AccountStanding, UsageService, UsageLedgerModule],
})
export class UsageModule {}
