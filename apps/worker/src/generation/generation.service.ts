import { APP_CONFIG, AppConfig } from '@app/config';
import { GeminiClient, GeminiError, ModelPolicy } from '@app/gemini';
import { ReplyLifecycle, toContents } from '@app/replies';
import { Inject, Injectable } from '@nestjs/common';
import { WorkerMetrics } from '../metrics/worker-metrics';
import { CancellationRegistry } from './cancellation.registry';

export type GenerationResult = 'completed' | 'failed' | 'cancelled' | 'skipped';

/**
 * Generates one claimed reply: sends its context to Gemini with its chatroom's settings (as its owner's tier allows
 * them), streams the text through the reply engine and stores the outcome, with a generated title for a chatroom
 * that still has its default one. The engine makes every final write conditional on the reply's state, so a
 * cancelled or deleted reply is never overwritten and a replayed job changes nothing once the reply is final.
 */
@Injectable()
export class GenerationService {
  constructor(
    private readonly replies: ReplyLifecycle,
    private readonly gemini: GeminiClient,
    private readonly models: ModelPolicy,
    private readonly cancellations: CancellationRegistry,
    private readonly metrics: WorkerMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Throws a retryable GeminiError when another attempt may succeed and `isLastAttempt` is false; otherwise records
   * the failure on the reply and returns.
   */
  async generate(replyId: string, isLastAttempt: boolean): Promise<GenerationResult> {
    const claimed = await this.replies.claim(replyId, this.config.gemini.historyCharBudget);
    if (!claimed) return 'skipped';
    const { settings } = this.models.resolve(claimed.ownerTier, claimed.settings);
    // Under a token budget the reply may not write more than it reserved when it was accepted.
    if (claimed.reservedTokens !== null) {
      settings.maxOutputTokens = Math.min(settings.maxOutputTokens, claimed.reservedTokens);
    }

    const controller = this.cancellations.track(replyId);
    const deadline = setTimeout(() => controller.abort('deadline'), this.config.gemini.timeoutMs);
    let text = '';
    try {
      const outcome = await this.gemini.streamReply(
        toContents(claimed.context),
        settings,
        async (chunk) => {
          text += chunk.text;
          // A sealed stream means the reply was cancelled or deleted: stop paying for tokens nobody will see.
          if (!(await this.replies.recordDelta(replyId, chunk.text))) controller.abort('cancelled');
        },
        controller.signal,
        () => (controller.signal.reason === 'cancelled' ? 'cancelled' : 'deadline'),
      );
      const title =
        claimed.wantsTitle && this.config.gemini.titles.enabled
          ? await this.gemini.suggestTitle({ prompt: claimed.prompt, reply: text })
          : undefined;
      const completed = await this.replies.complete(
        replyId,
        text,
        { ...outcome, model: settings.model },
        title,
      );
      if (!completed) return 'cancelled';
      this.metrics.countStoredTokens(
        { model: settings.model, tier: claimed.ownerTier },
        {
          prompt: outcome.promptTokens,
          output: outcome.outputTokens,
          thinking: outcome.thinkingTokens,
          system: title?.tokens,
        },
      );
      return 'completed';
    } catch (error) {
      // Whoever cancelled or deleted the reply has already settled it and ended its stream.
      if (controller.signal.reason === 'cancelled') return 'cancelled';
      // Anything else (PostgreSQL or Redis down) is the job's to retry; see ReplyWorker.
      if (!(error instanceof GeminiError)) throw error;
      if (error.retryable && !isLastAttempt) throw error;
      await this.replies.fail(
        replyId,
        { code: error.code, message: error.message },
        { text, model: settings.model },
      );
      return 'failed';
    } finally {
      clearTimeout(deadline);
      this.cancellations.release(replyId);
    }
  }
}
