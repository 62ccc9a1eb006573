package org.carbonledger.proxy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * Local write-ahead journal of metering records. Every record is appended, as one JSON line, to the current segment
 * {@code journal-<seq>.jsonl} by the thread that served the call (a plain {@code write} into the file, which a killed
 * process cannot take back); {@link #sync} forces the segment to disk and runs every few milliseconds on its own
 * thread, so calls never wait for a disk flush (group commit). The drainer reads records after the committed
 * position ({@link #next}), stores them and then {@link #commit}s the position to {@code position}; on start,
 * everything after it is read again. The backlog (appended, not yet committed) is bounded by {@code maxBytes}:
 * beyond it {@link #append} refuses the record and the caller counts and logs the loss.
 */
final class Journal implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Journal.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    static final long SEGMENT_BYTES = 8L << 20;
    private static final int READ_BYTES = 1 << 20;
    /** Bytes read per wanted record: generous for a record, so a batch is rarely cut short. */
    private static final int RECORD_BYTES_TO_READ = 2048;

    /** Records read after the committed position, and the position just after them. */
    record Batch(List<ProxyCall> calls, long seq, long end, long bytes) {
    }

    private final Path dir;
    private final long maxBytes;
    private final Object lock = new Object();
    private final AtomicLong backlog = new AtomicLong();
    private volatile Thread reader;
    // guarded by lock
    private FileChannel out;
    private boolean closed;
    private long outSeq;
    private long outEnd;
    private long synced;
    // the reader's own
    private long readSeq;
    private long readOffset;
    private FileChannel in;
    private long inSeq = -1;

    Journal(Path dir, long maxBytes) {
        this.dir = dir;
        this.maxBytes = maxBytes;
        try {
            Files.createDirectories(dir);
            long[] position = readPosition();
            long next = position[0];
            for (long seq : segments()) {
                Path file = segment(seq);
                if (seq < position[0]) {
                    Files.delete(file); // committed before a crash that came before its deletion
                    continue;
                }
                long size = truncateTornTail(file);
                backlog.addAndGet(seq == position[0] ? Math.max(0, size - position[1]) : size);
                next = seq + 1;
            }
            readSeq = position[0];
            readOffset = position[1];
            outSeq = Math.max(next, readSeq + 1);
            out = open(outSeq);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the proxy metering journal " + dir, e);
        }
        if (backlog.get() > 0) {
            log.info("proxy metering journal {}: {} byte(s) of records after the committed position are replayed",
                    dir, backlog.get());
        }
    }

    Path dir() {
        return dir;
    }

    /** Bytes appended and not yet committed. */
    long backlog() {
        return backlog.get();
    }

    /**
     * Appends the record; never waits for the disk. Returns false (nothing written) when the backlog bound is
     * reached. Throws when the journal cannot be written.
     */
    boolean append(ProxyCall call) {
        byte[] json = JSON.writeValueAsBytes(call);
        ByteBuffer line = ByteBuffer.allocate(json.length + 1).put(json).put((byte) '\n').flip();
        int length = line.remaining();
        synchronized (lock) {
            if (backlog.get() + length > maxBytes) {
                return false;
            }
            if (closed) {
                throw new IllegalStateException("the proxy metering journal " + dir + " is closed");
            }
            try {
                if (outEnd >= SEGMENT_BYTES) {
                    rotate();
                }
                while (line.hasRemaining()) {
                    out.write(line);
                }
            } catch (IOException first) {
                // An interrupted calling thread closes the channel for every thread (ClosedByInterruptException),
                // possibly after a part of the line: cut that part, reopen and write the line once more.
                boolean interrupted = Thread.interrupted();
                try {
                    reopen();
                    line.rewind();
                    while (line.hasRemaining()) {
                        out.write(line);
                    }
                } catch (IOException e) {
                    e.addSuppressed(first);
                    throw new UncheckedIOException("cannot append to the proxy metering journal " + dir, e);
                } finally {
                    if (interrupted) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
            outEnd += length;
            backlog.addAndGet(length);
        }
        Thread r = reader;
        if (r != null) {
            LockSupport.unpark(r);
        }
        return true;
    }

    /** Forces what was appended to disk (group commit: one force for every record appended since the last). */
    void sync() {
        FileChannel ch;
        long end;
        synchronized (lock) {
            if (synced == outEnd || out == null) {
                return;
            }
            ch = out;
            end = outEnd;
        }
        try {
            ch.force(false);
        } catch (ClosedChannelException rotated) {
            return; // rotation forced and closed it
        } catch (IOException e) {
            log.error("proxy metering journal {}: cannot force to disk", dir, e);
            return;
        }
        synchronized (lock) {
            if (ch == out) {
                synced = Math.max(synced, end);
            }
        }
    }

    private void reopen() throws IOException {
        out.close();
        try (FileChannel ch = FileChannel.open(segment(outSeq), StandardOpenOption.WRITE)) {
            ch.truncate(outEnd);
        }
        out = open(outSeq);
    }

    private void rotate() throws IOException {
        out.force(false);
        out.close();
        outSeq++;
        outEnd = 0;
        synced = 0;
        out = open(outSeq);
    }

    /** Registers the thread that reads, to wake it when records arrive. */
    void readBy(Thread thread) {
        reader = thread;
    }

    /** Up to {@code max} records after the read position, or null when there is none. Reader thread only. */
    Batch next(int max) {
        try {
            while (true) {
                long seq;
                long end;
                synchronized (lock) {
                    seq = outSeq;
                    end = outEnd;
                }
                boolean current = readSeq >= seq;
                Path file = segment(readSeq);
                long limit;
                try {
                    limit = current ? end : Files.size(file);
                } catch (NoSuchFileException gone) {
                    limit = 0;
                }
                if (readOffset >= limit) {
                    if (current) {
                        return null;
                    }
                    // a finished segment is fully committed: move on and delete it
                    closeIn();
                    readSeq++;
                    readOffset = 0;
                    writePosition(readSeq, 0);
                    Files.deleteIfExists(file);
                    continue;
                }
                return read(file, limit, max);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the proxy metering journal " + dir, e);
        }
    }

    private Batch read(Path file, long limit, int max) throws IOException {
        if (inSeq != readSeq) {
            closeIn();
            in = FileChannel.open(file, StandardOpenOption.READ);
            inSeq = readSeq;
        }
        // about what {@code max} records take (≈ 0.5 KiB each): what a batch leaves unparsed is read again next time
        int size = (int) Math.min(limit - readOffset, Math.min(READ_BYTES, (long) max * RECORD_BYTES_TO_READ));
        while (true) {
            ByteBuffer buf = ByteBuffer.allocate(size);
            while (buf.hasRemaining() && in.read(buf, readOffset + buf.position()) >= 0) {
                // reads until the buffer is full
            }
            byte[] bytes = buf.array();
            List<ProxyCall> calls = new ArrayList<>();
            int from = 0;
            for (int i = 0; i < bytes.length && calls.size() < max; i++) {
                if (bytes[i] != '\n') {
                    continue;
                }
                if (i > from) {
                    try {
                        calls.add(JSON.readValue(bytes, from, i - from, ProxyCall.class));
                    } catch (JacksonException unreadable) {
                        log.error("proxy metering journal {}: skipping an unreadable record at {} ({})", file,
                                readOffset + from, unreadable.getOriginalMessage());
                    }
                }
                from = i + 1;
            }
            if (from == 0 && size < limit - readOffset) {
                size = (int) Math.min(limit - readOffset, (long) size * 2); // a record longer than the read
                continue;
            }
            long taken = from;
            readOffset += taken;
            return new Batch(calls, readSeq, readOffset, taken);
        }
    }

    /** Records that the batch is stored: it is not read again, not even after a crash. */
    void commit(Batch batch) {
        writePosition(batch.seq(), batch.end());
        backlog.addAndGet(-batch.bytes());
    }

    private void writePosition(long seq, long offset) {
        Path tmp = dir.resolve("position.tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer b = ByteBuffer.wrap((seq + " " + offset + "\n").getBytes(StandardCharsets.US_ASCII));
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the proxy metering journal position in " + dir, e);
        }
        try {
            Files.move(tmp, dir.resolve("position"), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the proxy metering journal position in " + dir, e);
        }
    }

    private long[] readPosition() throws IOException {
        Path file = dir.resolve("position");
        List<Long> seqs = segments();
        long first = seqs.isEmpty() ? 0 : seqs.get(0);
        if (!Files.exists(file)) {
            return new long[] {first, 0};
        }
        String[] parts = Files.readString(file, StandardCharsets.US_ASCII).trim().split(" ");
        try {
            return new long[] {Long.parseLong(parts[0]), Long.parseLong(parts[1])};
        } catch (RuntimeException unreadable) {
            // a position lost in a machine crash: read from the first segment, storage dedupes what was stored
            log.warn("proxy metering journal {}: unreadable position, replaying every segment", dir);
            return new long[] {first, 0};
        }
    }

    /** Cuts a last line a crash left without its newline (its call never completed the append); returns the size. */
    private static long truncateTornTail(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long size = ch.size();
            long end = size;
            ByteBuffer one = ByteBuffer.allocate(1);
            while (end > 0) {
                one.clear();
                ch.read(one, end - 1);
                if (one.get(0) == '\n') {
                    break;
                }
                end--;
            }
            if (end < size) {
                log.warn("proxy metering journal {}: cutting {} byte(s) of an incomplete last record", file,
                        size - end);
                ch.truncate(end);
                ch.force(false);
            }
            return end;
        }
    }

    private List<Long> segments() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith("journal-") && n.endsWith(".jsonl"))
                    .map(n -> Long.parseLong(n.substring("journal-".length(), n.length() - ".jsonl".length())))
                    .sorted().toList();
        }
    }

    private Path segment(long seq) {
        return dir.resolve("journal-%012d.jsonl".formatted(seq));
    }

    private FileChannel open(long seq) throws IOException {
        return FileChannel.open(segment(seq), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND);
    }

    private void closeIn() throws IOException {
        if (in != null) {
            in.close();
            in = null;
            inSeq = -1;
        }
    }

    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            try {
                out.force(false);
                out.close();
            } catch (IOException e) {
                log.error("proxy metering journal {}: cannot close", dir, e);
            }
        }
    }

    /** Closes the reading side. Reader thread only. */
    void closeReader() {
        try {
            closeIn();
        } catch (IOException e) {
            log.debug("proxy metering journal {}: closing the reader: {}", dir, e.getMessage());
        }
    }
}
