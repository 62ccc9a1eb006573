package org.carbonledger.proxy;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.pool.AbstractChannelPoolHandler;
import io.netty.channel.pool.ChannelHealthChecker;
import io.netty.channel.pool.SimpleChannelPool;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.Future;
import java.net.URI;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/**
 * Kept-alive HTTP/1.1 connections to the upstreams, pooled per I/O thread and upstream: a call takes a connection
 * of the thread that serves its client, so the client's and the upstream's connection are handled by one thread and
 * no call crosses threads. A connection goes back to its pool only after a complete response the upstream allows to
 * keep alive; an idle connection is closed after {@link #IDLE_SECONDS}, below the keep-alive timeouts inference
 * servers commonly use (uvicorn, which serves vLLM, closes idle connections after 5 s), and a connection the
 * upstream closed while idle is dropped by the pool's health check before it is used.
 */
final class Upstreams {

    /** Idle pooled connections are closed after this many seconds. */
    static final int IDLE_SECONDS = 4;
    private static final int CONNECT_TIMEOUT_MILLIS = 10_000;
    static final int MAX_HEADER_BYTES = 64 * 1024;
    /** How many requests a connection has carried (1 on its first). */
    static final AttributeKey<int[]> USES = AttributeKey.valueOf("carbonledger.proxy.uses");

    /** What the proxy's call does with the events of its upstream connection. */
    interface Listener {
        void upstreamRead(HttpObject message);

        /** The end of one read from the connection: what it brought is handed on (one flush for all of it). */
        void upstreamReadComplete();

        void upstreamClosed(Throwable cause);
    }

    private record Key(EventLoop loop, URI upstream) {
    }

    private final ConcurrentHashMap<Key, SimpleChannelPool> pools = new ConcurrentHashMap<>();
    private final SslContext tls;

    Upstreams() {
        try {
            tls = SslContextBuilder.forClient().endpointIdentificationAlgorithm("HTTPS").build();
        } catch (SSLException e) {
            throw new IllegalStateException("cannot set up TLS for https upstreams", e);
        }
    }

    /** A connection to {@code upstream} on {@code loop}: a kept-alive one when there is one, else a new one. */
    Future<Channel> acquire(EventLoop loop, URI upstream) {
        return pools.computeIfAbsent(new Key(loop, upstream), k -> pool(k.loop(), k.upstream())).acquire();
    }

    /** Returns a connection after a complete response that the upstream allows to keep alive. */
    void release(EventLoop loop, URI upstream, Channel ch) {
        handler(ch).listener = null;
        ch.config().setAutoRead(true);
        pools.get(new Key(loop, upstream)).release(ch); // the pool it was acquired from: pools are never removed
    }

    /** Makes {@code listener} the receiver of the connection's events; returns how many requests it carried. */
    static int attach(Channel ch, Listener listener) {
        handler(ch).listener = listener;
        int[] uses = ch.attr(USES).get();
        return ++uses[0];
    }

    /** Closes a connection that must not be reused (call cancelled, response cut, …). */
    static void discard(Channel ch) {
        handler(ch).listener = null;
        ch.close();
    }

    private static Events handler(Channel ch) {
        return ch.pipeline().get(Events.class);
    }

    private SimpleChannelPool pool(EventLoop loop, URI upstream) {
        boolean https = "https".equals(upstream.getScheme().toLowerCase(Locale.ROOT));
        String host = upstream.getHost();
        int port = upstream.getPort() != -1 ? upstream.getPort() : https ? 443 : 80;
        Bootstrap bootstrap = new Bootstrap().group(loop).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MILLIS)
                .remoteAddress(host, port);
        return new SimpleChannelPool(bootstrap, new AbstractChannelPoolHandler() {
            @Override
            public void channelCreated(Channel ch) {
                ch.attr(USES).set(new int[1]);
                if (https) {
                    ch.pipeline().addLast(tls.newHandler(ch.alloc(), host, port));
                }
                ch.pipeline().addLast(new HttpClientCodec(new HttpDecoderConfig()
                        .setMaxHeaderSize(MAX_HEADER_BYTES).setMaxInitialLineLength(MAX_HEADER_BYTES), false, false));
                ch.pipeline().addLast(new IdleStateHandler(0, 0, IDLE_SECONDS, TimeUnit.SECONDS));
                ch.pipeline().addLast(new Events());
            }
        }, ChannelHealthChecker.ACTIVE, true, true);
    }

    /** Hands the connection's events to the call using it; closes it when idle in the pool too long. */
    private static final class Events extends ChannelInboundHandlerAdapter {
        Listener listener;
        private Throwable cause;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            Listener l = listener;
            if (l == null || !(msg instanceof HttpObject http)) {
                io.netty.util.ReferenceCountUtil.release(msg);
                ctx.close(); // an answer nobody asked for: the connection's state is unknown
                return;
            }
            if (http.decoderResult().isFailure()) {
                io.netty.util.ReferenceCountUtil.release(msg);
                exceptionCaught(ctx, http.decoderResult().cause());
                return;
            }
            l.upstreamRead(http);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            Listener l = listener;
            if (l != null) {
                l.upstreamReadComplete();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            Listener l = listener;
            listener = null;
            if (l != null) {
                l.upstreamClosed(cause);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable e) {
            if (cause == null) {
                cause = e;
            }
            ctx.close();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof IdleStateEvent && listener == null) {
                ctx.close();
            }
        }
    }
}
