import { badRequest, telegramDescriptions } from './telegramErrors.js';
import type { MethodHandler } from './telegramState.js';

function allowedUpdatesOf(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((type) => typeof type === 'string')) {
    throw badRequest("Bad Request: can't parse allowed updates JSON object");
  }
  return value;
}

/** getUpdates, setWebhook, deleteWebhook and getWebhookInfo. */
export const updateMethods: Record<string, MethodHandler> = {
  getUpdates: (state, { params, res }) => {
    const allowedUpdates = allowedUpdatesOf(params.json('allowed_updates', 'allowed updates'));
    const request: { offset?: number; limit?: number; timeout?: number; allowedUpdates?: string[] } = {};
    const offset = params.integer('offset');
    if (offset !== undefined) request.offset = offset;
    const limit = params.integer('limit');
    if (limit !== undefined) request.limit = limit;
    const timeout = params.integer('timeout');
    if (timeout !== undefined) request.timeout = timeout;
    if (allowedUpdates) request.allowedUpdates = allowedUpdates;
    return state.updates.getUpdates(request, res);
  },

  setWebhook: (state, { params }) => {
    const url = params.string('url') ?? '';
    const dropPending = params.boolean('drop_pending_updates') ?? false;
    if (url === '') {
      state.updates.deleteWebhook(dropPending);
      return true;
    }
    if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
      throw badRequest(telegramDescriptions.badWebhookUrl);
    }
    const secretToken = params.string('secret_token');
    if (secretToken !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(secretToken)) {
      throw badRequest(telegramDescriptions.secretTokenInvalid);
    }
    const maxConnections = params.integer('max_connections') ?? 40;
    if (maxConnections < 1 || maxConnections > 100)
      throw badRequest('Bad Request: invalid max_connections specified');
    const allowedUpdates = allowedUpdatesOf(params.json('allowed_updates', 'allowed updates'));
    state.updates.setWebhook(
      secretToken === undefined ? { url, maxConnections } : { url, maxConnections, secretToken },
      allowedUpdates,
      dropPending,
    );
    return true;
  },

  deleteWebhook: (state, { params }) => {
    state.updates.deleteWebhook(params.boolean('drop_pending_updates') ?? false);
    return true;
  },

  getWebhookInfo: (state) => state.updates.webhookInfo(),
};
