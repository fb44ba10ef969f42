import type { DeadLetter, Replayed } from './dead-letters.js';
import type { LoggedEvent } from './event-log.js';
import type { SystemStatus } from './status.js';

/** Columns padded to their widest cell; the last column is left as it is. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string[] {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

export function deadLetterLines(letters: readonly DeadLetter[]): string[] {
  if (letters.length === 0) return ['no parked messages'];
  return table(
    ['seq', 'parked at', 'consumer', 'event type', 'event id', 'reason code', 'deliveries', 'reason'],
    letters.map((letter) => [
      String(letter.sequence),
      letter.parkedAt,
      letter.consumer,
      letter.eventType ?? '?',
      letter.eventId ?? '?',
      letter.reasonCode,
      letter.deliveries === undefined ? '?' : String(letter.deliveries),
      letter.reason,
    ]),
  );
}

/** A dead letter as one JSON object, its body decoded (or as base64 when it is not text). */
export function deadLetterJson(letter: DeadLetter): Record<string, unknown> {
  const { data, ...rest } = letter;
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(data));
  } catch {
    body = { base64: Buffer.from(data).toString('base64') };
  }
  return { ...rest, body };
}

export function replayLines(replayed: readonly Replayed[]): string[] {
  if (replayed.length === 0) return ['nothing to replay'];
  return [
    ...replayed.map(
      (entry) =>
        `replayed ${entry.eventType ?? '?'} ${entry.eventId ?? '(no event id)'} to ${entry.subject}` +
        ` for ${entry.consumers.join(', ')}${entry.duplicate ? ' (already published by an earlier run)' : ''}`,
    ),
    `${replayed.length} event(s) published, ${replayed.reduce((n, entry) => n + entry.removed.length, 0)} dead letter(s) removed`,
  ];
}

export function eventLine({ globalPosition, recordedAt, envelope }: LoggedEvent): string {
  const { type, eventId, streamId, streamVersion, data } = envelope;
  return `#${globalPosition} ${recordedAt} ${String(streamId)}@${String(streamVersion)} ${String(type)} ${String(eventId)} ${JSON.stringify(data)}`;
}

export function statusLines(status: SystemStatus): string[] {
  const leader = status.relayLeader;
  const parked = Object.entries(status.deadLetters);
  return [
    `latest event: ${status.log.latestPosition ? `#${status.log.latestPosition} at ${status.log.latestRecordedAt}` : 'none'}`,
    `relay leader: ${leader ? `${leader.application}${leader.client ? ` from ${leader.client}` : ''} since ${leader.since}` : 'NONE (no process holds the relay lock)'}`,
    '',
    ...table(
      ['checkpoint', 'position', 'updated at', 'events behind', 'seconds behind'],
      status.checkpoints.map((checkpoint) => [
        checkpoint.name,
        checkpoint.position,
        checkpoint.updatedAt,
        String(checkpoint.behindEvents),
        checkpoint.behindSeconds.toFixed(1),
      ]),
    ),
    '',
    `event stream: ${status.eventStream.messages} messages, last sequence ${status.eventStream.lastSequence}`,
    ...table(
      ['consumer', 'pending', 'ack pending', 'redelivered', 'waiting pulls'],
      status.consumers.map((consumer) => [
        consumer.name,
        String(consumer.pending),
        String(consumer.ackPending),
        String(consumer.redelivered),
        String(consumer.waiting),
      ]),
    ),
    '',
    parked.length === 0
      ? 'dead letters: none'
      : `dead letters: ${parked.map(([consumer, count]) => `${consumer} ${count}`).join(', ')}`,
  ];
}
