package org.carbonledger.client;

/** What {@link CarbonLedgerClient#submit} does when the buffer is full. */
public enum OverflowPolicy {
    /** Refuse the new record: {@code submit} returns false at once (the default; the caller decides). */
    REJECT,
    /** Make room by dropping the oldest buffered record, reported as {@link Outcome.Status#DROPPED}. */
    DROP_OLDEST,
    /** Wait up to the configured time for room, then refuse (returns false). */
    BLOCK
}
