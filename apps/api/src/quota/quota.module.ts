import { Module } from '@nestjs/common';
import { Clock } from './clock';
import { PromptQuotaService } from './prompt-quota.service';

@Module({
  providers: [PromptQuotaService, Clock],
  exports: [PromptQuotaService, Clock],
})
export class QuotaModule {}
