import type { UploadedFile } from '../shared/multipartUpload.js';
import { badRequest, telegramDescriptions } from './telegramErrors.js';

/**
 * Parameters of one Bot API call, whatever the encoding: JSON values stay typed, while urlencoded and
 * multipart values arrive as strings and are coerced here (numbers, booleans, JSON-encoded objects).
 */
export class TelegramParams {
  constructor(
    readonly raw: Record<string, unknown>,
    readonly files: readonly UploadedFile[] = [],
  ) {}

  /** True when the parameter is present and not null. */
  has(name: string): boolean {
    return this.raw[name] !== undefined && this.raw[name] !== null;
  }

  /** A string parameter (numbers are stringified). */
  string(name: string): string | undefined {
    const value = this.raw[name];
    if (value === undefined || value === null) return undefined;
    return typeof value === 'string' ? value : String(value);
  }

  /** An integer parameter; a non-numeric value is a 400. */
  integer(name: string): number | undefined {
    const value = this.raw[name];
    if (value === undefined || value === null || value === '') return undefined;
    const number = typeof value === 'number' ? value : Number(value);
    if (!Number.isInteger(number)) throw badRequest(`Bad Request: invalid ${name} specified`);
    return number;
  }

  /** A boolean parameter ('true'/'1' from forms count as true). */
  boolean(name: string): boolean | undefined {
    const value = this.raw[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'boolean') return value;
    return value === 'true' || value === '1' || value === 1;
  }

  /** An object or array parameter, parsing JSON strings; `label` names it in the 400 description. */
  json<T = unknown>(name: string, label = name): T | undefined {
    const value = this.raw[name];
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string') return value as T;
    try {
      return JSON.parse(value) as T;
    } catch {
      throw badRequest(`Bad Request: can't parse ${label} JSON object`);
    }
  }

  /** The numeric chat_id; usernames (`@name`) are not modelled and answer "chat not found". */
  chatId(): number {
    const value = this.raw.chat_id;
    if (value === undefined || value === null || value === '')
      throw badRequest(telegramDescriptions.chatIdEmpty);
    const number = typeof value === 'number' ? value : Number(value);
    if (!Number.isSafeInteger(number)) throw badRequest(telegramDescriptions.chatNotFound);
    return number;
  }

  /** The uploaded file a media parameter refers to (`attach://<id>` or a part named like the parameter). */
  upload(name: string): UploadedFile | undefined {
    const value = this.string(name);
    const attachId = value?.startsWith('attach://') ? value.slice('attach://'.length) : undefined;
    return this.files.find((file) => file.fieldName === (attachId ?? name));
  }

  /** The parameters as a plain object with JSON-encoded fields (from forms) parsed, for recording. */
  toRecord(): Record<string, unknown> {
    const record: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(this.raw)) {
      record[key] = typeof value === 'string' && jsonFields.has(key) ? tryParse(value) : value;
    }
    return record;
  }
}

/** Parameters the Bot API takes as JSON-serialized objects or arrays. */
const jsonFields = new Set([
  'reply_markup',
  'reply_parameters',
  'link_preview_options',
  'entities',
  'caption_entities',
  'prices',
  'suggested_tip_amounts',
  'allowed_updates',
  'commands',
  'scope',
  'media',
]);

function tryParse(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}
