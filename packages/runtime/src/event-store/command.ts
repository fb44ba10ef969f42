import type { AnyNewEvent, DomainEvent } from '@neurocards/contracts';
import type { PoolClient } from 'pg';
import { isExpectedVersionConflict } from './errors.js';
import type { AppendResult, EventStore } from './event-store.js';

/** How a stream's events fold into the state a decision needs (pure, no I/O). */
export interface StreamModel<State> {
  initial(): State;
  evolve(state: State, event: DomainEvent): State;
}

export interface CommandOutcome<State> {
  state: State;
  events: AnyNewEvent[];
  result?: AppendResult;
}

/**
 * Reads a stream, folds it, asks `decide` for new events and appends them with the read version as the
 * expected one; on a conflict it reads again and decides again, a bounded number of times. `history` is
 * the stream as the caller has just read it (in the same transaction), used instead of the first read.
 */
export async function handleCommand<State>(
  store: EventStore,
  streamId: string,
  model: StreamModel<State>,
  decide: (state: State) => AnyNewEvent[],
  options: { client?: PoolClient; attempts?: number; history?: readonly DomainEvent[] } = {},
): Promise<CommandOutcome<State>> {
  const attempts = options.attempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    const history =
      attempt === 1 && options.history
        ? options.history
        : await store.readStream(streamId, { client: options.client });
    const state = history.reduce(model.evolve, model.initial());
    const events = decide(state);
    if (events.length === 0) return { state, events };
    try {
      const result = await store.append(streamId, events, {
        expectedVersion: history.at(-1)?.streamVersion ?? 'no_stream',
        client: options.client,
      });
      return { state, events, result };
    } catch (error) {
      if (!isExpectedVersionConflict(error) || attempt >= attempts) throw error;
    }
  }
}
