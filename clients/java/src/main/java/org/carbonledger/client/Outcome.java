package org.carbonledger.client;

/**
 * What became of one record: the server's per-item answer ({@code ACCEPTED}, {@code DUPLICATE}, {@code REJECTED}
 * with field and reason), or the client's ({@code DROPPED} when the buffer was full under
 * {@link OverflowPolicy#DROP_OLDEST}, {@code FAILED} when the batch could not be delivered: a non-retryable answer or
 * all attempts used).
 */
public record Outcome(RequestRecord record, Status status, String field, String reason) {

    public enum Status { ACCEPTED, DUPLICATE, REJECTED, DROPPED, FAILED }
}
