package org.carbonledger.proxy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes metered calls off the request threads: {@link #submit} appends the record to the local {@link Journal}
 * (no disk flush on the call's path: a syncer thread forces the journal every {@link #SYNC_EVERY}) and never throws.
 * A drainer thread reads the journal after its committed position, stores batches and commits the position; a batch
 * storage refuses (database down, …) is appended to the {@link Spool} instead, and a replayer re-submits the spool to
 * storage every {@code replayEvery}. After a crash the journal is read again from the committed position; storage
 * keeps one record per (tenant, request id), so a batch stored just before the crash counts once. When the journal
 * backlog reaches its bound, the call is still served and its record is counted in {@link #lost()} and logged as an
 * error.
 */
final class Metering implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Metering.class);
    static final int BATCH = 200;
    static final Duration SYNC_EVERY = Duration.ofMillis(5);
    private static final long LOSS_LOG_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final Spool.Sink storage;
    private final Spool spool;
    private final Journal journal;
    private final Duration replayEvery;
    private final Thread drainer;
    private final ScheduledExecutorService timers;
    private final AtomicLong stored = new AtomicLong();
    private final AtomicLong spooled = new AtomicLong();
    private final AtomicLong lost = new AtomicLong();
    private final AtomicLong lastLossLog = new AtomicLong(System.nanoTime() - LOSS_LOG_EVERY_NANOS);
    private volatile boolean running = true;
    private volatile boolean closed;

    Metering(Spool.Sink storage, Spool spool, Journal journal, Duration replayEvery) {
        this.storage = storage;
        this.spool = spool;
        this.journal = journal;
        this.replayEvery = replayEvery;
        this.drainer = new Thread(this::drain, "proxy-metering-drainer");
        this.drainer.setDaemon(true);
        journal.readBy(drainer);
        this.drainer.start();
        this.timers = Executors.newScheduledThreadPool(2, r -> {
            Thread t = new Thread(r, "proxy-metering-timer");
            t.setDaemon(true);
            return t;
        });
        this.timers.scheduleWithFixedDelay(journal::sync, SYNC_EVERY.toMillis(), SYNC_EVERY.toMillis(),
                TimeUnit.MILLISECONDS);
        this.timers.scheduleWithFixedDelay(this::replay, 0, replayEvery.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Hands a call over for storage; never waits for the disk or the database, never throws. */
    void submit(ProxyCall call) {
        String why;
        try {
            if (journal.append(call)) {
                return;
            }
            why = "the journal backlog is at its bound";
        } catch (RuntimeException e) {
            why = "the journal cannot be written: " + e.getMessage();
        }
        long n = lost.incrementAndGet();
        long now = System.nanoTime();
        long last = lastLossLog.get();
        if (now - last >= LOSS_LOG_EVERY_NANOS && lastLossLog.compareAndSet(last, now)) {
            log.error("proxy metering: LOST the record of call {} ({}, journal {}); {} record(s) lost since start",
                    call.requestId(), why, journal.dir(), n);
        }
    }

    /** Records stored directly and through replays. */
    long stored() {
        return stored.get();
    }

    /** Records that went to the spool. */
    long spooled() {
        return spooled.get();
    }

    /** Calls served whose record could not be journalled (backlog at its bound, disk failing). */
    long lost() {
        return lost.get();
    }

    /** Whether nothing waits: journal drained, spool empty. */
    boolean idle() {
        return journal.backlog() == 0 && spool.isEmpty();
    }

    private void drain() {
        try {
            drainJournal();
        } finally {
            journal.closeReader();
        }
    }

    private void drainJournal() {
        while ((running || journal.backlog() > 0) && !closed) {
            Journal.Batch batch;
            try {
                batch = journal.next(BATCH);
            } catch (RuntimeException e) {
                log.error("proxy metering: cannot read the journal {}", journal.dir(), e);
                LockSupport.parkNanos(replayEvery.toNanos());
                continue;
            }
            if (batch == null || batch.bytes() == 0) {
                if (!running) {
                    return;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
                continue;
            }
            while (!store(batch.calls())) {
                // neither storage nor the spool took it: it stays in the journal, try again later
                if (!running || closed) {
                    return;
                }
                LockSupport.parkNanos(replayEvery.toNanos());
            }
            try {
                journal.commit(batch);
            } catch (RuntimeException e) {
                // stored but not committed: read again later (or after a restart), storage dedupes
                log.error("proxy metering: cannot commit the journal position in {}", journal.dir(), e);
            }
        }
    }

    private boolean store(List<ProxyCall> batch) {
        if (batch.isEmpty()) {
            return true;
        }
        if (!spool.isEmpty()) {
            // keep order with what is already spooled: storage is down or catching up
            return spool(batch);
        }
        try {
            storage.write(batch);
            stored.addAndGet(batch.size());
            return true;
        } catch (RuntimeException e) {
            log.warn("proxy metering: storage unavailable ({}); spooling {} record(s)", e.getMessage(), batch.size());
            return spool(batch);
        }
    }

    private boolean spool(List<ProxyCall> calls) {
        try {
            spool.append(calls);
            spooled.addAndGet(calls.size());
            return true;
        } catch (RuntimeException e) {
            log.error("proxy metering: cannot spool {} record(s) to {}; they stay in the journal", calls.size(),
                    spool.dir(), e);
            return false;
        }
    }

    private void replay() {
        try {
            if (!spool.isEmpty()) {
                long n = spool.replay(batch -> {
                    storage.write(batch);
                    stored.addAndGet(batch.size());
                }, BATCH);
                log.info("proxy metering: replayed {} spooled record(s)", n);
            }
        } catch (RuntimeException e) {
            log.debug("proxy metering: replay deferred, storage still unavailable ({})", e.getMessage());
        }
    }

    @Override
    public void close() {
        running = false;
        LockSupport.unpark(drainer);
        try {
            drainer.join(10_000);
            // what is not drained by now stays in the journal for the next start
            closed = true;
            LockSupport.unpark(drainer);
            drainer.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        timers.shutdown();
        try {
            timers.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        journal.close();
    }
}
