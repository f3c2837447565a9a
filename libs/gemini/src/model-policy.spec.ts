import { loadConfig } from '@app/config';
import { ModelPolicy } from './model-policy';

const policy = new ModelPolicy(
  loadConfig({
    JWT_SECRET_KEY: 'a-test-secret-that-is-longer-than-32-characters',
    GEMINI_MODEL: 'flash',
    GEMINI_MODELS: 'flash,pro',
    BASIC_MODELS: 'flash',
    GEMINI_MAX_OUTPUT_TOKENS: '2048',
    BASIC_MAX_OUTPUT_TOKENS: '1024',
    PRO_MAX_OUTPUT_TOKENS: '8192',
    GEMINI_SYSTEM_INSTRUCTION: 'Be kind.',
  }).gemini,
);
const unset = { systemInstruction: null, model: null, temperature: null, maxOutputTokens: null };

describe('ModelPolicy', () => {
  it('gives a chatroom without settings the default model, the default instruction and the tier-capped output', () => {
    expect(policy.resolve('basic', unset)).toEqual({
      settings: { model: 'flash', maxOutputTokens: 1024, systemInstruction: 'Be kind.' },
      adjustments: [],
    });
    expect(policy.resolve('pro', unset).settings.maxOutputTokens).toBe(2048);
  });

  it("applies a chatroom's own settings where the tier allows them", () => {
    expect(
      policy.resolve('pro', {
        systemInstruction: 'Be brief.',
        model: 'pro',
        temperature: 0,
        maxOutputTokens: 8000,
      }),
    ).toEqual({
      settings: { model: 'pro', maxOutputTokens: 8000, systemInstruction: 'Be brief.', temperature: 0 },
      adjustments: [],
    });
  });

  it('falls back to the default model and the tier cap after a downgrade, naming each adjustment', () => {
    const { settings, adjustments } = policy.resolve('basic', {
      ...unset,
      model: 'pro',
      maxOutputTokens: 8000,
    });
    expect(settings).toMatchObject({ model: 'flash', maxOutputTokens: 1024 });
    expect(adjustments).toEqual([
      { setting: 'model', requested: 'pro', used: 'flash', reason: 'pro is not available on the basic tier' },
      {
        setting: 'maxOutputTokens',
        requested: 8000,
        used: 1024,
        reason: 'the basic tier allows at most 1024 output tokens',
      },
    ]);
  });

  it('tells unknown models from models of another tier, and output caps above the tier', () => {
    expect(policy.violations('basic', { model: 'ultra', maxOutputTokens: null })).toEqual([
      { kind: 'unknownModel', model: 'ultra', models: ['flash', 'pro'] },
    ]);
    expect(policy.violations('basic', { model: 'pro', maxOutputTokens: 2000 })).toEqual([
      { kind: 'modelNotInTier', model: 'pro', tier: 'basic' },
      { kind: 'maxOutputTokensTooHigh', requested: 2000, max: 1024, tier: 'basic' },
    ]);
    expect(policy.violations('pro', { model: 'pro', maxOutputTokens: 8192 })).toEqual([]);
    expect(policy.tiersOf('pro')).toEqual(['pro']);
    expect(policy.tiersOf('flash')).toEqual(['basic', 'pro']);
  });
});
