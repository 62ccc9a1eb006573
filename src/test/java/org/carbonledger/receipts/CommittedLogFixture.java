package org.carbonledger.receipts;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.carbonledger.receipts.log.Checkpoint;
import org.carbonledger.receipts.log.CompactRange;
import org.carbonledger.receipts.log.Merkle;
import org.carbonledger.receipts.signing.ReceiptSigningKey;
import tools.jackson.databind.json.JsonMapper;

/**
 * A small log (three requests of one tenant, one leaf of another, an allocation of r-2 to the receipt's retirement) and
 * a receipt manifest committing to its signed checkpoint, with inclusion proofs in the shape {@code GET /v1/log/proofs/inclusion} returns.
 */
public final class CommittedLogFixture {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    public static final UUID TENANT = UUID.fromString("00000000-0000-0000-0000-00000000000a");

    public final List<String> entries = new ArrayList<>();
    public final Map<String, UUID> recordOfRequest = new LinkedHashMap<>();
    public final Checkpoint checkpoint;
    public static final UUID RETIREMENT = UUID.fromString("00000000-0000-0000-0000-0000000000b1");
    /** A {@code carbonledger-receipt/2} manifest: totals, breakdown, lines, offsets and the checkpoint. */
    public final byte[] manifest;
    /** The same receipt as {@code carbonledger-receipt/1} (every request listed), as issued before version 2. */
    public final byte[] manifestV1;

    public CommittedLogFixture(ReceiptSigningKey key) {
        for (String requestId : List.of("r-1", "r-2", "r-3")) {
            UUID record = UUID.nameUUIDFromBytes(requestId.getBytes(StandardCharsets.UTF_8));
            recordOfRequest.put(requestId, record);
            entries.add(entry(TENANT, requestId, record));
        }
        entries.add(entry(UUID.randomUUID(), "r-2", UUID.randomUUID()));
        entries.add(allocation(TENANT, "r-2", recordOfRequest.get("r-2"), RETIREMENT, "3000.891000"));
        CompactRange range = new CompactRange();
        entries.forEach(e -> range.append(Merkle.leafHash(e.getBytes(StandardCharsets.UTF_8))));
        checkpoint = Checkpoint.sign(range.size(), range.root(), Instant.parse("2025-02-01T09:00:00Z"),
                key.privateKey());
        Map<String, Object> checkpointJson = Map.of("origin", Checkpoint.ORIGIN, "treeSize", checkpoint.treeSize(),
                "rootHash", checkpoint.rootHashHex(), "timestamp", checkpoint.timestamp().toString(),
                "signature", checkpoint.signatureBase64());

        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", "carbonledger-receipt/2");
        m.put("receiptNumber", "CR-2025-000042");
        m.put("tenant", Map.of("id", TENANT.toString(), "name", "Acme"));
        m.put("totals", totals(3, "4567.891"));
        m.put("breakdown", List.of(
                group("chat", "llama-70b", 2, "4000.891"),
                group("embed", "e5-large", 1, "567")));
        m.put("lines", List.of(Map.of("requestCount", 2), Map.of("requestCount", 1)));
        m.put("offsets", List.of(Map.of("retirementId", RETIREMENT.toString())));
        m.put("logCheckpoint", checkpointJson);
        manifest = JSON.writeValueAsBytes(m);

        Map<String, Object> v1 = new LinkedHashMap<>();
        v1.put("format", "carbonledger-receipt/1");
        v1.put("receiptNumber", "CR-2025-000042");
        v1.put("tenant", Map.of("id", TENANT.toString(), "name", "Acme"));
        v1.put("totals", Map.of("co2eGramsLocationBased", new java.math.BigDecimal("4567.891")));
        v1.put("lines", List.of(Map.of("requestCount", 3)));
        v1.put("requests", List.of(
                Map.of("requestId", "r-1", "emissionRecordId", recordOfRequest.get("r-1").toString(),
                        "co2eGramsLocationBased", new java.math.BigDecimal("1000")),
                Map.of("requestId", "r-2", "emissionRecordId", recordOfRequest.get("r-2").toString(),
                        "co2eGramsLocationBased", new java.math.BigDecimal("3000.891")),
                Map.of("requestId", "r-3", "emissionRecordId", recordOfRequest.get("r-3").toString(),
                        "co2eGramsLocationBased", new java.math.BigDecimal("567"))));
        v1.put("logCheckpoint", checkpointJson);
        manifestV1 = JSON.writeValueAsBytes(v1);
    }

    /** Totals whose four CO2e figures all equal {@code grams} (energy: 10 J per gram). */
    public static Map<String, Object> totals(long requests, String grams) {
        java.math.BigDecimal g = new java.math.BigDecimal(grams);
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("requestCount", requests);
        t.put("energyJoules", g.multiply(java.math.BigDecimal.TEN));
        t.put("co2eGramsLocationBased", g);
        t.put("co2eGramsMarketBased", g);
        t.put("co2eGramsLow", g);
        t.put("co2eGramsHigh", g);
        return t;
    }

    public static Map<String, Object> group(String workload, String model, long requests, String grams) {
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("workloadName", workload);
        b.put("model", model);
        b.putAll(totals(requests, grams));
        return b;
    }

    private static String allocation(UUID tenant, String requestId, UUID record, UUID retirement, String grams) {
        Map<String, Object> e = new TreeMap<>();
        e.put("kind", "ALLOCATION");
        e.put("tenantId", tenant.toString());
        e.put("requestId", requestId);
        e.put("emissionRecordId", record.toString());
        e.put("retirementId", retirement.toString());
        e.put("co2eGrams", grams);
        return JSON.writeValueAsString(e);
    }

    private static String entry(UUID tenant, String requestId, UUID record) {
        Map<String, Object> e = new TreeMap<>();
        e.put("kind", "EMISSION_RECORD");
        e.put("tenantId", tenant.toString());
        e.put("requestId", requestId);
        e.put("emissionRecordId", record.toString());
        e.put("co2eGramsLocationBased", "1.000000");
        return JSON.writeValueAsString(e);
    }

    /** The inclusion proof of leaf {@code index} (as the API returns it), its entry replaced when given. */
    public byte[] proof(String requestId, int index, String replacedEntryOrNull) {
        return proof(requestId, List.of(index), replacedEntryOrNull);
    }

    /** The inclusion proof of these leaves (as the API returns it), the first one's entry replaced when given. */
    public byte[] proof(String requestId, List<Integer> indexes, String replacedEntryOrNull) {
        List<byte[]> hashes = entries.stream().map(e -> Merkle.leafHash(e.getBytes(StandardCharsets.UTF_8))).toList();
        Merkle.HashSource source = (from, to, sink) -> {
            for (long i = from; i < to; i++) {
                sink.accept(hashes.get((int) i));
            }
        };
        List<Map<String, Object>> leaves = new ArrayList<>();
        for (int index : indexes) {
            List<String> path = Merkle.inclusionProof(index, entries.size(), source).stream()
                    .map(HexFormat.of()::formatHex).toList();
            String entry = replacedEntryOrNull == null || !leaves.isEmpty() ? entries.get(index) : replacedEntryOrNull;
            leaves.add(Map.of("leafIndex", index, "kind", JSON.readTree(entries.get(index)).path("kind").asString(),
                    "entry", entry, "leafHash", HexFormat.of().formatHex(hashes.get(index)), "auditPath", path));
        }
        return JSON.writeValueAsBytes(Map.of("requestId", requestId,
                "checkpoint", Map.of("treeSize", checkpoint.treeSize(), "rootHash", checkpoint.rootHashHex()),
                "leaves", leaves));
    }
}
