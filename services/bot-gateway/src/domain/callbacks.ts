// The callback data of the gateway's inline buttons (Telegram allows 64 bytes). Buttons of one draft carry
// its id, so a button from an older message is told apart. Delivery's buttons (`buy`, `menu`,
// `again:<jobId>`, `resend:<jobId>`) are in @neurocards/contracts' callbackData and parsed here too.

export type MenuItem = 'create' | 'balance' | 'videos' | 'help' | 'language';

export type Callback =
  | { kind: 'menu'; item?: MenuItem }
  | { kind: 'buy' }
  | { kind: 'package'; packageId: string }
  | { kind: 'language'; language: 'ru' | 'en' }
  | { kind: 'style'; draftId: string; templateId: string }
  | { kind: 'skip'; draftId: string }
  | { kind: 'count'; draftId: string; count: number }
  | { kind: 'confirm'; draftId: string }
  | { kind: 'cancel'; draftId: string }
  | { kind: 'again'; jobId: string }
  | { kind: 'resend'; jobId: string };

const DRAFT = '([A-Za-z0-9_-]{8,16})';
const UUID = '([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})';

const patterns: Array<[RegExp, (m: RegExpExecArray) => Callback]> = [
  [/^menu$/, () => ({ kind: 'menu' })],
  [/^menu:(create|balance|videos|help|language)$/, (m) => ({ kind: 'menu', item: m[1] as MenuItem })],
  [/^buy$/, () => ({ kind: 'buy' })],
  [/^pkg:([a-z0-9_-]{1,32})$/i, (m) => ({ kind: 'package', packageId: m[1] as string })],
  [/^lang:(ru|en)$/, (m) => ({ kind: 'language', language: m[1] as 'ru' | 'en' })],
  [
    new RegExp(`^style:${DRAFT}:([a-z0-9_-]{1,32})$`),
    (m) => ({ kind: 'style', draftId: m[1] as string, templateId: m[2] as string }),
  ],
  [new RegExp(`^skip:${DRAFT}$`), (m) => ({ kind: 'skip', draftId: m[1] as string })],
  [
    new RegExp(`^count:${DRAFT}:(\\d{1,2})$`),
    (m) => ({ kind: 'count', draftId: m[1] as string, count: Number(m[2]) }),
  ],
  [new RegExp(`^confirm:${DRAFT}$`), (m) => ({ kind: 'confirm', draftId: m[1] as string })],
  [new RegExp(`^cancel:${DRAFT}$`), (m) => ({ kind: 'cancel', draftId: m[1] as string })],
  [new RegExp(`^again:${UUID}$`), (m) => ({ kind: 'again', jobId: m[1] as string })],
  [new RegExp(`^resend:${UUID}$`), (m) => ({ kind: 'resend', jobId: m[1] as string })],
];

/** Reads a button's data; undefined for anything we never sent. */
export function parseCallback(data: string | undefined): Callback | undefined {
  if (!data || data.length > 64) return undefined;
  for (const [pattern, build] of patterns) {
    const match = pattern.exec(data);
    if (match) return build(match);
  }
  return undefined;
}

export const callbacks = {
  menu: (item?: MenuItem) => (item ? `menu:${item}` : 'menu'),
  package: (packageId: string) => `pkg:${packageId}`,
  language: (language: 'ru' | 'en') => `lang:${language}`,
  style: (draftId: string, templateId: string) => `style:${draftId}:${templateId}`,
  skip: (draftId: string) => `skip:${draftId}`,
  count: (draftId: string, count: number) => `count:${draftId}:${count}`,
  confirm: (draftId: string) => `confirm:${draftId}`,
  cancel: (draftId: string) => `cancel:${draftId}`,
} as const;
