package org.carbonledger.bench;

import java.io.StringReader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.carbonledger.CarbonLedgerApplication;
import org.postgresql.PGConnection;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Durable ingest throughput through the HTTP API (JSON batches and NDJSON, several batch sizes) on the embedded
 * transport and on the Kafka transport (an in-JVM KRaft broker), against a raw PostgreSQL {@code COPY} of the same
 * rows into the same database, in one run. The requests are shaped like live telemetry of {@value #WORKLOADS}
 * deployments with about {@value #IN_FLIGHT} requests in flight each (docs/benchmarks.md). Not a test: run with
 * {@code ./mvnw -q test-compile exec:java -Dexec.classpathScope=test -Dexec.mainClass=org.carbonledger.bench.IngestBenchmark}
 * (arguments: requests per measurement, default 20000; rounds, default 3; client threads, default 4; {@code embedded}
 * to measure the embedded transport only, {@code scale=N} to measure it, store N more requests, and measure again).
 */
public final class IngestBenchmark {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String OPERATOR = "bench-operator-key-0123456789";
    /** Deployments the load is spread over. */
    static final int WORKLOADS = 64;
    /** Mean number of requests in flight per deployment, as a continuously batching server keeps them. */
    static final int IN_FLIGHT = 32;
    /**
     * Each measurement's requests end in their own window, after the previous one's, as live telemetry arrives (the
     * windows start three hours back, so none lies in the future).
     */
    private Instant windowStart = Instant.now().minus(java.time.Duration.ofHours(3));

    private final int port;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final AtomicLong peakHeap = new AtomicLong();
    private final AtomicInteger tooMany = new AtomicInteger();
    private String key;
    private UUID tenant;
    private final List<UUID> workloads = new ArrayList<>();

    private final DataSource db;
    private final boolean kafka;
    /** Requests per second of the raw COPY of every row a stored request writes (measured in the first phase). */
    private static double storedCopyMedian;

    private IngestBenchmark(int port, DataSource db, boolean kafka) {
        this.port = port;
        this.db = db;
        this.kafka = kafka;
    }

    public static void main(String[] args) throws Exception {
        int perRun = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 4;
        boolean withKafka = args.length <= 3 || !(args[3].equals("embedded") || args[3].startsWith("scale"));
        // scale=N: the embedded transport measured, then again after N more requests are stored
        int prefill = args.length > 3 && args[3].startsWith("scale=") ? Integer.parseInt(args[3].substring(6)) : 0;
        Path data = Files.createTempDirectory(Path.of("target"), "bench-data-");
        System.out.printf("requests per measurement %d, rounds %d, client threads %d, max heap %d MiB%n", perRun,
                rounds, threads, Runtime.getRuntime().maxMemory() >> 20);
        EmbeddedKafkaKraftBroker broker = new EmbeddedKafkaKraftBroker(1, 12);
        int exit = 0;
        List<String> lines = new ArrayList<>();
        try {
            broker.afterPropertiesSet();
            // the same database for both transports and for COPY: the embedded PostgreSQL under `data`
            double copyMedian = phase(data, "embedded", null, perRun, rounds, threads, lines, 0, prefill);
            if (withKafka) {
                phase(data, "kafka", broker.getBrokersAsString(), perRun, rounds, threads, lines, copyMedian, 0);
            }
        } catch (Exception e) {
            e.printStackTrace();
            exit = 1;
        } finally {
            broker.destroy();
        }
        System.out.println();
        System.out.println("| path | batch size | requests/s (median) | ratio to COPY | ratio to COPY of the stored "
                + "rows |");
        System.out.println("|---|---|---|---|---|");
        lines.forEach(System.out::println);
        System.exit(exit);
    }

    /**
     * One application on one transport; measures COPY too when {@code copyMedian} is 0 and returns its median. With
     * {@code prefill} > 0 it then stores that many more requests and measures everything again.
     */
    private static double phase(Path data, String transport, String bootstrap, int perRun, int rounds, int threads,
            List<String> lines, double copyMedian, int prefill) throws Exception {
        List<String> args = new ArrayList<>(List.of("--carbonledger.data-dir=" + data,
                "--carbonledger.admin-key=" + OPERATOR, "--server.port=0", "--logging.level.root=WARN",
                "--springdoc.api-docs.enabled=false", "--springdoc.swagger-ui.enabled=false",
                // the per-tenant call rate limits are a policy, not capacity: lifted to measure capacity
                "--carbonledger.rate-limit.api-per-minute=100000000",
                "--carbonledger.rate-limit.ingest-per-minute=100000000",
                "--carbonledger.ingest.transport=" + transport));
        if (bootstrap != null) {
            // four consumer threads store in parallel, as four ingest slots do in the embedded transport
            args.add("--spring.kafka.bootstrap-servers=" + bootstrap);
            args.add("--carbonledger.ingest.kafka.consumer-threads=4");
        }
        ConfigurableApplicationContext app = new SpringApplicationBuilder(CarbonLedgerApplication.class)
                .run(args.toArray(String[]::new));
        try {
            int port = Integer.parseInt(app.getEnvironment().getProperty("local.server.port"));
            IngestBenchmark bench = new IngestBenchmark(port, app.getBean(DataSource.class), bootstrap != null);
            bench.setUp();
            bench.statements(true);
            double result = bench.run(transport, perRun, rounds, threads, lines, copyMedian);
            bench.statements(false);
            if (prefill > 0) {
                long stored = bench.prefill(prefill, transport + "-warm",
                        app.getBean(org.carbonledger.receipts.TransparencyLog.class));
                bench.statements(true);
                bench.run(transport + "-scaled", String.format("%s, %,d stored", transport, stored), perRun, rounds,
                        threads, lines, 0);
                bench.statements(false);
            }
            return result;
        } finally {
            app.close();
        }
    }

    private void setUp() throws Exception {
        JsonNode t = post(OPERATOR, "/v1/tenants", "application/json",
                "{\"name\":\"bench-" + UUID.randomUUID() + "\",\"pricePerTonne\":100}");
        key = t.path("apiKey").asString();
        tenant = UUID.fromString(t.path("id").asString());
        // WORKLOADS deployments, serving since yesterday: records are keyed by workload, so in Kafka mode they
        // spread over the partitions
        Instant since = Instant.now().minus(java.time.Duration.ofDays(1));
        for (int k = 0; k < WORKLOADS; k++) {
            JsonNode w = post(key, "/v1/workloads", "application/json", "{\"name\":\"bench-" + k + "\",\"model\":"
                    + "\"meta-llama/Meta-Llama-3.1-70B-Instruct\",\"gpuModel\":\"H100\",\"gpuCount\":4,"
                    + "\"region\":\"us-east-1\",\"servingSince\":\"" + since + "\"}");
            workloads.add(UUID.fromString(w.path("id").asString()));
        }
    }

    private double run(String transport, int perRun, int rounds, int threads, List<String> lines,
            double copyMedian) throws Exception {
        return run(transport, transport, perRun, rounds, threads, lines, copyMedian);
    }

    /** Measures with request ids tagged {@code tag}…, reported as {@code label}. */
    private double run(String tag, String label, int perRun, int rounds, int threads, List<String> lines,
            double copyMedian) throws Exception {
        String transport = tag;
        peakHeap.set(0);
        tooMany.set(0);
        Thread sampler = heapSampler();
        int[] sizes = {100, 500, 1000};
        // warm-up: JIT and connection pools
        http(perRun / 4, 500, false, threads, tag + "-warm");
        if (copyMedian == 0) {
            List<Double> copy = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                copy.add(copy(db, perRun, tag + "-copy" + r));
            }
            copyMedian = median(copy);
            lines.add(String.format("| raw `COPY` into `inference_requests`%s | — | %,.0f | 1.00 |",
                    label.equals(tag) ? "" : " (" + label + ")", copyMedian));
            List<Double> stored = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                stored.add(copyStoredRows(db, perRun, tag + "-warm", "rows" + r));
            }
            storedCopyMedian = median(stored);
            lines.add(String.format("| raw `COPY` of the rows a stored request writes (request, emission record, "
                    + "log leaf) | — | %,.0f | %.2f |", storedCopyMedian, storedCopyMedian / copyMedian));
        }
        for (boolean ndjson : new boolean[] {false, true}) {
            for (int size : sizes) {
                List<Double> rates = new ArrayList<>();
                List<Double> acknowledged = new ArrayList<>();
                for (int r = 0; r < rounds; r++) {
                    double[] rate = http(perRun, size, ndjson, threads,
                            tag + "-" + (ndjson ? "n" : "j") + size + "-" + r);
                    rates.add(rate[0]);
                    acknowledged.add(rate[1]);
                }
                double m = median(rates);
                lines.add(String.format("| HTTP %s, %s | %d | %,.0f | %.2f | %.2f |%s",
                        ndjson ? "NDJSON" : "JSON batch", label, size, m, m / copyMedian, m / storedCopyMedian,
                        kafka ? String.format(" acknowledged %,.0f/s (%.2f)", median(acknowledged),
                                median(acknowledged) / copyMedian) : ""));
            }
        }
        sampler.interrupt();
        lines.add(String.format("| %s: peak heap used %d MiB (max %d MiB); 429 answers retried: %d |", label,
                peakHeap.get() >> 20, Runtime.getRuntime().maxMemory() >> 20, tooMany.get()));
        return copyMedian;
    }

    /**
     * Requests per second through the API until every request is stored with its emission record: in the embedded
     * transport that is the last 200; in Kafka mode the last row the consumer committed. The second element is the
     * rate of acknowledgements (the last 200), which in Kafka mode means durable in the broker's log.
     */
    private double[] http(int total, int batchSize, boolean ndjson, int threads, String tag) throws Exception {
        List<Request> requests = requests(total, tag);
        List<String> bodies = new ArrayList<>();
        for (int start = 0; start < total; start += batchSize) {
            StringBuilder sb = new StringBuilder(batchSize * 220);
            if (!ndjson) {
                sb.append("{\"requests\":[");
            }
            for (int i = start; i < Math.min(total, start + batchSize); i++) {
                if (i > start) {
                    sb.append(ndjson ? "\n" : ",");
                }
                Request r = requests.get(i);
                sb.append("{\"requestId\":\"").append(r.requestId()).append("\",\"workloadId\":\"")
                        .append(r.workloadId()).append("\",\"inputTokens\":").append(r.inputTokens())
                        .append(",\"outputTokens\":").append(r.outputTokens()).append(",\"startedAt\":\"")
                        .append(r.startedAt()).append("\",\"endedAt\":\"").append(r.endedAt()).append("\"}");
            }
            sb.append(ndjson ? "\n" : "]}");
            bodies.add(sb.toString());
        }
        String type = ndjson ? "application/x-ndjson" : "application/json";
        AtomicInteger next = new AtomicInteger();
        AtomicLong accepted = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        long t0 = System.nanoTime();
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            futures.add(pool.submit(() -> {
                for (int b; (b = next.getAndIncrement()) < bodies.size(); ) {
                    while (true) {
                        HttpResponse<byte[]> r = send(key, "/v1/telemetry/requests", type, bodies.get(b));
                        if (r.statusCode() == 429) {
                            tooMany.incrementAndGet();
                            Thread.sleep(50);
                            continue;
                        }
                        if (r.statusCode() != 200) {
                            throw new IllegalStateException(r.statusCode() + " " + new String(r.body()));
                        }
                        accepted.addAndGet(JSON.readTree(r.body()).path("accepted").asLong());
                        break;
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : futures) {
            f.get();
        }
        double acknowledgedSeconds = (System.nanoTime() - t0) / 1e9;
        pool.shutdown();
        if (accepted.get() != total) {
            throw new IllegalStateException(tag + ": accepted " + accepted.get() + " of " + total);
        }
        if (kafka) {
            awaitStored(tag, total);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        double rate = total / seconds;
        System.out.printf("%-22s %s batch %4d: %,8.0f requests/s stored (%,8.0f/s acknowledged)%n", tag,
                ndjson ? "NDJSON" : "JSON  ", batchSize, rate, total / acknowledgedSeconds);
        return new double[] {rate, total / acknowledgedSeconds};
    }

    /** Waits until the consumer has stored every request of the measurement, each with its emission record. */
    private void awaitStored(String tag, int total) throws Exception {
        long deadline = System.nanoTime() + 600_000_000_000L;
        while (System.nanoTime() < deadline) {
            try (Connection c = db.getConnection(); var ps = c.prepareStatement("""
                    select count(*) from inference_requests r join emission_records e on e.inference_request_id = r.id
                     where r.tenant_id = ? and r.request_id like ?""")) {
                ps.setObject(1, tenant);
                ps.setString(2, tag + "-%");
                try (var rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getLong(1) == total) {
                        return;
                    }
                }
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException(tag + ": not all requests were stored within 10 minutes");
    }

    /** Rows per second of a raw COPY of the same shape of rows (no validation, no emission records). */
    private double copy(DataSource db, int total, String tag) throws Exception {
        List<Request> requests = requests(total, tag);
        StringBuilder csv = new StringBuilder(total * 200);
        Instant now = Instant.now();
        for (Request r : requests) {
            csv.append(org.carbonledger.shared.RowIds.next()).append(',').append(tenant).append(',')
                    .append(r.workloadId()).append(',')
                    .append(r.requestId()).append(',').append(r.inputTokens()).append(',').append(r.outputTokens())
                    .append(',').append(r.startedAt()).append(',').append(r.endedAt()).append(",copy,").append(now)
                    .append('\n');
        }
        String text = csv.toString();
        long t0 = System.nanoTime();
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            c.unwrap(PGConnection.class).getCopyAPI().copyIn("""
                    copy inference_requests (id, tenant_id, workload_id, request_id, input_tokens, output_tokens,
                                             started_at, ended_at, source, received_at) from stdin (format csv)""",
                    new StringReader(text));
            c.commit();
        }
        double rate = total / ((System.nanoTime() - t0) / 1e9);
        System.out.printf("%-10s COPY              : %,8.0f rows/s%n", tag, rate);
        return rate;
    }

    /**
     * Requests per second of a raw COPY of every row a stored request writes: its request row, its emission record
     * and its log leaf, the three COPYs in one transaction. The rows are those the application stored for the
     * requests tagged {@code template} (the warm-up), repeated with new identities up to {@code total} (new ids and
     * requestIds, emission records pointing at the new requests, leaves at the new records with indexes continuing
     * the log); only the three {@code COPY … from stdin} are timed. The transaction is rolled back, so the log stays
     * as the application wrote it (a commit would add one WAL flush).
     */
    private double copyStoredRows(DataSource db, int total, String template, String tag) throws Exception {
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            copyMap(c, template, total);
            java.util.Map<String, String> requestColumns = java.util.Map.of("id", "m.new_request", "request_id",
                    "t.request_id || '/" + tag + "/' || m.g");
            java.util.Map<String, String> recordColumns = java.util.Map.of("id", "m.new_record",
                    "inference_request_id", "m.new_request");
            java.util.Map<String, String> leafColumns = java.util.Map.of("leaf_index", "m.new_leaf", "subject_id",
                    "m.new_record");
            String[][] tables = {
                {"inference_requests", "t.id = m.old_request"},
                {"emission_records", "t.id = m.old_record"},
                {"log_leaves", "t.leaf_index = m.old_leaf"}};
            List<java.util.Map<String, String>> replaced = List.of(requestColumns, recordColumns, leafColumns);
            List<String> columnLists = new ArrayList<>();
            List<String> data = new ArrayList<>();
            for (int k = 0; k < tables.length; k++) {
                List<String> columns = columns(c, tables[k][0]);
                List<String> select = new ArrayList<>();
                for (String column : columns) {
                    select.add(replaced.get(k).getOrDefault(column, "t." + column));
                }
                java.io.StringWriter out = new java.io.StringWriter();
                c.unwrap(PGConnection.class).getCopyAPI().copyOut("copy (select " + String.join(", ", select)
                        + " from bench_copy m join " + tables[k][0] + " t on " + tables[k][1]
                        + " order by m.new_leaf) to stdout (format csv)", out);
                columnLists.add(String.join(", ", columns));
                data.add(out.toString());
            }
            long t0 = System.nanoTime();
            long rows = 0;
            for (int k = 0; k < tables.length; k++) {
                rows += c.unwrap(PGConnection.class).getCopyAPI().copyIn("copy " + tables[k][0] + " ("
                        + columnLists.get(k) + ") from stdin (format csv)", new StringReader(data.get(k)));
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            c.rollback();
            if (rows != 3L * total) {
                throw new IllegalStateException(tag + ": copied " + rows + " rows for " + total + " requests");
            }
            double rate = total / seconds;
            System.out.printf("%-10s COPY stored rows  : %,8.0f requests/s (%,.0f rows/s)%n", tag, rate,
                    rows / seconds);
            return rate;
        }
    }

    /**
     * With {@code -Dbench.statements=true} and a server that preloads {@code pg_stat_statements}: resets the
     * statistics ({@code reset}) or prints the statements that took the most database time.
     */
    private void statements(boolean reset) throws Exception {
        if (!Boolean.getBoolean("bench.statements")) {
            return;
        }
        try (Connection c = db.getConnection(); var st = c.createStatement()) {
            if (reset) {
                st.execute("create extension if not exists pg_stat_statements");
                st.execute("select pg_stat_statements_reset()");
                return;
            }
            try (var rs = st.executeQuery("""
                    select round(total_exec_time) ms, calls, rows,
                           round((total_exec_time / greatest(rows, 1) * 1000)::numeric, 1) us_per_row,
                           round((shared_blk_read_time + shared_blk_write_time)::numeric) io_ms,
                           left(regexp_replace(query, '\\s+', ' ', 'g'), 100) q
                      from pg_stat_statements order by total_exec_time desc limit 25""")) {
                System.out.printf("%8s %8s %9s %9s %7s  %s%n", "ms", "calls", "rows", "us/row", "io ms", "statement");
                while (rs.next()) {
                    System.out.printf("%8d %8d %9d %9.1f %7d  %s%n", rs.getLong(1), rs.getLong(2), rs.getLong(3),
                            rs.getDouble(4), rs.getLong(5), rs.getString(6));
                }
            }
        }
    }

    /**
     * Stores {@code count} more requests with their emission records and log leaves, older than anything measured (30
     * days and more before): copies of the requests tagged {@code template} with new identities, written with
     * {@code insert … select} in chunks of 100,000 per transaction, their leaves appended by the application's log.
     * Returns how many requests the database holds afterwards.
     */
    private long prefill(int count, String template, org.carbonledger.receipts.TransparencyLog log) throws Exception {
        int chunk = 100_000;
        long t0 = System.nanoTime();
        for (int done = 0; done < count; done += chunk) {
            int size = Math.min(chunk, count - done);
            List<UUID> records = new ArrayList<>(size);
            try (Connection c = db.getConnection()) {
                c.setAutoCommit(false);
                copyMap(c, template, size);
                String shift = "interval '30 days' + interval '1 second' * m.g + interval '1 day' * " + done / chunk;
                try (var st = c.createStatement()) {
                    st.execute(insertSelect(c, "inference_requests", "t.id = m.old_request", java.util.Map.of(
                            "id", "m.new_request", "request_id", "'fill-' || m.new_request",
                            "started_at", "t.started_at - " + shift, "ended_at", "t.ended_at - " + shift)));
                    st.execute(insertSelect(c, "emission_records", "t.id = m.old_record", java.util.Map.of(
                            "id", "m.new_record", "inference_request_id", "m.new_request")));
                    try (var rs = st.executeQuery("select new_record from bench_copy")) {
                        while (rs.next()) {
                            records.add(rs.getObject(1, UUID.class));
                        }
                    }
                }
                c.commit();
            }
            log.appendEmissionRecords(records);
            System.out.printf("prefill: %,d of %,d requests stored (%.0f s)%n", done + size, count,
                    (System.nanoTime() - t0) / 1e9);
        }
        try (Connection c = db.getConnection(); var st = c.createStatement()) {
            st.execute("vacuum analyze inference_requests");
            st.execute("vacuum analyze emission_records");
            st.execute("vacuum analyze log_leaves");
            try (var rs = st.executeQuery("select count(*) from inference_requests")) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /**
     * {@code pg_temp.uuid_v7()} in this session: time-ordered ids like the application's ({@code RowIds}), so that the
     * rows copied or stored here reach the same index pages as the application's would.
     */
    private static void uuidV7(Connection c) throws Exception {
        try (var st = c.createStatement()) {
            st.execute("""
                    create or replace function pg_temp.uuid_v7() returns uuid language plpgsql volatile as $$
                    declare
                        b bytea := uuid_send(gen_random_uuid());
                    begin
                        b := overlay(b placing substring(int8send(floor(extract(epoch from clock_timestamp()) * 1000)
                                     ::bigint) from 3) from 1 for 6);
                        b := set_byte(b, 6, (get_byte(b, 6) & 15) | 112);
                        return encode(b, 'hex')::uuid;
                    end $$""");
        }
    }

    /**
     * The temporary table {@code bench_copy} (dropped at commit or rollback): {@code count} copies of the requests
     * tagged {@code template} with their emission records and leaves, repeated as often as needed ({@code g} counts
     * the repetitions), each with new time-ordered ids for the request and the record and the next leaf index of the
     * log, in leaf order.
     */
    private void copyMap(Connection c, String template, int count) throws Exception {
        uuidV7(c);
        long templates = templates(c, template);
        try (var ps = c.prepareStatement("""
                create temp table bench_copy on commit drop as
                select r.id as old_request, e.id as old_record, l.leaf_index as old_leaf, g,
                       pg_temp.uuid_v7() as new_request, pg_temp.uuid_v7() as new_record,
                       (select tree_size from log_state where id = 1)
                           + row_number() over (order by g, l.leaf_index) - 1 as new_leaf
                  from inference_requests r
                  join emission_records e on e.inference_request_id = r.id
                  join log_leaves l on l.kind = 'EMISSION_RECORD' and l.subject_id = e.id
                 cross join generate_series(1, ?) g
                 where r.tenant_id = ? and r.request_id like ?
                 order by g, l.leaf_index
                 limit ?""")) {
            ps.setLong(1, (count + templates - 1) / templates);
            ps.setObject(2, tenant);
            ps.setString(3, template + "-%");
            ps.setInt(4, count);
            ps.execute();
        }
    }

    private long templates(Connection c, String template) throws Exception {
        try (var ps = c.prepareStatement(
                "select count(*) from inference_requests where tenant_id = ? and request_id like ?")) {
            ps.setObject(1, tenant);
            ps.setString(2, template + "-%");
            try (var rs = ps.executeQuery()) {
                rs.next();
                return Math.max(1, rs.getLong(1));
            }
        }
    }

    /** {@code insert into table (all columns) select …} from {@code bench_copy m} joined to the table as {@code t}. */
    private static String insertSelect(Connection c, String table, String join, java.util.Map<String, String> replaced)
            throws Exception {
        List<String> columns = columns(c, table);
        List<String> select = new ArrayList<>();
        for (String column : columns) {
            select.add(replaced.getOrDefault(column, "t." + column));
        }
        return "insert into " + table + " (" + String.join(", ", columns) + ") select " + String.join(", ", select)
                + " from bench_copy m join " + table + " t on " + join;
    }

    private static List<String> columns(Connection c, String table) throws Exception {
        List<String> columns = new ArrayList<>();
        try (var ps = c.prepareStatement("select column_name from information_schema.columns where "
                + "table_name = ? and is_generated = 'NEVER' order by ordinal_position")) {
            ps.setString(1, table);
            try (var rs = ps.executeQuery()) {
                while (rs.next()) {
                    columns.add(rs.getString(1));
                }
            }
        }
        return columns;
    }

    /** One generated request record. */
    private record Request(String requestId, UUID workloadId, int inputTokens, int outputTokens, Instant startedAt,
            Instant endedAt) {
    }

    /**
     * {@code total} requests spread round-robin over the deployments, with prompt and completion lengths and
     * durations (0.5–8 s) drawn from a fixed seed, ending evenly over a window sized so that each deployment has
     * about {@link #IN_FLIGHT} requests in flight; every call takes the window after the previous call's.
     */
    private List<Request> requests(int total, String tag) {
        java.util.Random random = new java.util.Random(tag.hashCode());
        double meanSeconds = 4.25;
        long windowMillis = Math.max(1000, Math.round(1000.0 * total / WORKLOADS * meanSeconds / IN_FLIGHT));
        Instant end = windowStart.plusMillis(windowMillis);
        windowStart = end.plusMillis(10_000);
        List<Request> requests = new ArrayList<>(total);
        for (int i = 0; i < total; i++) {
            Instant ended = end.minusMillis(windowMillis - windowMillis * i / total);
            long durationMillis = 500 + random.nextInt(7500);
            requests.add(new Request(tag + "-" + i, workloads.get(i % workloads.size()), 20 + random.nextInt(2000),
                    10 + random.nextInt(800), ended.minusMillis(durationMillis), ended));
        }
        return requests;
    }

    private Thread heapSampler() {
        Thread t = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                long used = 0;
                for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                    if (pool.getType() == MemoryType.HEAP) {
                        used += pool.getUsage().getUsed();
                    }
                }
                peakHeap.accumulateAndGet(used, Math::max);
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        t.setDaemon(true);
        t.start();
        return t;
    }

    private JsonNode post(String key, String path, String type, String body) throws Exception {
        HttpResponse<byte[]> r = send(key, path, type, body);
        if (r.statusCode() / 100 != 2) {
            throw new IllegalStateException(path + ": " + r.statusCode() + " " + new String(r.body()));
        }
        return JSON.readTree(r.body());
    }

    private HttpResponse<byte[]> send(String key, String path, String type, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
                .header("Authorization", "Bearer " + key).header("Content-Type", type)
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
