import { Tier } from '@app/database';
import { ModelPolicy, TEMPERATURE_RANGE } from '@app/gemini';
import { Injectable } from '@nestjs/common';
import { SYSTEM_INSTRUCTION_MAX_LENGTH } from '../chatrooms/dto/chatroom.dto';
import { UsersService } from '../users/users.service';
import { ModelCatalogResponse } from './dto/model-catalog.dto';

@Injectable()
export class ModelsService {
  constructor(
    private readonly models: ModelPolicy,
    private readonly users: UsersService,
  ) {}

  /** The models and limits a user may choose from, by the tier stored now. */
  async catalogFor(userId: string): Promise<ModelCatalogResponse> {
    const { tier } = await this.users.getById(userId);
    const allowed = this.models.modelsFor(tier);
    return {
      tier,
      defaultModel: this.models.defaultModel,
      models: this.models.allModels.map((id) => ({
        id,
        available: allowed.includes(id),
        tiers: this.models.tiersOf(id) as Tier[],
      })),
      limits: {
        maxOutputTokens: this.models.maxOutputTokensFor(tier),
        defaultMaxOutputTokens: this.models.defaultMaxOutputTokensFor(tier),
        temperature: { ...TEMPERATURE_RANGE },
        systemInstructionMaxLength: SYSTEM_INSTRUCTION_MAX_LENGTH,
      },
    };
  }
}
