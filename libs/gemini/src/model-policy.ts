import { AppConfig, TierName } from '@app/config';

/** A chatroom's own generation settings, as stored: null means "the default". */
export interface ChatroomGenerationSettings {
  systemInstruction: string | null;
  model: string | null;
  temperature: number | null;
  maxOutputTokens: number | null;
}

/** What one reply is generated with. */
export interface GenerationSettings {
  model: string;
  systemInstruction?: string;
  temperature?: number;
  maxOutputTokens: number;
}

/** Why the settings a reply uses differ from what its chatroom asks for. */
export interface SettingsAdjustment {
  setting: 'model' | 'maxOutputTokens';
  requested: string | number;
  used: string | number;
  reason: string;
}

export const TEMPERATURE_RANGE = { min: 0, max: 2 } as const;

/** Why a chatroom may not be set to these settings by a user of this tier. */
export type SettingsViolation =
  | { kind: 'unknownModel'; model: string; models: string[] }
  | { kind: 'modelNotInTier'; model: string; tier: TierName }
  | { kind: 'maxOutputTokensTooHigh'; requested: number; max: number; tier: TierName };

/**
 * Which models and limits each tier may use (configuration), and what a reply is generated with: the chatroom's
 * settings where its owner's tier allows them, the configured defaults otherwise. A chatroom keeps its settings when
 * its owner moves to a lower tier; its replies then use what the tier allows, and say which setting was adjusted.
 */
export class ModelPolicy {
  constructor(private readonly config: AppConfig['gemini']) {}

  get defaultModel(): string {
    return this.config.model;
  }

  get allModels(): string[] {
    return this.config.models;
  }

  modelsFor(tier: TierName): string[] {
    return this.config.tierModels[tier];
  }

  tiersOf(model: string): TierName[] {
    return (Object.keys(this.config.tierModels) as TierName[]).filter((tier) =>
      this.config.tierModels[tier].includes(model),
    );
  }

  maxOutputTokensFor(tier: TierName): number {
    return this.config.tierMaxOutputTokens[tier];
  }

  /** The output cap of a reply whose chatroom sets none. */
  defaultMaxOutputTokensFor(tier: TierName): number {
    return Math.min(this.config.maxOutputTokens, this.maxOutputTokensFor(tier));
  }

  /** Settings a user of `tier` may not choose; empty when they may. Null values (defaults) are always allowed. */
  violations(
    tier: TierName,
    settings: Pick<ChatroomGenerationSettings, 'model' | 'maxOutputTokens'>,
  ): SettingsViolation[] {
    const violations: SettingsViolation[] = [];
    const { model, maxOutputTokens } = settings;
    if (model !== null && !this.config.models.includes(model)) {
      violations.push({ kind: 'unknownModel', model, models: this.config.models });
    } else if (model !== null && !this.modelsFor(tier).includes(model)) {
      violations.push({ kind: 'modelNotInTier', model, tier });
    }
    if (maxOutputTokens !== null && maxOutputTokens > this.maxOutputTokensFor(tier)) {
      violations.push({
        kind: 'maxOutputTokensTooHigh',
        requested: maxOutputTokens,
        max: this.maxOutputTokensFor(tier),
        tier,
      });
    }
    return violations;
  }

  /** What a reply in a chatroom with `settings`, owned by a user of `tier`, is generated with. */
  resolve(
    tier: TierName,
    settings: ChatroomGenerationSettings,
  ): { settings: GenerationSettings; adjustments: SettingsAdjustment[] } {
    const adjustments: SettingsAdjustment[] = [];
    let model = settings.model ?? this.config.model;
    if (!this.modelsFor(tier).includes(model)) {
      adjustments.push({
        setting: 'model',
        requested: model,
        used: this.config.model,
        reason: `${model} is not available on the ${tier} tier`,
      });
      model = this.config.model;
    }
    const tierMax = this.maxOutputTokensFor(tier);
    let maxOutputTokens = settings.maxOutputTokens ?? this.defaultMaxOutputTokensFor(tier);
    if (maxOutputTokens > tierMax) {
      adjustments.push({
        setting: 'maxOutputTokens',
        requested: maxOutputTokens,
        used: tierMax,
        reason: `the ${tier} tier allows at most ${tierMax} output tokens`,
      });
      maxOutputTokens = tierMax;
    }
    const systemInstruction = settings.systemInstruction ?? this.config.systemInstruction;
    return {
      settings: {
        model,
        maxOutputTokens,
        ...(systemInstruction ? { systemInstruction } : {}),
        ...(settings.temperature !== null ? { temperature: settings.temperature } : {}),
      },
      adjustments,
    };
  }
}
