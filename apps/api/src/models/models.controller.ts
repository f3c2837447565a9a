import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, type AuthenticatedUser } from '../auth/current-user.decorator';
import { Authenticated } from '../common/public.decorator';
import { ModelCatalogResponse } from './dto/model-catalog.dto';
import { ModelsService } from './models.service';

@ApiTags('models')
@Authenticated()
@Controller('models')
export class ModelsController {
  constructor(private readonly models: ModelsService) {}

  @Get()
  @ApiOperation({
    operationId: 'listModels',
    summary: 'The models and generation limits you may choose for a chatroom',
  })
  @ApiOkResponse({ type: ModelCatalogResponse })
  listModels(@CurrentUser() user: AuthenticatedUser): Promise<ModelCatalogResponse> {
    return this.models.catalogFor(user.id);
  }
}
