import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** The Prometheus registry of one service process, with the metrics the runtime itself reports. */
export function createMetrics(service: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    handled: new Counter({
      name: 'nc_events_handled_total',
      help: 'Events handled by this service, by consumer and outcome (ok, duplicate, retry, parked)',
      labelNames: ['consumer', 'outcome'],
      registers: [registry],
    }),
    handlerSeconds: new Histogram({
      name: 'nc_event_handler_seconds',
      help: 'Time spent in event handlers',
      labelNames: ['consumer'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers: [registry],
    }),
    deadLetters: new Counter({
      name: 'nc_dead_letters_total',
      help: 'Messages parked on the dead-letter subject, by consumer and reason code',
      labelNames: ['consumer', 'reason'],
      registers: [registry],
    }),
    batchCalls: new Histogram({
      name: 'nc_db_batch_calls',
      help: 'Calls sent to PostgreSQL in one round trip by a batcher (statements: the shared one; inbox: events in one transaction)',
      labelNames: ['batcher'],
      buckets: [1, 2, 4, 8, 16, 32, 64],
      registers: [registry],
    }),
    relayPublished: new Counter({
      name: 'nc_relay_published_total',
      help: 'Events published to JetStream by the relay (re-publishes included)',
      registers: [registry],
    }),
    relayLeader: new Gauge({
      name: 'nc_relay_leader',
      help: '1 while this process holds the relay lock',
      registers: [registry],
    }),
    relayLagSeconds: new Gauge({
      name: 'nc_relay_lag_seconds',
      help: 'Age of the newest event the relay published when it published it',
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
