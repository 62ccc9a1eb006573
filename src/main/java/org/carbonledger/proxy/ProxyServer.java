package org.carbonledger.proxy;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.carbonledger.proxy.ProxyCall.Outcome;
import org.carbonledger.proxy.ProxyCall.UsageSource;
import org.carbonledger.proxy.ProxyKeys.Holder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's HTTP/1.1 server and upstream client, on Netty (decision 0073). A few I/O threads serve every
 * connection; a call is handled by the thread of its client connection from start to end, and its upstream
 * connection, taken from a pool of kept-alive connections of that thread ({@link Upstreams}), is handled by the same
 * thread. The call authenticates the proxy key, picks the route, forwards method, path, query, headers (minus
 * hop-by-hop and the proxy's own) and body, and copies status, headers and body back chunk by chunk as they arrive;
 * when the client reads slower than the upstream sends, the upstream connection stops being read until the client's
 * connection drains. The body is read on the side by a {@link UsageTap}. Blocking work never runs on an I/O thread:
 * journalling the metering record ({@link Metering#submit}) runs on the metering thread, and key look-ups that miss
 * the cache and CO2e estimates for the extras on a worker pool; the call continues on its I/O thread afterwards.
 */
public final class ProxyServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ProxyServer.class);

    /** The header carrying the carbonledger key (scope ingest) that names the tenant; never forwarded. */
    public static final String KEY_HEADER = "X-Carbonledger-Key";
    public static final String REQUEST_ID_HEADER = "X-Carbonledger-Request-Id";
    public static final String CO2E_HEADER = "X-Carbonledger-Co2e-Grams";
    static final Set<String> METERED = Set.of("/chat/completions", "/completions", "/embeddings", "/responses");
    /** Hop-by-hop headers (RFC 9110 §7.6.1) and those the proxy sets itself on each side. */
    private static final Set<String> NOT_FORWARDED = Set.of("connection", "keep-alive", "proxy-authenticate",
            "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "host",
            "content-length", "expect", KEY_HEADER.toLowerCase(Locale.ROOT));
    /** Methods a request may be sent again for when a kept-alive connection broke before any answer. */
    private static final Set<String> IDEMPOTENT = Set.of("GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE");
    /** How long after its last bytes the connection of a client whose response the upstream cut off is closed. */
    private static final long CUT_DELAY_MILLIS = 50;
    /** Non-streaming bodies are read for usage up to this size. */
    static final int JSON_CAP = 16 * 1024 * 1024;

    private final ProxyRoutes routes;
    private final ProxyKeys keys;
    private final Metering metering;
    private final CarbonEstimates estimates;
    private final Clock clock;
    private final EventLoopGroup ioThreads;
    private final Channel listener;
    private final Upstreams upstreams = new Upstreams();
    /** Journal appends, one after the other, off the I/O threads. */
    private final ExecutorService meteringThread;
    /** Storage look-ups (keys not cached, CO2e estimates), off the I/O threads. */
    private final ExecutorService workers;

    /** Estimated CO2e for the opt-in extra; empty when it cannot be estimated now. */
    public interface CarbonEstimates {
        Optional<BigDecimal> co2eGrams(UUID tenantId, UUID workloadId, long inputTokens, long outputTokens,
                Instant endedAt);
    }

    ProxyServer(ProxyRoutes routes, ProxyKeys keys, Metering metering, CarbonEstimates estimates, Clock clock,
            String host, int port) {
        this.routes = routes;
        this.keys = keys;
        this.metering = metering;
        this.estimates = estimates;
        this.clock = clock;
        this.meteringThread = Executors.newSingleThreadExecutor(daemon("proxy-metering-append"));
        this.workers = Executors.newCachedThreadPool(daemon("proxy-worker"));
        this.ioThreads = new MultiThreadIoEventLoopGroup(Math.max(1, Math.min(4, Runtime.getRuntime()
                .availableProcessors())), new DefaultThreadFactory("proxy-io", true), NioIoHandler.newFactory());
        ServerBootstrap server = new ServerBootstrap().group(ioThreads).channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(new HttpDecoderConfig()
                                .setMaxHeaderSize(Upstreams.MAX_HEADER_BYTES)
                                .setMaxInitialLineLength(Upstreams.MAX_HEADER_BYTES)));
                        ch.pipeline().addLast(new HttpServerExpectContinueHandler());
                        ch.pipeline().addLast(new Connection());
                    }
                });
        try {
            this.listener = server.bind(new InetSocketAddress(host, port)).syncUninterruptibly().channel();
        } catch (Exception e) { // a BindException, thrown through syncUninterruptibly
            ioThreads.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            meteringThread.shutdown();
            workers.shutdown();
            throw new UncheckedIOException("cannot listen on " + host + ":" + port,
                    e instanceof java.io.IOException io ? io : new java.io.IOException(e.getMessage(), e));
        }
    }

    private static ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** The port the proxy listens on. */
    public int port() {
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }

    /** Whether every metering record so far is stored or spooled (the journal is drained, the spool empty). */
    public boolean meteringIdle() {
        return metering.idle();
    }

    @Override
    public void close() {
        listener.close().syncUninterruptibly();
        ioThreads.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        meteringThread.shutdown();
        try {
            meteringThread.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        workers.shutdownNow();
        metering.close();
    }

    /** Runs {@code work} on {@code executor}, then {@code then} on the call's I/O thread. */
    private static void offLoop(Executor executor, EventLoop loop, Runnable work, Runnable then) {
        Runnable both = () -> {
            try {
                work.run();
            } finally {
                try {
                    loop.execute(then);
                } catch (RejectedExecutionException shuttingDown) {
                    log.debug("proxy shutting down: a call's continuation is dropped");
                }
            }
        };
        try {
            executor.execute(both);
        } catch (RejectedExecutionException shuttingDown) {
            both.run();
        }
    }

    /** One client connection: its calls, one at a time (requests pipelined behind a call wait for it). */
    private final class Connection extends ChannelInboundHandlerAdapter {
        private ChannelHandlerContext ctx;
        private final ArrayDeque<Object> waiting = new ArrayDeque<>();
        private HttpRequest request;
        private CompositeByteBuf body;
        private long t0;
        private Instant startedAt;
        private Forward call;

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (call != null) {
                waiting.add(msg);
                return;
            }
            read(msg);
        }

        private void read(Object msg) {
            if (msg instanceof HttpRequest r) {
                if (r.decoderResult().isFailure()) {
                    ReferenceCountUtil.release(msg);
                    request = null;
                    answerProblem(r, 400, "Bad Request", "the request is not valid HTTP/1.1: "
                            + r.decoderResult().cause().getMessage(), null, false);
                    return;
                }
                t0 = System.nanoTime();
                startedAt = clock.instant();
                request = r;
                releaseBody();
                body = ctx.alloc().compositeBuffer(Integer.MAX_VALUE);
            }
            if (msg instanceof HttpContent c) {
                if (request == null || body == null) {
                    ReferenceCountUtil.release(msg);
                    return;
                }
                if (c.content().isReadable()) {
                    body.addComponent(true, c.content().retain());
                }
                c.release();
                if (c instanceof LastHttpContent) {
                    byte[] bytes = ByteBufUtil.getBytes(body);
                    releaseBody();
                    HttpRequest r = request;
                    request = null;
                    ctx.channel().config().setAutoRead(false);
                    call = new Forward(this, r, bytes, t0, startedAt);
                    call.start();
                }
            } else if (!(msg instanceof HttpRequest)) {
                ReferenceCountUtil.release(msg);
            }
        }

        /** The call is over and the client may send the next one (or the connection is closed). */
        void done(boolean keepAlive) {
            call = null;
            if (!keepAlive || !ctx.channel().isActive()) {
                ctx.close();
                return;
            }
            ctx.channel().config().setAutoRead(true);
            while (call == null && !waiting.isEmpty()) {
                read(waiting.poll());
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (call != null && ctx.channel().isWritable()) {
                call.clientWritable();
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            releaseBody();
            waiting.forEach(ReferenceCountUtil::release);
            waiting.clear();
            if (call != null) {
                call.clientGone();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("proxy client connection: {}", cause.toString());
            ctx.close();
        }

        private void releaseBody() {
            if (body != null) {
                body.release();
                body = null;
            }
        }

        /** An RFC 9457 problem of the proxy itself, outside a call ({@code field} names the header at fault). */
        void answerProblem(HttpRequest r, int status, String title, String detail, String field, boolean keepAlive) {
            call = null;
            FullHttpResponse response = problem(status, title, detail, field);
            HttpUtil.setKeepAlive(response, keepAlive);
            ctx.writeAndFlush(response).addListener((ChannelFutureListener) f -> done(keepAlive && f.isSuccess()));
        }
    }

    private static FullHttpResponse problem(int status, String title, String detail, String field) {
        String json = "{\"type\":\"about:blank\",\"title\":\"" + title + "\",\"status\":" + status
                + ",\"detail\":\"" + detail.replace("\\", "\\\\").replace("\"", "\\\"") + "\""
                + (field == null ? "" : ",\"field\":\"" + field + "\"") + "}";
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(status), Unpooled.wrappedBuffer(json.getBytes(StandardCharsets.UTF_8)));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/problem+json");
        HttpUtil.setContentLength(response, response.content().readableBytes());
        return response;
    }

    /** One call being forwarded; every method runs on the I/O thread of its client connection. */
    private final class Forward implements Upstreams.Listener {
        private final Connection client;
        private final Channel down;
        private final EventLoop loop;
        private final HttpRequest request;
        private final byte[] requestBody;
        private final long t0;
        private final Instant startedAt;
        private final boolean keepAlive;
        private final String method;
        private boolean metered;
        private Call call;
        private URI upstreamUrl;
        private String upstreamTarget;
        private Channel up;
        private int upstreamUses;
        private boolean sentAgain;
        // the response
        private boolean answered; // response headers from the upstream arrived
        private boolean over; // nothing more to do for this call but, perhaps, the last write
        private boolean clientGone;
        private int status;
        private boolean ok;
        private boolean sse;
        private boolean upstreamKeepAlive;
        private boolean extras;
        private HttpResponse head;
        private CompositeByteBuf held; // the body of a non-streaming response with extras
        private UsageTap tap;
        private ChannelFuture lastWrite;
        private boolean unflushed;

        Forward(Connection client, HttpRequest request, byte[] requestBody, long t0, Instant startedAt) {
            this.client = client;
            this.down = client.ctx.channel();
            this.loop = down.eventLoop();
            this.request = request;
            this.requestBody = requestBody;
            this.t0 = t0;
            this.startedAt = startedAt;
            this.keepAlive = HttpUtil.isKeepAlive(request);
            this.method = request.method().name();
        }

        void start() {
            String key = request.headers().get(KEY_HEADER);
            if (key == null || key.isBlank()) {
                client.answerProblem(request, 401, "Unauthorized", "the proxy needs a carbonledger key with scope "
                        + "ingest in " + KEY_HEADER, KEY_HEADER, keepAlive);
                return;
            }
            Holder cached = keys.cached(key);
            if (cached != null) {
                authenticated(cached);
                return;
            }
            Holder[] resolved = new Holder[1];
            offLoop(workers, loop, () -> resolved[0] = keys.resolve(key), () -> {
                if (resolved[0] == null) {
                    client.answerProblem(request, 502, "Bad Gateway", "the proxy key could not be checked", null,
                            false);
                } else {
                    authenticated(resolved[0]);
                }
            });
        }

        private void authenticated(Holder holder) {
            if (holder.invalid()) {
                client.answerProblem(request, 401, "Unauthorized", KEY_HEADER + " is not a valid carbonledger key",
                        KEY_HEADER, keepAlive);
                return;
            }
            if (holder.forbidden()) {
                client.answerProblem(request, 403, "Forbidden", "the key in " + KEY_HEADER + " lacks scope ingest",
                        KEY_HEADER, keepAlive);
                return;
            }
            URI target;
            try {
                target = URI.create(request.uri());
            } catch (IllegalArgumentException e) {
                client.answerProblem(request, 400, "Bad Request", "the request target is not a URI", null, false);
                return;
            }
            String path = target.getRawPath() == null ? "/" : target.getRawPath();
            metered = METERED.stream().anyMatch(path::endsWith);
            String requestModel = metered || routes.matchesByModel() ? UsageTap.requestModel(requestBody) : null;
            HttpHeaders headers = request.headers();
            ProxyRoutes.Route route = routes.route(path, headers::get, requestModel);
            call = new Call(holder, route, method, path, requestModel, requestBody, startedAt, t0);
            upstreamUrl = route.upstreamUrl();
            upstreamTarget = (upstreamUrl.getRawPath() == null ? "" : upstreamUrl.getRawPath()) + path
                    + (target.getRawQuery() == null ? "" : "?" + target.getRawQuery());
            connect();
        }

        private void connect() {
            Future<Channel> acquired = upstreams.acquire(loop, upstreamUrl);
            acquired.addListener(f -> {
                if (!f.isSuccess()) {
                    unanswered(name(f.cause()));
                    return;
                }
                Channel ch = (Channel) f.getNow();
                if (clientGone) {
                    upstreams.release(loop, upstreamUrl, ch);
                    return;
                }
                up = ch;
                upstreamUses = Upstreams.attach(ch, this);
                ch.writeAndFlush(upstreamRequest()).addListener((ChannelFutureListener) w -> {
                    if (!w.isSuccess() && up == w.channel()) {
                        // a connection found closed when writing: nothing reached the upstream
                        brokeBeforeAnswer(w.cause(), w.cause() instanceof java.nio.channels.ClosedChannelException);
                    }
                });
            });
        }

        private DefaultFullHttpRequest upstreamRequest() {
            DefaultFullHttpRequest forward = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, request.method(),
                    upstreamTarget, Unpooled.wrappedBuffer(requestBody));
            HttpHeaders out = forward.headers();
            for (Map.Entry<String, String> h : request.headers()) {
                if (!NOT_FORWARDED.contains(h.getKey().toLowerCase(Locale.ROOT))) {
                    out.add(h.getKey(), h.getValue());
                }
            }
            out.set(HttpHeaderNames.HOST, upstreamUrl.getPort() == -1 ? upstreamUrl.getHost()
                    : upstreamUrl.getHost() + ":" + upstreamUrl.getPort());
            if (requestBody.length > 0 || !(method.equals("GET") || method.equals("HEAD")
                    || method.equals("OPTIONS") || method.equals("TRACE") || method.equals("DELETE"))) {
                HttpUtil.setContentLength(forward, requestBody.length);
            }
            return forward;
        }

        /** The upstream connection broke before any answer: send again where that is safe, else a 502. */
        private void brokeBeforeAnswer(Throwable cause, boolean nothingSent) {
            Channel ch = up;
            up = null;
            if (ch != null) {
                Upstreams.discard(ch);
            }
            boolean reused = upstreamUses > 1;
            boolean idempotent = IDEMPOTENT.contains(method) || request.headers().contains("Idempotency-Key");
            if (reused && !sentAgain && (nothingSent || idempotent) && !clientGone) {
                // the upstream closed a kept-alive connection just as the request went out (its idle timeout)
                sentAgain = true;
                connect();
                return;
            }
            unanswered((cause != null ? name(cause)
                    : reused ? "it closed the kept-alive connection without answering"
                    : "it closed the connection without answering"));
        }

        /** The proxy answers 502 itself, saying {@code why} the upstream did not answer; journalled first. */
        private void unanswered(String why) {
            String reason = "upstream did not answer: " + why;
            over = true;
            if (clientGone) {
                return;
            }
            String detail = "upstream " + call.route.upstream() + " did not answer: " + why;
            call.latency = System.nanoTime() - t0;
            Runnable answer = () -> client.answerProblem(request, 502, "Bad Gateway", detail, null, keepAlive);
            if (metered) {
                ProxyCall failed = call.failed(0, Outcome.FAILED, reason);
                offLoop(meteringThread, loop, () -> metering.submit(failed), answer);
            } else {
                answer.run();
            }
        }

        @Override
        public void upstreamRead(HttpObject msg) {
            if (over || clientGone) {
                ReferenceCountUtil.release(msg);
                return;
            }
            if (msg instanceof HttpResponse r) {
                if (r.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                    ReferenceCountUtil.release(msg);
                    return; // 1xx: the final answer follows
                }
                response(r);
            }
            if (msg instanceof HttpContent c) {
                if (!answered) {
                    c.release();
                    return;
                }
                if (c instanceof LastHttpContent last) {
                    last(last);
                } else {
                    content(c);
                }
            }
        }

        private void response(HttpResponse r) {
            answered = true;
            call.latency = System.nanoTime() - t0;
            status = r.status().code();
            ok = status >= 200 && status < 300;
            upstreamKeepAlive = HttpUtil.isKeepAlive(r);
            String contentType = r.headers().get(HttpHeaderNames.CONTENT_TYPE, "");
            sse = contentType.toLowerCase(Locale.ROOT).startsWith("text/event-stream");
            long length = HttpUtil.getContentLength(r, -1L);
            boolean noBody = method.equals("HEAD") || status == 204 || status == 304;
            tap = sse ? UsageTap.sse() : UsageTap.json(JSON_CAP);
            extras = metered && ok && !call.route.extras().isEmpty();
            head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, r.status());
            HttpHeaders out = head.headers();
            for (Map.Entry<String, String> h : r.headers()) {
                String name = h.getKey().toLowerCase(Locale.ROOT);
                if (!NOT_FORWARDED.contains(name) && !name.startsWith(":")) {
                    out.add(h.getKey(), h.getValue());
                }
            }
            HttpUtil.setKeepAlive(head, keepAlive);
            if (extras && !sse && length <= JSON_CAP) {
                // the extras go in headers, which precede the body: the body (announced within JSON_CAP, or
                // chunked) is read first; a longer one is forwarded without them
                held = down.alloc().compositeBuffer(Integer.MAX_VALUE);
                return;
            }
            if (noBody) {
                if (r.headers().contains(HttpHeaderNames.CONTENT_LENGTH)) {
                    out.set(HttpHeaderNames.CONTENT_LENGTH, r.headers().get(HttpHeaderNames.CONTENT_LENGTH));
                }
            } else if (!sse && length >= 0) {
                HttpUtil.setContentLength(head, length);
            } else {
                HttpUtil.setTransferEncodingChunked(head, true);
            }
            HttpResponse h = head;
            head = null;
            // flushed at the end of the upstream read that brought it (upstreamReadComplete), with what followed it
            lastWrite = down.write(h);
            unflushed = true;
            lastWrite.addListener(this::written);
        }

        private void content(HttpContent c) {
            ByteBuf bytes = c.content();
            if (metered) {
                feed(bytes);
            }
            if (held != null) {
                held.addComponent(true, bytes.retain());
                c.release();
                return;
            }
            lastWrite = down.write(c);
            unflushed = true;
            lastWrite.addListener(this::written);
            if (!down.isWritable() && up != null) {
                down.flush();
                unflushed = false;
                up.config().setAutoRead(false); // resumes when the client's connection drains
            }
        }

        /**
         * Every chunk is handed to the client as soon as the read that brought it ends: chunks that arrived together
         * leave together (one write to the socket), none waits for a later one.
         */
        @Override
        public void upstreamReadComplete() {
            if (unflushed) {
                unflushed = false;
                down.flush();
            }
        }

        private void feed(ByteBuf bytes) {
            int n = bytes.readableBytes();
            if (n == 0) {
                return;
            }
            if (bytes.hasArray()) {
                tap.feed(bytes.array(), bytes.arrayOffset() + bytes.readerIndex(), n);
            } else {
                byte[] copy = new byte[n];
                bytes.getBytes(bytes.readerIndex(), copy);
                tap.feed(copy, 0, n);
            }
        }

        private void last(LastHttpContent last) {
            over = true;
            if (metered) {
                feed(last.content());
            }
            // the upstream's part is complete: its connection serves the next call
            Channel ch = up;
            up = null;
            if (ch != null && upstreamKeepAlive) {
                upstreams.release(loop, upstreamUrl, ch);
            } else if (ch != null) {
                Upstreams.discard(ch);
            }
            tap.finish();
            if (held != null) {
                held.addComponent(true, last.content().retain());
                last.release();
                finishHeld();
                return;
            }
            ProxyCall done = metered ? finished() : null;
            boolean sseExtras = extras && sse;
            if (done == null) {
                complete(last, null, null);
                return;
            }
            // journalled before the client can have the whole response (decision 0071): the last bytes, or the
            // end of the chunked body, are written once the append returned
            String[] comment = new String[1];
            offLoop(sseExtras ? workers : meteringThread, loop, () -> {
                metering.submit(done);
                if (sseExtras) {
                    comment[0] = sseExtras(call.route, done);
                }
            }, () -> complete(last, done, comment[0]));
        }

        /** A non-streaming response with extras: headers (with the extras), then the whole body, in one write. */
        private void finishHeld() {
            ProxyCall done = finished();
            ByteBuf bytes = held;
            held = null;
            HttpResponse h = head;
            head = null;
            String[] values = new String[2];
            offLoop(workers, loop, () -> {
                if (call.route.extras().contains(ProxyRoutes.Extra.REQUEST_ID)) {
                    values[0] = done.requestId();
                }
                if (call.route.extras().contains(ProxyRoutes.Extra.CO2E)) {
                    values[1] = co2e(done).map(BigDecimal::toPlainString).orElse(null);
                }
                metering.submit(done);
            }, () -> {
                if (values[0] != null) {
                    h.headers().set(REQUEST_ID_HEADER, values[0]);
                }
                if (values[1] != null) {
                    h.headers().set(CO2E_HEADER, values[1]);
                }
                HttpUtil.setContentLength(h, bytes.readableBytes());
                down.write(h);
                complete(new DefaultLastHttpContent(bytes), done, null);
            });
        }

        /** Writes the end of the response; the record journalled before it stands if the client goes during it. */
        private void complete(LastHttpContent last, ProxyCall done, String comment) {
            if (done != null && ok) {
                journalled = true;
            }
            if (!down.isActive()) {
                last.release();
                clientGone();
                return;
            }
            if (comment != null) {
                down.write(new DefaultHttpContent(Unpooled.wrappedBuffer(comment.getBytes(StandardCharsets.UTF_8))));
            }
            down.writeAndFlush(last).addListener((ChannelFutureListener) f -> {
                if (f.isSuccess()) {
                    client.done(keepAlive);
                } else {
                    clientGone();
                }
            });
        }

        /** Whether the call's record was journalled before its last write (successful and metered). */
        private boolean journalled;

        private ProxyCall finished() {
            return ok ? call.completed(status, tap, sse, Outcome.METERED)
                    : call.failed(status, Outcome.FAILED, "upstream answered " + status);
        }

        private void written(Future<? super Void> f) {
            if (!f.isSuccess()) {
                clientGone();
            }
        }

        void clientWritable() {
            if (up != null) {
                up.config().setAutoRead(true);
            }
        }

        /** The client went away: stop reading the upstream (close its connection) and record what was used. */
        void clientGone() {
            if (clientGone) {
                return;
            }
            clientGone = true;
            down.close();
            client.call = null;
            Channel ch = up;
            up = null;
            if (ch != null) {
                Upstreams.discard(ch);
            }
            if (held != null) {
                held.release();
                held = null;
            }
            if (!metered || !answered || !ok || over || journalled) {
                // nothing delivered that is not recorded already: a journalled record stands as it is (a second
                // one could carry another request id when the upstream's body has none, and count twice)
                return;
            }
            tap.finish();
            over = true;
            ProxyCall cancelled = call.completed(status, tap, sse, Outcome.CLIENT_CANCELLED);
            offLoop(meteringThread, loop, () -> metering.submit(cancelled), () -> { });
        }

        @Override
        public void upstreamClosed(Throwable cause) {
            if (over || clientGone) {
                return;
            }
            if (!answered) {
                brokeBeforeAnswer(cause, false);
                return;
            }
            over = true;
            up = null;
            tap.finish();
            if (held != null) {
                held.release();
                held = null;
            }
            String why = cause == null ? "connection closed" : cause.toString();
            Runnable cut = () -> {
                // the client must see the same cut-off response: its connection ends without completing it, once
                // every byte that arrived is written — and a moment later, so that the bytes reach the client
                // before the end of the connection does (clients such as the JDK's HttpClient drop bytes they
                // received with the end of a connection that breaks off a response)
                ChannelFuture w = lastWrite;
                client.call = null;
                down.flush();
                if (w == null) {
                    down.close();
                } else {
                    w.addListener(f -> loop.schedule(() -> down.close(), CUT_DELAY_MILLIS, TimeUnit.MILLISECONDS));
                }
            };
            if (metered) {
                ProxyCall aborted = call.failed(status, Outcome.UPSTREAM_ABORTED,
                        "upstream closed the connection mid-response: " + why);
                offLoop(meteringThread, loop, () -> metering.submit(aborted), cut);
            } else {
                cut.run();
            }
        }
    }

    /** The exception's name as a client would see it (a refused connection is a ConnectException). */
    private static String name(Throwable e) {
        if (e instanceof ConnectTimeoutException) {
            return "ConnectTimeoutException";
        }
        if (e instanceof ConnectException) {
            return "ConnectException";
        }
        return e.getClass().getSimpleName();
    }

    /** The extras of a stream: an SSE comment after the upstream's last event, which SSE clients ignore. */
    private String sseExtras(ProxyRoutes.Route route, ProxyCall done) {
        StringBuilder s = new StringBuilder(": carbonledger");
        if (route.extras().contains(ProxyRoutes.Extra.REQUEST_ID)) {
            s.append(" request-id=").append(done.requestId());
        }
        if (route.extras().contains(ProxyRoutes.Extra.CO2E)) {
            co2e(done).ifPresent(g -> s.append(" co2e-grams=").append(g.toPlainString()));
        }
        return s.append("\n\n").toString();
    }

    private Optional<BigDecimal> co2e(ProxyCall done) {
        if (done.tenantId() == null) {
            return Optional.empty();
        }
        try {
            return estimates.co2eGrams(done.tenantId(), done.workloadId(), done.inputTokens(), done.outputTokens(),
                    done.endedAt());
        } catch (RuntimeException storageDown) {
            log.debug("no CO2e estimate for {}: {}", done.requestId(), storageDown.getMessage());
            return Optional.empty();
        }
    }

    /** What is known about a call while it is being forwarded. */
    private final class Call {
        final Holder holder;
        final ProxyRoutes.Route route;
        final String method;
        final String path;
        final String requestModel;
        final byte[] requestBody;
        final Instant startedAt;
        final long t0;
        long latency;

        Call(Holder holder, ProxyRoutes.Route route, String method, String path, String requestModel,
                byte[] requestBody, Instant startedAt, long t0) {
            this.holder = holder;
            this.route = route;
            this.method = method;
            this.path = path;
            this.requestModel = requestModel;
            this.requestBody = requestBody;
            this.startedAt = startedAt;
            this.t0 = t0;
        }

        ProxyCall completed(int status, UsageTap tap, boolean sse, Outcome outcome) {
            boolean reported = tap.reported();
            long in = reported ? tap.inputTokens() : UsageTap.countedInputTokens(requestBody);
            long out = reported ? tap.outputTokens() : tap.countedOutputTokens();
            String id = tap.id() != null && !tap.id().isBlank() && tap.id().length() <= 200 ? tap.id()
                    : "clp-" + UUID.randomUUID();
            return call(id, status, sse, outcome, reported ? UsageSource.REPORTED : UsageSource.COUNTED, in, out,
                    null, tap.model());
        }

        ProxyCall failed(int status, Outcome outcome, String reason) {
            return call("clp-" + UUID.randomUUID(), status, false, outcome, UsageSource.NONE, null, null, reason,
                    null);
        }

        private ProxyCall call(String id, int status, boolean sse, Outcome outcome, UsageSource usage, Long in,
                Long out, String reason, String responseModel) {
            long now = System.nanoTime();
            long latencyMicros = latency / 1000;
            long durationMicros = Math.max(latencyMicros, (now - t0) / 1000);
            Instant endedAt = startedAt.plusNanos(now - t0);
            return new ProxyCall(holder.tenantId(), holder.tenantId() == null ? holder.keyHash() : null, id,
                    route.name(), route.workloadId(), method, path,
                    responseModel != null ? responseModel : requestModel, sse, status, latencyMicros,
                    durationMicros, outcome, usage, in, out, reason, startedAt, endedAt);
        }
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }
}
