import { PRODUCT_DESCRIPTION_MAX, styleTemplates, WISHES_MAX } from '@neurocards/contracts';
import { describe, expect, it } from 'vitest';
import { callbacks, parseCallback } from './callbacks.js';
import {
  acceptCount,
  acceptDescription,
  acceptPhoto,
  acceptStyle,
  acceptWishes,
  completeDraft,
  idle,
  ordered,
  readConversation,
  startDraft,
} from './conversation.js';

const photo = { fileId: 'AgACAgIAAxkBAAI', fileUniqueId: 'AQADsrs' };

describe('the conversation', () => {
  it('goes from a photo to a complete draft, one step at a time', () => {
    let state = startDraft(idle);
    expect(state.step).toBe('photo');
    const draftId = state.draft?.id;
    state = acceptPhoto(state, photo);
    expect(state).toMatchObject({ step: 'description', draft: { id: draftId, photo } });
    const described = acceptDescription(state, '  Steel   thermos,\n500 ml ');
    if (!described.ok) throw new Error('refused');
    state = described.state;
    expect(state.draft?.product).toBe('Steel thermos, 500 ml');
    state = acceptStyle(state, 'studio') ?? state;
    const wished = acceptWishes(state, 'warm light');
    if (!wished.ok) throw new Error('refused');
    state = acceptCount(wished.state, 3) ?? wished.state;
    expect(state.step).toBe('confirm');
    expect(completeDraft(state.draft)).toMatchObject({
      id: draftId,
      photo,
      product: 'Steel thermos, 500 ml',
      templateId: 'studio',
      wishes: 'warm light',
      count: 3,
    });
    expect(ordered(state)).toEqual({ step: 'idle', lastOrder: draftId });
  });

  it('a captioned photo describes the product at once; a photo mid-draft starts a new draft', () => {
    const withCaption = acceptPhoto(idle, photo, 'Linen tote bag');
    expect(withCaption).toMatchObject({ step: 'style', draft: { product: 'Linen tote bag' } });
    const fresh = acceptPhoto(withCaption, photo);
    expect(fresh.step).toBe('description');
    expect(fresh.draft?.id).not.toBe(withCaption.draft?.id);
  });

  it('refuses descriptions and wishes of the wrong length, and unknown styles and counts', () => {
    const state = acceptPhoto(startDraft(idle), photo);
    expect(acceptDescription(state, 'x'.repeat(PRODUCT_DESCRIPTION_MAX + 1))).toMatchObject({
      ok: false,
      problem: 'too_long',
      max: PRODUCT_DESCRIPTION_MAX,
    });
    expect(acceptDescription(state, ' a ')).toMatchObject({ ok: false, problem: 'too_short' });
    expect(acceptWishes(state, 'x'.repeat(WISHES_MAX + 1))).toMatchObject({ ok: false, problem: 'too_long' });
    expect(acceptWishes(state, '   ')).toMatchObject({ ok: true, state: { draft: { wishes: null } } });
    expect(acceptStyle(state, 'no-such-style')).toBeUndefined();
    expect(acceptCount(state, 4)).toBeUndefined();
    expect(completeDraft(state.draft)).toBeUndefined();
  });

  it('a stored state it cannot read starts afresh instead of failing the update', () => {
    expect(readConversation({ step: 'teleport' })).toEqual(idle);
    expect(readConversation(null)).toEqual(idle);
    const valid = startDraft(idle);
    expect(readConversation(JSON.parse(JSON.stringify(valid)))).toEqual(valid);
  });
});

describe('callback data', () => {
  it('round-trips every button the gateway makes, within Telegram’s 64 bytes', () => {
    const draftId = startDraft(idle).draft?.id ?? '';
    const made = [
      callbacks.menu(),
      callbacks.menu('create'),
      callbacks.package('p50'),
      callbacks.language('en'),
      callbacks.style(draftId, styleTemplates[0]?.id ?? ''),
      callbacks.skip(draftId),
      callbacks.count(draftId, 5),
      callbacks.confirm(draftId),
      callbacks.cancel(draftId),
      'again:0f8fad5b-d9cb-469f-a165-70867728950e',
      'resend:0f8fad5b-d9cb-469f-a165-70867728950e',
      'buy',
    ];
    for (const data of made) {
      expect(Buffer.byteLength(data)).toBeLessThanOrEqual(64);
      expect(parseCallback(data), data).toBeDefined();
    }
    expect(parseCallback(callbacks.count(draftId, 5))).toEqual({ kind: 'count', draftId, count: 5 });
  });

  it('anything it never made is not understood', () => {
    for (const data of [
      undefined,
      '',
      'menu:admin',
      'confirm:short',
      'again:not-a-uuid',
      'x'.repeat(65),
      'lang:de',
    ])
      expect(parseCallback(data)).toBeUndefined();
  });
});
