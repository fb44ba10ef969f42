import {
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type OrderedConsumerOptions,
} from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/transport-node';
import type { BusNames } from '@neurocards/contracts';
import { DEAD_LETTER_HEADERS } from '@neurocards/runtime/bus';

/** The JetStream side of the ops commands. */
export interface Bus {
  js: JetStreamClient;
  jsm: JetStreamManager;
  names: BusNames;
}

/** One parked message, as `parkMessage` wrote it. */
export interface DeadLetter {
  /** Its sequence in the dead-letter stream: what replay and purge remove. */
  sequence: number;
  consumer: string;
  eventType: string | undefined;
  eventId: string | undefined;
  reasonCode: string;
  reason: string;
  parkedAt: string;
  deliveries: number | undefined;
  originalSubject: string;
  originalSequence: number | undefined;
  data: Uint8Array;
}

/** Header set on a replayed event, naming the dead letter it came from (for whoever reads the bus). */
export const REPLAY_HEADER = 'Nc-Replay-Of';

const PAGE = 500;

/** Parked messages per consumer (`{ 'billing--GenerationRequested': 3 }`), optionally of one consumer. */
export async function countDeadLetters(bus: Bus, consumer?: string): Promise<Record<string, number>> {
  const { names, jsm } = bus;
  const info = await jsm.streams.info(names.deadLetterStream, { subjects_filter: filterOf(names, consumer) });
  const prefix = names.deadLetterSubject('');
  const counts: Record<string, number> = {};
  for (const [subject, count] of Object.entries(info.state.subjects ?? {})) {
    counts[subject.slice(prefix.length)] = count;
  }
  return counts;
}

/** Parked messages in the order they were parked, from `fromSequence` on, at most `limit`. */
export async function listDeadLetters(
  bus: Bus,
  options: { consumer?: string; limit: number; fromSequence?: number },
): Promise<DeadLetter[]> {
  const { js, names } = bus;
  const total = sum(await countDeadLetters(bus, options.consumer));
  if (total === 0) return [];
  const opts: Partial<OrderedConsumerOptions> = { filter_subjects: filterOf(names, options.consumer) };
  if (options.fromSequence !== undefined) {
    opts.deliver_policy = DeliverPolicy.StartSequence;
    opts.opt_start_seq = options.fromSequence;
  }
  // An ordered consumer reads the stream without leaving a durable behind and without acknowledging.
  const reader = await js.consumers.get(names.deadLetterStream, opts);
  const letters: DeadLetter[] = [];
  try {
    const messages = await reader.fetch({ max_messages: Math.min(options.limit, total), expires: 2000 });
    for await (const msg of messages) {
      letters.push(toDeadLetter(names, msg));
      if (msg.info.pending === 0 || letters.length >= options.limit) {
        messages.stop();
        break;
      }
    }
  } finally {
    await reader.delete().catch(() => false);
  }
  return letters;
}

/** What one replay published: an event and the dead letters (one per consumer that parked it) it cleared. */
export interface Replayed {
  eventId: string | undefined;
  eventType: string | undefined;
  subject: string;
  consumers: string[];
  removed: number[];
  /** The server had this replay already (a replay run retried within the duplicate window). */
  duplicate: boolean;
}

/**
 * Publishes parked events again on their original subjects, then removes each dead letter once JetStream has
 * acknowledged the publish. An event parked by several consumers is published once. The message id is
 * `replay-<eventId>-<dead-letter sequence>`, not the event id: the event id is still in the stream's
 * duplicate window when the original was published less than two minutes ago, and the server would drop the
 * replay silently. Every consumer of the subject gets the event again; those that handled it already drop it
 * through their inbox.
 */
export async function replayDeadLetters(
  bus: Bus,
  selection: { consumer?: string; eventId?: string },
): Promise<Replayed[]> {
  const { js, jsm, names } = bus;
  const replayed: Replayed[] = [];
  let fromSequence = 1;
  for (;;) {
    const page = await listDeadLetters(bus, { consumer: selection.consumer, limit: PAGE, fromSequence });
    const last = page.at(-1);
    if (!last) break;
    fromSequence = last.sequence + 1;
    const chosen = page.filter((letter) => !selection.eventId || letter.eventId === selection.eventId);
    for (const group of groupByEvent(chosen)) {
      const first = group[0] as DeadLetter;
      if (!first.originalSubject.startsWith(names.eventSubject(''))) {
        throw new Error(
          `dead letter ${first.sequence} came from ${JSON.stringify(first.originalSubject)}, not an event subject`,
        );
      }
      const h = natsHeaders();
      h.set(REPLAY_HEADER, String(first.sequence));
      const ack = await js.publish(first.originalSubject, first.data, {
        msgID: `replay-${first.eventId ?? 'unidentified'}-${first.sequence}`,
        headers: h,
        expect: { streamName: names.eventStream },
      });
      for (const letter of group) {
        await jsm.streams.deleteMessage(names.deadLetterStream, letter.sequence, false);
      }
      replayed.push({
        eventId: first.eventId,
        eventType: first.eventType,
        subject: first.originalSubject,
        consumers: group.map((letter) => letter.consumer),
        removed: group.map((letter) => letter.sequence),
        duplicate: ack.duplicate,
      });
    }
    if (page.length < PAGE) break;
  }
  return replayed;
}

/** Deletes parked messages for good: all of them, or one consumer's. Returns how many went. */
export async function purgeDeadLetters(bus: Bus, consumer?: string): Promise<number> {
  const { jsm, names } = bus;
  const result = await jsm.streams.purge(
    names.deadLetterStream,
    consumer ? { filter: names.deadLetterSubject(consumer) } : undefined,
  );
  return result.purged;
}

function filterOf(names: BusNames, consumer: string | undefined): string {
  return consumer ? names.deadLetterSubject(consumer) : names.allDeadLettersSubject;
}

function sum(counts: Record<string, number>): number {
  return Object.values(counts).reduce((total, count) => total + count, 0);
}

/** The same event parked by several consumers is one group; a letter without an event id is its own. */
function groupByEvent(letters: DeadLetter[]): DeadLetter[][] {
  const groups = new Map<string, DeadLetter[]>();
  for (const letter of letters) {
    const key = letter.eventId ? `${letter.originalSubject} ${letter.eventId}` : `#${letter.sequence}`;
    groups.set(key, [...(groups.get(key) ?? []), letter]);
  }
  return [...groups.values()];
}

function toDeadLetter(names: BusNames, msg: JsMsg): DeadLetter {
  const header = (name: string) => msg.headers?.get(name) || undefined;
  const body = peekEvent(msg.data);
  const number = (value: string | undefined) => (value === undefined ? undefined : Number(value));
  return {
    sequence: msg.seq,
    consumer: header(DEAD_LETTER_HEADERS.consumer) ?? msg.subject.slice(names.deadLetterSubject('').length),
    eventType: body.type,
    eventId: header(DEAD_LETTER_HEADERS.eventId) ?? body.eventId,
    reasonCode: header(DEAD_LETTER_HEADERS.reasonCode) ?? 'UNKNOWN',
    reason: header(DEAD_LETTER_HEADERS.reason) ?? '',
    parkedAt:
      header(DEAD_LETTER_HEADERS.parkedAt) ?? new Date(msg.info.timestampNanos / 1_000_000).toISOString(),
    deliveries: number(header(DEAD_LETTER_HEADERS.deliveries)),
    originalSubject: header(DEAD_LETTER_HEADERS.originalSubject) ?? '',
    originalSequence: number(header(DEAD_LETTER_HEADERS.originalSequence)),
    data: msg.data,
  };
}

/** The type and id of a parked event, when its body is JSON enough to tell (a malformed one may not be). */
function peekEvent(data: Uint8Array): { type?: string; eventId?: string } {
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(data));
    if (typeof value !== 'object' || value === null) return {};
    const { type, eventId } = value as Record<string, unknown>;
    return {
      type: typeof type === 'string' ? type : undefined,
      eventId: typeof eventId === 'string' ? eventId : undefined,
    };
  } catch {
    return {};
  }
}
