import { randomBytes } from 'node:crypto';
import { PRODUCT_DESCRIPTION_MAX, styleTemplates, WISHES_MAX } from '@neurocards/contracts';
import { z } from 'zod';

// Where a chat's conversation stands: a step and, while an order is being put together, its draft. Pure: the
// adapters load and store it (gateway.conversations), the bot renders it.

export const ORDER_SIZES = [1, 2, 3, 5] as const;
export const PRODUCT_MIN = 3;

const photoSchema = z.object({
  fileId: z.string().min(1).max(512),
  fileUniqueId: z.string().min(1).max(128),
});
export type PhotoRef = z.infer<typeof photoSchema>;

const draftSchema = z.object({
  /** Changes with every new draft: buttons carry it, so a button of an older message is recognised. */
  id: z.string().regex(/^[A-Za-z0-9_-]{8,16}$/),
  photo: photoSchema.optional(),
  product: z.string().max(PRODUCT_DESCRIPTION_MAX).optional(),
  templateId: z.string().optional(),
  wishes: z.string().max(WISHES_MAX).nullable().optional(),
  count: z.number().int().optional(),
});
export type Draft = z.infer<typeof draftSchema>;

export const conversationSchema = z.object({
  step: z.enum(['idle', 'photo', 'description', 'style', 'wishes', 'count', 'confirm']),
  draft: draftSchema.optional(),
  /** The draft id of the last order placed here: a second tap on its Confirm says "already started". */
  lastOrder: z.string().optional(),
});
export type Conversation = z.infer<typeof conversationSchema>;
export type Step = Conversation['step'];

export const idle: Conversation = { step: 'idle' };

/** Reads a stored state; anything unreadable (an older shape) starts afresh rather than failing the update. */
export function readConversation(stored: unknown): Conversation {
  const parsed = conversationSchema.safeParse(stored);
  return parsed.success ? parsed.data : idle;
}

export const newDraftId = (): string => randomBytes(9).toString('base64url');

/** "Create a video": a fresh draft waiting for its photo. */
export function startDraft(state: Conversation): Conversation {
  return { ...state, step: 'photo', draft: { id: newDraftId() } };
}

/** A photo starts a draft at any step (and, with a caption, describes the product too). */
export function acceptPhoto(state: Conversation, photo: PhotoRef, caption?: string): Conversation {
  const id = state.step === 'photo' && state.draft ? state.draft.id : newDraftId();
  const draft: Draft = { id, photo };
  const product = caption?.trim();
  if (product && product.length >= PRODUCT_MIN && product.length <= PRODUCT_DESCRIPTION_MAX)
    return { ...state, step: 'style', draft: { ...draft, product } };
  return { ...state, step: 'description', draft };
}

export type TextVerdict =
  | { ok: true; state: Conversation }
  | { ok: false; problem: 'too_long' | 'too_short'; length: number; max: number };

export function acceptDescription(state: Conversation, text: string): TextVerdict {
  const product = text.trim().replace(/\s+/g, ' ');
  if (product.length > PRODUCT_DESCRIPTION_MAX)
    return { ok: false, problem: 'too_long', length: product.length, max: PRODUCT_DESCRIPTION_MAX };
  if (product.length < PRODUCT_MIN)
    return { ok: false, problem: 'too_short', length: product.length, max: PRODUCT_DESCRIPTION_MAX };
  return { ok: true, state: { ...state, step: 'style', draft: { ...requireDraft(state), product } } };
}

export function acceptStyle(state: Conversation, templateId: string): Conversation | undefined {
  if (!styleTemplates.some((template) => template.id === templateId)) return undefined;
  return { ...state, step: 'wishes', draft: { ...requireDraft(state), templateId } };
}

export function acceptWishes(state: Conversation, text: string | null): TextVerdict {
  const wishes = text === null ? null : text.trim();
  if (wishes !== null && wishes.length > WISHES_MAX)
    return { ok: false, problem: 'too_long', length: wishes.length, max: WISHES_MAX };
  return {
    ok: true,
    state: { ...state, step: 'count', draft: { ...requireDraft(state), wishes: wishes || null } },
  };
}

export function acceptCount(state: Conversation, count: number): Conversation | undefined {
  if (!(ORDER_SIZES as readonly number[]).includes(count)) return undefined;
  return { ...state, step: 'confirm', draft: { ...requireDraft(state), count } };
}

/** "Another one with this product": straight to the style choice with the same photo and description. */
export function again(state: Conversation, photo: PhotoRef, product: string): Conversation {
  return { ...state, step: 'style', draft: { id: newDraftId(), photo, product } };
}

/** The order went out: the conversation is idle again, and remembers which draft it was. */
export function ordered(state: Conversation): Conversation {
  return { step: 'idle', lastOrder: state.draft?.id };
}

/** A complete draft, ready to order; undefined while something is missing. */
export function completeDraft(draft: Draft | undefined) {
  if (!draft?.photo || !draft.product || !draft.templateId || draft.wishes === undefined || !draft.count)
    return undefined;
  return {
    ...draft,
    photo: draft.photo,
    product: draft.product,
    templateId: draft.templateId,
    wishes: draft.wishes,
    count: draft.count,
  };
}

function requireDraft(state: Conversation): Draft {
  return state.draft ?? { id: newDraftId() };
}
