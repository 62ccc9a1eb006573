package org.carbonledger.shared.web;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;

/**
 * Keyset pagination of a list endpoint: at most {@code limit} items after the position {@code cursor} points at.
 * A cursor is opaque to clients: the sort instant and id of the last item of the previous page.
 */
public record PageRequest(int limit, Optional<Cursor> after) {

    public static final int DEFAULT_LIMIT = 50;
    public static final int MAX_LIMIT = 200;

    /** The position of an item in a list sorted by (instant, id). */
    public record Cursor(Instant at, UUID id) {

        public String encode() {
            return Base64.getUrlEncoder().withoutPadding()
                    .encodeToString((at + "|" + id).getBytes(StandardCharsets.UTF_8));
        }

        static Cursor decode(String text) {
            try {
                String decoded = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8);
                int bar = decoded.indexOf('|');
                return new Cursor(Instant.parse(decoded.substring(0, bar)), UUID.fromString(decoded.substring(bar + 1)));
            } catch (RuntimeException e) {
                throw ApiProblem.invalid("cursor", "not a cursor returned by this list: pass nextCursor unchanged");
            }
        }
    }

    /** From the query parameters {@code limit} and {@code cursor}; {@code 400} naming the parameter when invalid. */
    public static PageRequest of(Integer limit, String cursor) {
        int size = limit == null ? DEFAULT_LIMIT : limit;
        if (size < 1 || size > MAX_LIMIT) {
            throw ApiProblem.invalid("limit", "must be between 1 and " + MAX_LIMIT);
        }
        return new PageRequest(size, cursor == null || cursor.isEmpty() ? Optional.empty()
                : Optional.of(Cursor.decode(cursor)));
    }

    /** The row count to fetch: one more than the page, to know whether another page follows. */
    public int fetchSize() {
        return limit + 1;
    }

    /** Where an ascending (instant, id) keyset resumes: after the cursor, or before everything. */
    public Cursor ascendingAfter() {
        return after.orElse(new Cursor(Instant.parse("1900-01-01T00:00:00Z"), new UUID(0L, 0L)));
    }

    /** Where a descending (instant, id) keyset resumes: before the cursor, or after everything. */
    public Cursor descendingAfter() {
        return after.orElse(new Cursor(Instant.parse("9999-12-31T00:00:00Z"), new UUID(-1L, -1L)));
    }

    /** A page from {@link #fetchSize()} fetched rows in list order. */
    public <T> Page<T> page(List<T> fetched, Function<T, Cursor> position) {
        if (fetched.size() <= limit) {
            return new Page<>(List.copyOf(fetched), null);
        }
        List<T> items = new ArrayList<>(fetched.subList(0, limit));
        return new Page<>(items, position.apply(items.get(limit - 1)).encode());
    }

    /** One page of a list; {@code nextCursor} is null on the last page. */
    public record Page<T>(List<T> items, String nextCursor) {
        public <R> Page<R> map(Function<T, R> mapper) {
            return new Page<>(items.stream().map(mapper).toList(), nextCursor);
        }
    }

}
