import { User } from '@app/database';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Clock } from './clock';
import { PromptQuotaService } from './prompt-quota.service';

@Module({
  imports: [TypeOrmModule.forFeature([User])],
  providers: [PromptQuotaService, Clock],
  exports: [PromptQuotaService, Clock],
})
export class QuotaModule {}
