import {
  AckPolicy,
  type ConsumerConfig,
  type ConsumerMessages,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { type ArgumentsHost, Catch, type RpcExceptionFilter } from '@nestjs/common';
import { BaseRpcContext, type CustomTransportStrategy, Server } from '@nestjs/microservices';
import { type BusNames, type EventParseErrorCode, isEventType, parseEvent } from '@neurocards/contracts';
import { lastValueFrom, type Observable, throwError } from 'rxjs';
import { withWorkContext } from '../shell/context.js';
import type { Logger } from '../shell/logger.js';
import type { Metrics } from '../shell/metrics.js';
import { Semaphore } from './concurrency.js';
import { type DeadLetterReasonCode, parkMessage } from './dead-letter.js';

const NANOS_PER_MS = 1_000_000;

/**
 * How long an acknowledgement waits for others. Each socket write to the server costs the sender a system
 * call and the server a read; handlers finish one by one, so acks sent as they come take one write each,
 * while those gathered for a few milliseconds leave together. An ack that waits only delays the server's
 * bookkeeping: the effect is committed already, and a crash in between means one redelivery, which the
 * inbox absorbs.
 */
const ACK_GATHER_MS = 5;

/** Acknowledgements gathered for ACK_GATHER_MS and sent in one write; `flush` sends them at once. */
class GatheredAcks {
  private pending: JsMsg[] = [];
  private timer: NodeJS.Timeout | undefined;

  add(msg: JsMsg): void {
    this.pending.push(msg);
    this.timer ??= setTimeout(() => this.flush(), ACK_GATHER_MS);
  }

  /** Sends every gathered ack; the client writes the ones made in one tick together. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const acks = this.pending;
    this.pending = [];
    for (const msg of acks) msg.ack();
  }
}

export interface JetStreamTransportOptions {
  nc: NatsConnection;
  names: BusNames;
  /** The service name: durable consumers are `<service>--<EventType>`, shared by the service's replicas. */
  service: string;
  logger: Logger;
  metrics?: Pick<Metrics, 'handled' | 'handlerSeconds' | 'deadLetters'>;
  /** Handlers of one consumer running at once in this process. */
  concurrency?: number;
  /** Deliveries before a failing message is parked on the dead-letter subject. */
  maxDeliver?: number;
  /** Redelivery delay after the n-th failed delivery (the last value repeats). */
  retryDelaysMs?: readonly number[];
  /** How long the server waits for an ack before redelivering; running handlers extend it. */
  ackWaitMs?: number;
  /** Unacknowledged messages the server hands out per consumer across all replicas. */
  maxAckPending?: number;
}

/** What a handler can learn about the message that carried its event. */
export class JetStreamContext extends BaseRpcContext<[JsMsg, string, number]> {
  get message(): JsMsg {
    return this.args[0];
  }
  get consumer(): string {
    return this.args[1];
  }
  get deliveryCount(): number {
    return this.args[0].info.deliveryCount;
  }
  /** True on the delivery after which a failure parks the message: the handler's last chance to end the job cleanly. */
  get isLastDelivery(): boolean {
    return this.deliveryCount >= this.args[2];
  }
}

/**
 * Lets Nest's exception layer hand handler errors back unchanged, so the transport can decide between
 * retry and parking and record the real reason (Nest's default filter turns them into anonymous objects).
 */
@Catch()
export class RethrowRpcErrors implements RpcExceptionFilter<unknown> {
  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    return throwError(() => exception);
  }
}

const PARSE_FAILURE_TO_REASON: Record<EventParseErrorCode, DeadLetterReasonCode> = {
  INVALID_JSON: 'MALFORMED',
  MALFORMED_ENVELOPE: 'MALFORMED',
  INVALID_DATA: 'MALFORMED',
  UNKNOWN_TYPE: 'UNKNOWN_TYPE',
  UNSUPPORTED_SCHEMA_VERSION: 'UNSUPPORTED_SCHEMA_VERSION',
};

/**
 * Our NestJS transport over JetStream durable pull consumers: one consumer per service and event type
 * (`@EventPattern('CreditReserved')`), explicit acks, delayed naks with growing backoff, and after
 * `maxDeliver` deliveries (or at once for a message that is not a valid event) the message is parked on
 * the dead-letter subject with the reason. Handlers receive the parsed, typed event.
 */
export class JetStreamTransport extends Server implements CustomTransportStrategy {
  private js?: JetStreamClient;
  private readonly subscriptions: ConsumerMessages[] = [];
  private readonly loops: Promise<void>[] = [];
  private closing = false;
  private readonly acks = new GatheredAcks();

  constructor(private readonly options: JetStreamTransportOptions) {
    super();
  }

  listen(callback: (error?: unknown) => void): void {
    this.start().then(
      () => callback(),
      (error: unknown) => callback(error),
    );
  }

  /** Stops pulling, waits for running handlers to finish and acknowledge, and hands back buffered messages. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.subscriptions.map((messages) => messages.close().catch(() => undefined)));
    await Promise.all(this.loops);
    // Acks are fire-and-forget: make sure the last ones have reached the server before we report closed.
    this.acks.flush();
    await this.options.nc.flush().catch(() => undefined);
  }

  on(): never {
    throw new Error('JetStreamTransport does not emit events');
  }

  unwrap<T>(): T {
    return this.options.nc as T;
  }

  /** The durable consumer names this process reads, once listening. */
  get consumerNames(): string[] {
    return [...this.messageHandlers.keys()].map((type) =>
      this.options.names.durableName(this.options.service, type),
    );
  }

  private async start(): Promise<void> {
    const { nc, names, service, concurrency = 16 } = this.options;
    const jsm = await jetstreamManager(nc);
    this.js = jetstream(nc);
    for (const [pattern, handler] of this.messageHandlers) {
      if (!handler.isEventHandler)
        throw new Error(`${pattern}: only @EventPattern handlers run over JetStream`);
      if (!isEventType(pattern)) throw new Error(`@EventPattern('${pattern}') names no event of the catalog`);
      const durable = names.durableName(service, pattern);
      await this.upsertConsumer(jsm, durable, names.eventSubject(pattern));
      const consumer = await this.js.consumers.get(names.eventStream, durable);
      const messages = await consumer.consume({ max_messages: concurrency });
      this.subscriptions.push(messages);
      this.loops.push(this.drain(durable, messages, new Semaphore(concurrency)));
    }
  }

  private async upsertConsumer(jsm: JetStreamManager, durable: string, subject: string): Promise<void> {
    const { names, maxDeliver = 5, ackWaitMs = 30_000, maxAckPending = 1000 } = this.options;
    const config: Partial<ConsumerConfig> = {
      durable_name: durable,
      filter_subject: subject,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: ackWaitMs * NANOS_PER_MS,
      // One spare delivery: a process that dies during the last attempt still gets its message parked.
      max_deliver: maxDeliver + 1,
      max_ack_pending: maxAckPending,
    };
    try {
      await jsm.consumers.add(names.eventStream, config);
    } catch {
      await jsm.consumers.update(names.eventStream, durable, config);
    }
  }

  private async drain(consumer: string, messages: ConsumerMessages, slots: Semaphore): Promise<void> {
    const running = new Set<Promise<void>>();
    for await (const msg of messages) {
      if (this.closing) {
        msg.nak(); // buffered but not started: let another replica have it now
        continue;
      }
      await slots.acquire();
      const task = this.handle(consumer, msg).finally(() => {
        slots.release();
        running.delete(task);
      });
      running.add(task);
    }
    await Promise.all(running);
  }

  private async handle(consumer: string, msg: JsMsg): Promise<void> {
    const { logger, metrics } = this.options;
    const parsed = parseEvent(msg.data);
    if (!parsed.ok) {
      const { error } = parsed;
      await this.park(
        consumer,
        msg,
        PARSE_FAILURE_TO_REASON[error.code],
        error.message,
        error.details.eventId,
      );
      return;
    }
    const event = parsed.event;
    // The relay publishes every event on the subject of its type; anything else was put there by hand, and
    // handling it here would run another consumer's handler under this consumer's name.
    const subjectType = msg.subject.slice(this.options.names.eventSubject('').length);
    if (subjectType !== event.type) {
      await this.park(
        consumer,
        msg,
        'MALFORMED',
        `a ${event.type} event on the ${subjectType} subject`,
        event.eventId,
      );
      return;
    }
    // Patterns are event types (checked in start), so the type is the key: Nest's own lookup would first
    // try JSON.parse on it, which throws (and builds a stack trace) for every message.
    const handler = this.messageHandlers.get(event.type);
    if (!handler) {
      await this.park(consumer, msg, 'NO_HANDLER', `no handler for ${event.type}`, event.eventId);
      return;
    }

    const context = {
      correlationId: event.correlationId,
      eventId: event.eventId,
      eventType: event.type,
      consumer,
    };
    await withWorkContext(context, async () => {
      const stopTimer = metrics?.handlerSeconds.startTimer({ consumer });
      const keepAlive = this.keepAlive(msg);
      try {
        const result = await handler(
          event,
          new JetStreamContext([msg, consumer, this.options.maxDeliver ?? 5]),
        );
        await lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
        this.acks.add(msg);
        metrics?.handled.inc({ consumer, outcome: 'ok' });
      } catch (error) {
        await this.retryOrPark(consumer, msg, event.eventId, error);
      } finally {
        clearInterval(keepAlive);
        stopTimer?.();
      }
    }).catch((error: unknown) => {
      logger.error({ err: error, consumer }, 'could not settle a message; JetStream will redeliver it');
    });
  }

  private async retryOrPark(consumer: string, msg: JsMsg, eventId: string, error: unknown): Promise<void> {
    const { logger, metrics, maxDeliver = 5, retryDelaysMs = [1000, 5000, 15_000, 60_000] } = this.options;
    const deliveries = msg.info.deliveryCount;
    const reason = describeError(error);
    if (deliveries >= maxDeliver) {
      await this.park(
        consumer,
        msg,
        'HANDLER_FAILED',
        `failed ${deliveries} times; last error: ${reason}`,
        eventId,
      );
      return;
    }
    const delay = retryDelaysMs[Math.min(deliveries, retryDelaysMs.length) - 1] ?? 1000;
    logger.warn({ err: error, consumer, deliveries, retryInMs: delay }, 'handler failed; will retry');
    metrics?.handled.inc({ consumer, outcome: 'retry' });
    msg.nak(delay);
  }

  private async park(
    consumer: string,
    msg: JsMsg,
    reasonCode: DeadLetterReasonCode,
    reason: string,
    eventId?: string,
  ): Promise<void> {
    const { logger, metrics, names } = this.options;
    if (!this.js) throw new Error('transport not started');
    try {
      await parkMessage(this.js, names, msg, { consumer, reasonCode, reason, eventId });
    } catch (error) {
      // Could not store the dead letter: keep the message on its consumer and try again later.
      logger.error({ err: error, consumer, eventId }, 'could not park a message; it will be redelivered');
      msg.nak(5000);
      return;
    }
    msg.term();
    metrics?.deadLetters.inc({ consumer, reason: reasonCode });
    metrics?.handled.inc({ consumer, outcome: 'parked' });
    logger.error(
      { consumer, eventId, reasonCode, reason, subject: msg.subject, deliveries: msg.info.deliveryCount },
      'message parked on the dead-letter subject',
    );
  }

  /** Tells the server a long handler is still working, so its message is not redelivered meanwhile. */
  private keepAlive(msg: JsMsg): NodeJS.Timeout {
    const every = Math.max(1000, Math.floor((this.options.ackWaitMs ?? 30_000) / 3));
    return setInterval(() => msg.working(), every);
  }
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  if (typeof error === 'object' && error !== null && 'message' in error) return String(error.message);
  return String(error);
}
