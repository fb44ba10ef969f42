import { type EventEnvelope, newEvent, streamIds } from '@neurocards/contracts';
import { isExpectedVersionConflict } from '@neurocards/runtime/event-store';
import type { BotContext, GatewayDeps } from './context.js';

// Admin commands (ADMIN_TELEGRAM_IDS only). Every action is an event that carries the admin's id; the
// services that own the money (billing) decide what happens to it.

const ID = /^\d{1,16}$/;

export class Admin {
  constructor(private readonly deps: GatewayDeps) {}

  help(ctx: BotContext) {
    return ctx.reply(ctx.t('admin-help'));
  }

  /** /grant <userId> <credits> [reason] → CreditsGrantRequested (billing grants). */
  async grant(ctx: BotContext, args: string[]) {
    const [user = '', amount = '', ...reason] = args;
    const credits = Number(amount);
    if (!ID.test(user) || !Number.isInteger(credits) || credits < 1 || credits > 100_000)
      return this.usage(ctx, '/grant <id> <1..100000> [reason]');
    const userId = Number(user);
    if (!(await this.deps.sellers.find(userId)))
      return ctx.reply(ctx.t('admin-no-user', { userId: idText(userId) }));
    await this.deps.store.append(
      streamIds.user(userId),
      [
        newEvent(
          'CreditsGrantRequested',
          {
            userId,
            adminId: this.adminId(ctx),
            amount: credits,
            reason: reason.join(' ').slice(0, 500) || 'admin grant',
          },
          { correlationId: streamIds.user(userId) },
        ),
      ],
      { expectedVersion: 'any' },
    );
    return ctx.reply(ctx.t('admin-granted', { count: credits, userId: idText(userId) }));
  }

  async user(ctx: BotContext, args: string[]) {
    const [user = ''] = args;
    if (!ID.test(user)) return this.usage(ctx, '/user <id>');
    const userId = Number(user);
    const summary = await this.deps.readModels.user(userId);
    const seller = await this.deps.sellers.find(userId);
    if (!summary && !seller) return ctx.reply(ctx.t('admin-no-user', { userId: idText(userId) }));
    return ctx.reply(
      ctx.t('admin-user', {
        userId: idText(userId),
        username: summary?.username ?? '-',
        name: summary?.firstName ?? '-',
        language: seller?.language ?? summary?.language ?? '-',
        balance: summary?.balance ?? 0,
        reserved: summary?.reserved ?? 0,
        jobs: summary?.jobsTotal ?? 0,
        delivered: summary?.jobsDelivered ?? 0,
        failed: summary?.jobsFailed ?? 0,
        purchases: summary?.purchases ?? 0,
        stars: summary?.starsPaid ?? 0,
        since: summary?.firstSeen.toISOString().slice(0, 10) ?? '-',
        banned: seller?.banned ? 'yes' : 'no',
      }),
    );
  }

  async ban(ctx: BotContext, args: string[]) {
    const [user = '', ...reason] = args;
    if (!ID.test(user)) return this.usage(ctx, '/ban <id> [reason]');
    const userId = Number(user);
    if (!(await this.deps.sellers.find(userId)))
      return ctx.reply(ctx.t('admin-no-user', { userId: idText(userId) }));
    await this.deps.sellers.ban(
      userId,
      this.adminId(ctx),
      reason.join(' ').slice(0, 500) || 'banned by an admin',
    );
    return ctx.reply(ctx.t('admin-banned', { userId: idText(userId) }));
  }

  async unban(ctx: BotContext, args: string[]) {
    const [user = ''] = args;
    if (!ID.test(user)) return this.usage(ctx, '/unban <id>');
    const userId = Number(user);
    if (!(await this.deps.sellers.find(userId)))
      return ctx.reply(ctx.t('admin-no-user', { userId: idText(userId) }));
    await this.deps.sellers.unban(userId, this.adminId(ctx));
    return ctx.reply(ctx.t('admin-unbanned', { userId: idText(userId) }));
  }

  /** /refund <chargeId> → PaymentRefundRequested; billing debits the credits, then the Stars go back. */
  async refund(ctx: BotContext, args: string[]) {
    const [chargeId = ''] = args;
    if (!/^[\w-]{1,256}$/.test(chargeId)) return this.usage(ctx, '/refund <charge_id>');
    const { store } = this.deps;
    const stream = await store.readStream(streamIds.payment(chargeId));
    const received = stream.find(
      (event): event is EventEnvelope<'PaymentReceived'> => event.type === 'PaymentReceived',
    );
    if (!received) return ctx.reply(ctx.t('admin-no-payment', { chargeId }));
    const { userId, stars } = received.data;
    try {
      await store.append(
        streamIds.payment(chargeId),
        [
          newEvent(
            'PaymentRefundRequested',
            { userId, chargeId, adminId: this.adminId(ctx) },
            { causedBy: received },
          ),
        ],
        { expectedVersion: stream.length },
      );
    } catch (error) {
      if (!isExpectedVersionConflict(error)) throw error;
    }
    return ctx.reply(ctx.t('admin-refund-requested', { chargeId, stars, userId: idText(userId) }));
  }

  async stats(ctx: BotContext) {
    const day = new Date().toISOString().slice(0, 10);
    const stats = await this.deps.readModels.day(day);
    return ctx.reply(ctx.t('admin-stats', { day, ...stats }));
  }

  private usage(ctx: BotContext, usage: string) {
    return ctx.reply(ctx.t('admin-usage', { usage }));
  }

  private adminId(ctx: BotContext): number {
    const id = ctx.from?.id;
    if (id === undefined) throw new Error('admin command without a sender');
    return id;
  }
}

/** An id as text: Fluent would write a number with digit grouping (1,234,567), which cannot be pasted back. */
function idText(id: number): string {
  return String(id);
}
