// What delivery does when Telegram refuses a call (DESIGN §6). Pure: the adapters translate grammY's
// errors into `TelegramFailure` and act on the verdict.

/** A failed Bot API call as delivery sees it: an error answer, or no answer at all. */
export type TelegramFailure =
  | { kind: 'answer'; status: number; description: string; retryAfterSeconds?: number }
  | { kind: 'network'; description: string };

export type SendVerdict =
  /** Try the same call again: at once after `afterMs` for a 429, with backoff otherwise. */
  | { action: 'retry'; errorClass: 'TEMPORARY' | 'RATE_LIMIT'; afterMs?: number }
  /** This form of the video will not go: try the next (video → document → link). */
  | { action: 'fallback'; errorClass: 'TOO_LARGE' | 'BAD_MEDIA' }
  /** Nothing will reach this chat. */
  | { action: 'final'; errorClass: 'BLOCKED' }
  /** Not understood: the bus redelivers later, and the last delivery ends the job. */
  | { action: 'unknown'; errorClass: 'UNKNOWN' };

// 400s that mean the chat cannot be written to, whatever we send (Bot API descriptions, verbatim parts).
const UNREACHABLE_CHAT =
  /chat not found|user is deactivated|bot was kicked|bot was blocked|not enough rights|have no rights|CHAT_WRITE_FORBIDDEN|PEER_ID_INVALID|USER_IS_BLOCKED/i;
// 400s about the file's size rather than its content.
const TOO_BIG = /too big|too large|entity too large|FILE_PARTS_INVALID|FILE_PART_\w*_MISSING/i;

export function judgeSendFailure(failure: TelegramFailure): SendVerdict {
  if (failure.kind === 'network') return { action: 'retry', errorClass: 'TEMPORARY' };
  const { status, description, retryAfterSeconds } = failure;
  if (status === 429)
    return { action: 'retry', errorClass: 'RATE_LIMIT', afterMs: (retryAfterSeconds ?? 1) * 1000 };
  if (status >= 500) return { action: 'retry', errorClass: 'TEMPORARY' };
  if (status === 403) return { action: 'final', errorClass: 'BLOCKED' };
  if (status === 413) return { action: 'fallback', errorClass: 'TOO_LARGE' };
  if (status === 400) {
    if (UNREACHABLE_CHAT.test(description)) return { action: 'final', errorClass: 'BLOCKED' };
    if (TOO_BIG.test(description)) return { action: 'fallback', errorClass: 'TOO_LARGE' };
    return { action: 'fallback', errorClass: 'BAD_MEDIA' };
  }
  return { action: 'unknown', errorClass: 'UNKNOWN' };
}
