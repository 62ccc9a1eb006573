package org.carbonledger.proxy;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Flow;

/**
 * The upstream response body as the HTTP client delivers it, one buffer list at a time, taken by the thread that
 * writes it to the client. Unlike an input stream over the body, every chunk that arrived before a failure is handed
 * out before the failure itself, so a client sees exactly the bytes the upstream sent before it broke off. Demand is
 * one item at a time: the upstream is read only as fast as the client takes it. The response is handed over as soon
 * as its headers are in ({@link #getBody} is complete from the start); the body follows through {@link #next}.
 */
final class BodyChunks implements HttpResponse.BodySubscriber<Void> {

    private static final Object END = new Object();

    private final LinkedBlockingQueue<Object> items = new LinkedBlockingQueue<>();
    private volatile Flow.Subscription subscription;

    @Override
    public CompletionStage<Void> getBody() {
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
        subscription = s;
        s.request(1);
    }

    @Override
    public void onNext(List<ByteBuffer> buffers) {
        items.add(buffers);
    }

    @Override
    public void onError(Throwable error) {
        items.add(error);
    }

    @Override
    public void onComplete() {
        items.add(END);
    }

    /** The next buffers, or null at the end of the body; throws what broke the body off. */
    @SuppressWarnings("unchecked")
    List<ByteBuffer> next() throws IOException {
        Object item;
        try {
            item = items.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            cancel();
            throw new IOException("interrupted while reading the upstream response", e);
        }
        if (item == END) {
            return null;
        }
        if (item instanceof Throwable t) {
            throw t instanceof IOException io ? io : new IOException(t);
        }
        subscription.request(1);
        return (List<ByteBuffer>) item;
    }

    /** Stops reading the upstream response (closes its connection). */
    void cancel() {
        Flow.Subscription s = subscription;
        if (s != null) {
            s.cancel();
        }
    }
}
