import { connect, type NatsConnection } from '@nats-io/transport-node';

export type { NatsConnection } from '@nats-io/transport-node';

/** Connects to NATS and keeps reconnecting for as long as the process lives. */
export function connectNats(url: string, name: string): Promise<NatsConnection> {
  return connect({
    servers: url.split(',').map((server) => server.trim()),
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    waitOnFirstConnect: false,
    // The client otherwise builds an Error per request to keep async stack traces: a third of the
    // relay's CPU at a few thousand publishes a second.
    noAsyncTraces: true,
  });
}
