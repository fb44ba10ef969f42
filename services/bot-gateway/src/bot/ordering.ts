import {
  deterministicEventId,
  newEvent,
  requestOf,
  streamIds,
  styleTemplates,
  summarizeJob,
} from '@neurocards/contracts';
import { isExpectedVersionConflict } from '@neurocards/runtime/event-store';
import type { PoolClient } from 'pg';
import {
  acceptCount,
  acceptDescription,
  acceptPhoto,
  acceptStyle,
  acceptWishes,
  again,
  type Conversation,
  completeDraft,
  ordered,
  type PhotoRef,
  startDraft,
  type TextVerdict,
} from '../domain/conversation.js';
import type { BotContext, GatewayDeps, Screen } from './context.js';
import {
  askDescription,
  askPhoto,
  askWishes,
  chooseCount,
  chooseStyle,
  confirmOrder,
  mainMenu,
} from './screens.js';

type Reply = Screen | string | undefined;

/**
 * The order, step by step (DESIGN §1): photo → description → style → wishes → count → confirmation →
 * GenerationRequested. Each step is one turn of the chat's conversation (adapters/conversations.ts); the
 * replies go out after the turn commits.
 */
export class Ordering {
  constructor(private readonly deps: GatewayDeps) {}

  start(ctx: BotContext) {
    return this.turn(ctx, async (state) => {
      const next = startDraft(state);
      return { state: next, reply: askPhoto(ctx.t, requireDraft(next)) };
    });
  }

  photo(ctx: BotContext, photo: PhotoRef, caption: string | undefined) {
    return this.turn(ctx, async (state) => {
      const next = acceptPhoto(state, photo, caption);
      const draft = requireDraft(next);
      const reply =
        next.step === 'style' ? chooseStyle(ctx.t, draft, this.language(ctx)) : askDescription(ctx.t, draft);
      return { state: next, reply };
    });
  }

  text(ctx: BotContext, text: string) {
    return this.turn(ctx, async (state) => {
      switch (state.step) {
        case 'description':
          return this.afterText(ctx, acceptDescription(state, text), 'description-too-long', (next) =>
            chooseStyle(ctx.t, requireDraft(next), this.language(ctx)),
          );
        case 'wishes':
          return this.afterText(ctx, acceptWishes(state, text), 'wishes-too-long', (next) =>
            chooseCount(ctx.t, requireDraft(next), this.deps.config.CREDITS_PER_VIDEO),
          );
        case 'photo':
          return { reply: ctx.t('unsupported-message', { hint: ctx.t('hint-photo') }) };
        case 'style':
        case 'count':
        case 'confirm':
          return { reply: ctx.t('hint-buttons') };
        default:
          return { reply: mainMenu(ctx.t) };
      }
    });
  }

  style(ctx: BotContext, draftId: string, templateId: string) {
    return this.turn(ctx, async (state) => {
      if (!this.current(state, draftId, 'style')) return { stale: true };
      const next = acceptStyle(state, templateId);
      if (!next) return { stale: true };
      return { state: next, reply: askWishes(ctx.t, requireDraft(next)) };
    });
  }

  skipWishes(ctx: BotContext, draftId: string) {
    return this.turn(ctx, async (state) => {
      if (!this.current(state, draftId, 'wishes')) return { stale: true };
      return this.afterText(ctx, acceptWishes(state, null), 'wishes-too-long', (next) =>
        chooseCount(ctx.t, requireDraft(next), this.deps.config.CREDITS_PER_VIDEO),
      );
    });
  }

  count(ctx: BotContext, draftId: string, count: number) {
    return this.turn(ctx, async (state, client) => {
      // The count can also be changed from the confirmation when the balance is short.
      if (!this.current(state, draftId, 'count') && !this.current(state, draftId, 'confirm'))
        return { stale: true };
      const next = acceptCount(state, count);
      const draft = completeDraft(next?.draft);
      if (!next || !draft) return { stale: true };
      return { state: next, reply: await this.confirmation(ctx, draft, client) };
    });
  }

  /** Confirm: the order goes out once, however often the button is pressed and on whichever replica. */
  confirm(ctx: BotContext, draftId: string) {
    const { config, readModels } = this.deps;
    return this.turn(ctx, async (state, client) => {
      if (state.lastOrder === draftId) return { reply: ctx.t('order-already-started') };
      const draft = this.current(state, draftId, 'confirm') ? completeDraft(state.draft) : undefined;
      if (!draft) return { stale: true };
      const userId = this.userId(ctx);
      const active = await readModels.activeJobs(userId, client);
      if (active + draft.count > config.MAX_ACTIVE_JOBS)
        return { reply: ctx.t('too-many-jobs', { count: active, max: config.MAX_ACTIVE_JOBS }) };
      const cost = draft.count * config.CREDITS_PER_VIDEO;
      if ((await readModels.available(userId, client)) < cost)
        return { reply: await this.confirmation(ctx, draft, client) };
      await this.placeOrder(ctx, draft, client);
      return { state: ordered(state), reply: ctx.t('order-started', { count: draft.count }) };
    });
  }

  cancel(ctx: BotContext, draftId: string) {
    return this.turn(ctx, async (state) => {
      if (state.draft?.id !== draftId || state.step === 'idle') return { stale: true };
      return {
        state: { step: 'idle', lastOrder: state.lastOrder },
        reply: mainMenu(ctx.t, ctx.t('order-cancelled')),
      };
    });
  }

  /** "Another one with this product" (and "Try again" after a failure): the style choice, same photo and text. */
  another(ctx: BotContext, jobId: string) {
    return this.turn(ctx, async (state, client) => {
      const job = summarizeJob(await this.deps.store.readStream(streamIds.job(jobId), { client }));
      if (!job.request || job.request.data.userId !== this.userId(ctx)) return { stale: true };
      const { photo, product } = job.request.data;
      const next = again(state, photo, product);
      return { state: next, reply: chooseStyle(ctx.t, requireDraft(next), this.language(ctx)) };
    });
  }

  /** "Send it again" under a failed delivery: delivery tries the made video once more, free of charge. */
  async resend(ctx: BotContext, jobId: string): Promise<string> {
    const { store } = this.deps;
    const job = summarizeJob(await store.readStream(streamIds.job(jobId)));
    if (!job.request || job.request.data.userId !== this.userId(ctx)) return ctx.t('old-button');
    if (!job.deliveryFailed || job.redelivered) return ctx.t('resend-unavailable');
    const { userId } = requestOf(job).data;
    try {
      await store.append(
        streamIds.job(jobId),
        [newEvent('DeliveryRetryRequested', { jobId, userId }, { correlationId: jobId })],
        { expectedVersion: job.version },
      );
    } catch (error) {
      if (!isExpectedVersionConflict(error)) throw error; // pressed twice at once: one request is enough
    }
    return ctx.t('resend-started');
  }

  private async placeOrder(
    ctx: BotContext,
    draft: NonNullable<ReturnType<typeof completeDraft>>,
    client: PoolClient,
  ) {
    const { config, store, logger } = this.deps;
    const chatId = this.chatId(ctx);
    const userId = this.userId(ctx);
    // Ids from the draft: the same confirmation can only ever make the same jobs.
    const orderId = deterministicEventId('order', chatId, draft.id);
    const jobIds = Array.from({ length: draft.count }, (_, i) =>
      deterministicEventId('job', chatId, draft.id, i),
    );
    for (const jobId of jobIds) {
      const request = newEvent(
        'GenerationRequested',
        {
          jobId,
          orderId,
          orderJobIds: jobIds,
          userId,
          chatId,
          language: this.language(ctx),
          photo: draft.photo,
          product: draft.product,
          templateId: draft.templateId,
          wishes: draft.wishes,
          model: config.KIE_MODEL,
          cost: config.CREDITS_PER_VIDEO,
        },
        { correlationId: orderId, eventId: deterministicEventId('generation-requested', jobId) },
      );
      await store.append(streamIds.job(jobId), [request], { expectedVersion: 'no_stream', client });
    }
    logger.info({ orderId, userId, jobs: jobIds.length }, 'order placed');
  }

  private async confirmation(
    ctx: BotContext,
    draft: NonNullable<ReturnType<typeof completeDraft>>,
    client: PoolClient,
  ) {
    const { config, readModels } = this.deps;
    const template = styleTemplates.find((t) => t.id === draft.templateId);
    return confirmOrder(ctx.t, draft, {
      styleName: template?.name[this.language(ctx)] ?? draft.templateId,
      cost: draft.count * config.CREDITS_PER_VIDEO,
      balance: await readModels.available(this.userId(ctx), client),
    });
  }

  private afterText(
    ctx: BotContext,
    verdict: TextVerdict,
    tooLong: 'description-too-long' | 'wishes-too-long',
    next: (state: Conversation) => Screen,
  ): Step {
    if (verdict.ok) return { state: verdict.state, reply: next(verdict.state) };
    const key = verdict.problem === 'too_short' ? 'description-too-short' : tooLong;
    return { reply: ctx.t(key, { length: verdict.length, max: verdict.max }) };
  }

  private current(state: Conversation, draftId: string, step: Conversation['step']): boolean {
    return state.step === step && state.draft?.id === draftId;
  }

  /** Runs one turn and sends its reply; a stale button gets "from an old message". */
  private async turn(
    ctx: BotContext,
    decide: (state: Conversation, client: PoolClient) => Promise<Step>,
  ): Promise<void> {
    const outcome = await this.deps.conversations.turn(
      this.chatId(ctx),
      this.userId(ctx),
      async (state, client) => {
        const step = await decide(state, client);
        return { state: step.state, result: step };
      },
    );
    if (outcome.stale) {
      if (ctx.callbackQuery) await ctx.answerCallbackQuery({ text: ctx.t('old-button') });
      return;
    }
    if (ctx.callbackQuery) await ctx.answerCallbackQuery();
    await send(ctx, outcome.reply);
  }

  private language(ctx: BotContext) {
    return ctx.seller?.language ?? 'ru';
  }

  private chatId(ctx: BotContext): number {
    const id = ctx.chat?.id;
    if (id === undefined) throw new Error('update without a chat');
    return id;
  }

  private userId(ctx: BotContext): number {
    const id = ctx.from?.id;
    if (id === undefined) throw new Error('update without a sender');
    return id;
  }
}

interface Step {
  state?: Conversation;
  reply?: Reply;
  /** The button belongs to an older message (or an order already placed). */
  stale?: boolean;
}

export async function send(ctx: BotContext, reply: Reply): Promise<void> {
  if (reply === undefined) return;
  const screen = typeof reply === 'string' ? { text: reply } : reply;
  await ctx.reply(screen.text, { reply_markup: screen.keyboard });
}

function requireDraft(state: Conversation) {
  if (!state.draft) throw new Error(`step ${state.step} without a draft`);
  return state.draft;
}
