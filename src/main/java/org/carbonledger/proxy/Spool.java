package org.carbonledger.proxy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * Durable local spool of metering records that could not be stored: {@code pending.jsonl} in the spool directory,
 * one JSON line per call, appended and forced to disk before {@link #append} returns. Replay renames the file to
 * {@code replaying-<n>.jsonl} (new records go to a fresh {@code pending.jsonl}), hands its records to storage and
 * deletes it only when storage took them all; a file left by a crash or a failed replay is replayed again, which
 * is safe because storage keeps one record per (tenant, request id).
 */
final class Spool {

    private static final Logger log = LoggerFactory.getLogger(Spool.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Path dir;
    private final Path pending;
    private final Object lock = new Object();

    Spool(Path dir) {
        this.dir = dir;
        this.pending = dir.resolve("pending.jsonl");
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the proxy spool directory " + dir, e);
        }
    }

    Path dir() {
        return dir;
    }

    /** Appends the records and forces them to disk. */
    void append(List<ProxyCall> calls) {
        StringBuilder lines = new StringBuilder();
        for (ProxyCall c : calls) {
            lines.append(JSON.writeValueAsString(c)).append('\n');
        }
        ByteBuffer bytes = ByteBuffer.wrap(lines.toString().getBytes(StandardCharsets.UTF_8));
        synchronized (lock) {
            try (FileChannel ch = FileChannel.open(pending, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND)) {
                while (bytes.hasRemaining()) {
                    ch.write(bytes);
                }
                ch.force(false);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write the proxy spool " + pending, e);
            }
        }
    }

    /** Whether records wait to be replayed. */
    boolean isEmpty() {
        try (Stream<Path> files = Files.list(dir)) {
            return files.noneMatch(p -> p.getFileName().toString().endsWith(".jsonl"));
        } catch (IOException e) {
            return false;
        }
    }

    /** Number of records waiting (for status and tests). */
    long size() {
        long n = 0;
        for (Path f : spoolFiles(true)) {
            try (Stream<String> lines = Files.lines(f)) {
                n += lines.filter(l -> !l.isBlank()).count();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return n;
    }

    /** A storage step that takes a batch of records or throws. */
    interface Sink {
        void write(List<ProxyCall> calls);
    }

    /**
     * Hands every spooled record to {@code sink} in batches of {@code batch}; a file is deleted once all its
     * records were taken. Stops at the first failure (the rest stays spooled). Returns the number of records taken.
     */
    long replay(Sink sink, int batch) {
        synchronized (lock) {
            if (Files.exists(pending)) {
                try {
                    Files.move(pending, dir.resolve("replaying-" + System.nanoTime() + ".jsonl"),
                            StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
        long taken = 0;
        for (Path file : spoolFiles(false)) {
            List<ProxyCall> calls = new ArrayList<>();
            try {
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    if (line.isBlank()) {
                        continue;
                    }
                    try {
                        calls.add(JSON.readValue(line, ProxyCall.class));
                    } catch (JacksonException torn) {
                        // only the last line of a file can be torn (a crash during an append that never returned)
                        log.warn("proxy spool {}: skipping an unreadable line ({})", file, torn.getOriginalMessage());
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            for (int from = 0; from < calls.size(); from += batch) {
                sink.write(calls.subList(from, Math.min(calls.size(), from + batch)));
            }
            taken += calls.size();
            try {
                Files.delete(file);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return taken;
    }

    private List<Path> spoolFiles(boolean withPending) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> {
                String name = p.getFileName().toString();
                return name.startsWith("replaying-") && name.endsWith(".jsonl")
                        || withPending && name.equals("pending.jsonl");
            }).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
