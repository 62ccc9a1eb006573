package org.carbonledger.proxy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes metered calls off the request threads: {@link #submit} never blocks and never throws. A writer thread
 * stores them in batches; a batch storage refuses (database down, …) is appended to the {@link Spool} instead, and a
 * replayer re-submits the spool to storage every {@code replayEvery}. When the queue is full, records go to the
 * spool directly.
 */
final class Metering implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Metering.class);
    static final int BATCH = 200;

    private final Spool.Sink storage;
    private final Spool spool;
    private final BlockingQueue<ProxyCall> queue;
    private final Thread writer;
    private final ScheduledExecutorService replayer;
    private final AtomicLong stored = new AtomicLong();
    private final AtomicLong spooled = new AtomicLong();
    private volatile boolean running = true;

    Metering(Spool.Sink storage, Spool spool, int queueCapacity, Duration replayEvery) {
        this.storage = storage;
        this.spool = spool;
        this.queue = new ArrayBlockingQueue<>(queueCapacity);
        this.writer = new Thread(this::drain, "proxy-metering-writer");
        this.writer.setDaemon(true);
        this.writer.start();
        this.replayer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "proxy-spool-replayer");
            t.setDaemon(true);
            return t;
        });
        this.replayer.scheduleWithFixedDelay(this::replay, 0, replayEvery.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Hands a call over for storage; never blocks the caller, never throws. */
    void submit(ProxyCall call) {
        if (!queue.offer(call)) {
            spool(List.of(call));
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

    /** Whether nothing waits: queue drained, spool empty. */
    boolean idle() {
        return queue.isEmpty() && inFlight == 0 && spool.isEmpty();
    }

    private volatile int inFlight;

    private void drain() {
        List<ProxyCall> batch = new ArrayList<>(BATCH);
        while (running || !queue.isEmpty()) {
            try {
                ProxyCall first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                inFlight = 1;
                batch.add(first);
                queue.drainTo(batch, BATCH - 1);
                store(batch);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } finally {
                batch.clear();
                inFlight = 0;
            }
        }
    }

    private void store(List<ProxyCall> batch) {
        if (!spool.isEmpty()) {
            // keep order with what is already spooled: storage is down or catching up
            spool(batch);
            return;
        }
        try {
            storage.write(batch);
            stored.addAndGet(batch.size());
        } catch (RuntimeException e) {
            log.warn("proxy metering: storage unavailable ({}); spooling {} record(s)", e.getMessage(), batch.size());
            spool(batch);
        }
    }

    private void spool(List<ProxyCall> calls) {
        try {
            spool.append(calls);
            spooled.addAndGet(calls.size());
        } catch (RuntimeException e) {
            log.error("proxy metering: cannot spool {} record(s) to {}", calls.size(), spool.dir(), e);
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
        try {
            writer.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        replayer.shutdown();
        try {
            replayer.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
