package org.carbonledger.proxy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

class JournalTest {

    @TempDir
    Path dir;

    @Test
    void recordsAfterTheCommittedPositionAreReadAgainAfterAReopen() {
        Journal journal = new Journal(dir, 1 << 20);
        for (int i = 0; i < 5; i++) {
            assertThat(journal.append(call("a-" + i))).isTrue();
        }
        Journal.Batch first = journal.next(2);
        assertThat(ids(first)).containsExactly("a-0", "a-1");
        journal.commit(first);
        Journal.Batch uncommitted = journal.next(2);
        assertThat(ids(uncommitted)).containsExactly("a-2", "a-3");
        // the process dies here: a-2, a-3 were read (perhaps stored) but not committed; nothing is closed

        Journal reopened = new Journal(dir, 1 << 20);
        assertThat(reopened.backlog()).isEqualTo(journal.backlog());
        List<String> replayed = new ArrayList<>();
        for (Journal.Batch b = reopened.next(10); b != null; b = reopened.next(10)) {
            replayed.addAll(ids(b));
            reopened.commit(b);
        }
        assertThat(replayed).containsExactly("a-2", "a-3", "a-4");
        assertThat(reopened.backlog()).isZero();
        reopened.close();
        assertThat(new Journal(dir, 1 << 20).next(10)).isNull();
    }

    @Test
    void anIncompleteLastRecordLeftByACrashIsCutAndTheRestIsRead() throws IOException {
        Journal journal = new Journal(dir, 1 << 20);
        journal.append(call("b-0"));
        journal.append(call("b-1"));
        Path segment;
        try (Stream<Path> files = Files.list(dir)) {
            segment = files.filter(p -> p.getFileName().toString().startsWith("journal-")).findFirst().orElseThrow();
        }
        Files.writeString(segment, "{\"tenantId\":null,\"requestId\":\"b-2", StandardCharsets.UTF_8,
                StandardOpenOption.APPEND);

        Journal reopened = new Journal(dir, 1 << 20);
        assertThat(ids(reopened.next(10))).containsExactly("b-0", "b-1");
        assertThat(Files.readString(segment)).endsWith("\n");
    }

    @Test
    void beyondItsBoundTheJournalRefusesARecordAndAcceptsAgainOnceCommitted() {
        Journal journal = new Journal(dir, 1);
        assertThat(journal.append(call("c-0"))).isFalse();
        assertThat(journal.next(10)).isNull();

        long one = lineBytes();
        Journal bounded = new Journal(dir.resolve("bounded"), 2 * one);
        assertThat(bounded.append(call("c-1"))).isTrue();
        assertThat(bounded.append(call("c-2"))).isTrue();
        assertThat(bounded.append(call("c-3"))).isFalse();
        bounded.commit(bounded.next(1));
        assertThat(bounded.append(call("c-4"))).isTrue();
        List<String> rest = new ArrayList<>();
        for (Journal.Batch b = bounded.next(10); b != null; b = bounded.next(10)) {
            rest.addAll(ids(b));
            bounded.commit(b);
        }
        assertThat(rest).containsExactly("c-2", "c-4");
    }

    @Test
    void anInterruptedCallingThreadDoesNotCloseTheJournalForTheOthers() throws Exception {
        Journal journal = new Journal(dir, 1 << 20);
        Thread interrupted = new Thread(() -> {
            Thread.currentThread().interrupt();
            journal.append(call("d-0"));
        });
        interrupted.start();
        interrupted.join();
        assertThat(journal.append(call("d-1"))).isTrue();
        List<String> all = new ArrayList<>();
        for (Journal.Batch b = journal.next(10); b != null; b = journal.next(10)) {
            all.addAll(ids(b));
            journal.commit(b);
        }
        assertThat(all).containsExactly("d-0", "d-1");
    }

    private long lineBytes() {
        Journal probe = new Journal(dir.resolve("probe"), 1 << 20);
        probe.append(call("c-0"));
        return probe.backlog();
    }

    private static List<String> ids(Journal.Batch batch) {
        return batch.calls().stream().map(ProxyCall::requestId).toList();
    }

    private static ProxyCall call(String id) {
        Instant t = Instant.parse("2026-11-28T12:00:00Z");
        return new ProxyCall(UUID.fromString("00000000-0000-0000-0000-000000000001"), "00", id, "default",
                UUID.fromString("00000000-0000-0000-0000-000000000002"), "POST", "/v1/chat/completions",
                "gpt-4o-mini", false, 200, 1000, 2000, ProxyCall.Outcome.METERED, ProxyCall.UsageSource.REPORTED,
                19L, 10L, null, t, t.plusMillis(2));
    }
}
