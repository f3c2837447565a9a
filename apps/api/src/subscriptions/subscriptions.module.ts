import { Subscription, User } from '@app/database';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { QuotaModule } from '../quota/quota.module';
import { UsageModule } from '../usage/usage.module';
import { StripeWebhookController } from './stripe-webhook.controller';
import { StripeWebhookService } from './stripe-webhook.service';
import { StripeClient } from './stripe.client';
import { SubscriptionsController } from './subscriptions.controller';
import { SubscriptionsService } from './subscriptions.service';

@Module({
  imports: [TypeOrmModule.forFeature([User, Subscription]), QuotaModule, UsageModule],
  controllers: [SubscriptionsController, StripeWebhookController],
  providers: [StripeClient, SubscriptionsService, StripeWebhookService],
})
export class SubscriptionsModule {}
