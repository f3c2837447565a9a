import { ModelPolicyModule } from '@app/gemini';
import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module';
import { ModelsController } from './models.controller';
import { ModelsService } from './models.service';

@Module({
  imports: [ModelPolicyModule, UsersModule],
  controllers: [ModelsController],
  providers: [ModelsService],
})
export class ModelsModule {}
