import type { I18n, I18nFlavor } from '@grammyjs/i18n';
import type { EventStore } from '@neurocards/runtime/event-store';
import type { Logger } from '@neurocards/runtime/shell';
import type { Context } from 'grammy';
import type { InlineKeyboardMarkup } from 'grammy/types';
import type { Pool } from 'pg';
import type { Conversations } from '../adapters/conversations.js';
import type { FloodGuard } from '../adapters/flood-guard.js';
import type { ReadModels } from '../adapters/read-models.js';
import type { Seller, Sellers } from '../adapters/sellers.js';
import type { GatewayConfig } from '../config.js';

/** Everything the bot's handlers use, made once per process. */
export interface GatewayDeps {
  config: GatewayConfig;
  pool: Pool;
  store: EventStore;
  logger: Logger;
  sellers: Sellers;
  conversations: Conversations;
  readModels: ReadModels;
  flood: FloodGuard;
  i18n: I18n<BotContext>;
}

/** grammY's context with the translator, and the seller behind the update once identified. */
export type BotContext = Context &
  I18nFlavor & {
    seller?: Seller & { registeredNow: boolean };
    isAdmin: boolean;
  };

/** A message the bot sends: text and, usually, buttons. */
export interface Screen {
  text: string;
  keyboard?: InlineKeyboardMarkup;
}
