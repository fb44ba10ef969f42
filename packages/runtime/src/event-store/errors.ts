export type ExpectedVersion = 'no_stream' | 'any' | number;

/** The stream was not at the version the writer expected: somebody else appended first. */
export class ExpectedVersionConflictError extends Error {
  override readonly name = 'ExpectedVersionConflictError';
  readonly code = 'EXPECTED_VERSION_CONFLICT';
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedVersion,
    readonly actual: number,
  ) {
    super(`stream ${streamId} is at version ${actual}, expected ${String(expected)}`);
  }
}

/** Some, but not all, of the event ids in one append are already stored: a caller bug, never a retry. */
export class PartialDuplicateAppendError extends Error {
  override readonly name = 'PartialDuplicateAppendError';
  readonly code = 'PARTIAL_DUPLICATE_APPEND';
  constructor(
    readonly streamId: string,
    readonly storedEventIds: string[],
  ) {
    super(`append to ${streamId} mixes new events with already stored ones: ${storedEventIds.join(', ')}`);
  }
}

/** Matches by code, so it works across copies of this package. */
export function isExpectedVersionConflict(error: unknown): error is ExpectedVersionConflictError {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { code?: unknown }).code === 'EXPECTED_VERSION_CONFLICT'
  );
}
