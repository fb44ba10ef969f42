import { badRequest } from './telegramErrors.js';

const htmlTags = new Set([
  'b',
  'strong',
  'i',
  'em',
  'u',
  'ins',
  's',
  'strike',
  'del',
  'span',
  'tg-spoiler',
  'a',
  'code',
  'pre',
  'blockquote',
  'tg-emoji',
]);

/** Characters MarkdownV2 reserves that never start an entity, so an unescaped one is always an error. */
const markdownV2Reserved = /[#+\-={}.!]/;

/**
 * Rejects text the real API would refuse to parse with `parse_mode` (the common mistakes only: unescaped
 * MarkdownV2 characters, unknown or unbalanced HTML tags), with the API's "can't parse entities" error.
 */
export function checkFormatting(text: string, parseMode: string | undefined): void {
  if (parseMode === 'MarkdownV2') checkMarkdownV2(text);
  else if (parseMode === 'HTML') checkHtml(text);
}

function checkMarkdownV2(text: string): void {
  let inCode = false;
  let inLinkUrl = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i] as string;
    if (char === '\\') {
      i++;
      continue;
    }
    if (char === '`') inCode = !inCode;
    else if (!inCode && char === '(' && text[i - 1] === ']') inLinkUrl = true;
    else if (inLinkUrl && char === ')') inLinkUrl = false;
    else if (!inCode && !inLinkUrl && markdownV2Reserved.test(char)) {
      throw badRequest(
        `Bad Request: can't parse entities: Character '${char}' is reserved and must be escaped with the preceding '\\'`,
      );
    }
  }
}

function checkHtml(text: string): void {
  const open: string[] = [];
  const tagPattern = /<(\/?)([a-zA-Z][\w-]*)?[^<>]*>/y;
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '<') continue;
    const offset = Buffer.byteLength(text.slice(0, i));
    tagPattern.lastIndex = i;
    const match = tagPattern.exec(text);
    const name = match?.[2]?.toLowerCase() ?? '';
    if (!match || !htmlTags.has(name)) {
      throw badRequest(
        `Bad Request: can't parse entities: Unsupported start tag "${name}" at byte offset ${offset}`,
      );
    }
    if (match[1] === '/') {
      if (open.pop() !== name) {
        throw badRequest(`Bad Request: can't parse entities: Unexpected end tag at byte offset ${offset}`);
      }
    } else {
      open.push(name);
    }
    i += match[0].length - 1;
  }
  const unclosed = open.pop();
  if (unclosed) {
    throw badRequest(
      `Bad Request: can't parse entities: Can't find end tag corresponding to start tag "${unclosed}"`,
    );
  }
}
