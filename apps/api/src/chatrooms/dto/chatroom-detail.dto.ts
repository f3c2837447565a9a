import { GenerationSettings, SettingsAdjustment } from '@app/gemini';
import { ApiProperty } from '@nestjs/swagger';
import { PathMessageResponse } from '../../messages/dto/message.dto';
import { ChatroomResponse } from './chatroom.dto';

export class SettingsAdjustmentResponse {
  @ApiProperty({ enum: ['model', 'maxOutputTokens'], example: 'model' })
  setting!: 'model' | 'maxOutputTokens';

  @ApiProperty({ example: 'gemini-2.5-pro', description: 'What the chatroom asks for' })
  requested!: string;

  @ApiProperty({ example: 'gemini-2.5-flash', description: 'What its replies use instead' })
  used!: string;

  @ApiProperty({ example: 'gemini-2.5-pro is not available on the basic tier' })
  reason!: string;
}

/** What the chatroom's next reply is generated with, given its settings and its owner's tier today. */
export class ChatroomGenerationResponse {
  @ApiProperty({ example: 'gemini-2.5-flash' })
  model!: string;

  @ApiProperty({ example: 2048 })
  maxOutputTokens!: number;

  @ApiProperty({ type: Number, nullable: true, example: 0.7, description: "Null: the model's default" })
  temperature!: number | null;

  @ApiProperty({ description: "True when a system instruction (the chatroom's or the server's) is sent" })
  hasSystemInstruction!: boolean;

  @ApiProperty({
    type: [SettingsAdjustmentResponse],
    description:
      "Settings the chatroom asks for that its owner's tier does not allow (after a downgrade, say), and what is " +
      'used instead; empty when the settings apply as set',
  })
  adjustments!: SettingsAdjustmentResponse[];

  static from(resolved: {
    settings: GenerationSettings;
    adjustments: SettingsAdjustment[];
  }): ChatroomGenerationResponse {
    return {
      model: resolved.settings.model,
      maxOutputTokens: resolved.settings.maxOutputTokens,
      temperature: resolved.settings.temperature ?? null,
      hasSystemInstruction: Boolean(resolved.settings.systemInstruction),
      adjustments: resolved.adjustments.map((adjustment) => ({
        setting: adjustment.setting,
        requested: String(adjustment.requested),
        used: String(adjustment.used),
        reason: adjustment.reason,
      })),
    };
  }
}

export class ChatroomDetailResponse extends ChatroomResponse {
  @ApiProperty({ type: ChatroomGenerationResponse })
  generation!: ChatroomGenerationResponse;

  @ApiProperty({
    type: [PathMessageResponse],
    description: 'The most recent messages of the active branch, oldest first',
  })
  recentMessages!: PathMessageResponse[];
}
