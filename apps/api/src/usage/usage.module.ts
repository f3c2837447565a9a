import { UsageModule as UsageLedgerModule } from '@app/usage';
import { Module } from '@nestjs/common';
import { QuotaModule } from '../quota/quota.module';
import { ModelPolicyModule } from '@app/gemini';
import { AccountStanding } from './account-standing';
import { TurnAdmission } from './turn-admission';
import { UsageController } from './usage.controller';
import { UsageService } from './usage.service';

/** What users have used and may use: the usage report, and the standing every prompt is checked against. */
@Module({
  imports: [UsageLedgerModule, QuotaModule, ModelPolicyModule],
  controllers: [UsageController],
  providers: [AccountStanding, UsageService, TurnAdmission],
  exports: [AccountStanding, UsageService, TurnAdmission],
})
export class UsageModule {}
