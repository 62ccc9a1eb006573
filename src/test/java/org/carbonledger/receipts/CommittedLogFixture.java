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
 * A small log (three requests of one tenant, one leaf of another) and a receipt manifest committing to its signed
 * checkpoint, with inclusion proofs in the shape {@code GET /v1/log/proofs/inclusion} returns.
 */
public final class CommittedLogFixture {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    public static final UUID TENANT = UUID.fromString("00000000-0000-0000-0000-00000000000a");

    public final List<String> entries = new ArrayList<>();
    public final Map<String, UUID> recordOfRequest = new LinkedHashMap<>();
    public final Checkpoint checkpoint;
    public final byte[] manifest;

    public CommittedLogFixture(ReceiptSigningKey key) {
        for (String requestId : List.of("r-1", "r-2", "r-3")) {
            UUID record = UUID.nameUUIDFromBytes(requestId.getBytes(StandardCharsets.UTF_8));
            recordOfRequest.put(requestId, record);
            entries.add(entry(TENANT, requestId, record));
        }
        entries.add(entry(UUID.randomUUID(), "r-2", UUID.randomUUID()));
        CompactRange range = new CompactRange();
        entries.forEach(e -> range.append(Merkle.leafHash(e.getBytes(StandardCharsets.UTF_8))));
        checkpoint = Checkpoint.sign(range.size(), range.root(), Instant.parse("2025-02-01T09:00:00Z"),
                key.privateKey());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", "carbonledger-receipt/1");
        m.put("receiptNumber", "CR-2025-000042");
        m.put("tenant", Map.of("id", TENANT.toString(), "name", "Acme"));
        m.put("totals", Map.of("co2eGramsLocationBased", new java.math.BigDecimal("4567.891")));
        m.put("lines", List.of(Map.of("requestCount", 3)));
        m.put("requests", List.of(
                Map.of("requestId", "r-1", "emissionRecordId", recordOfRequest.get("r-1").toString(),
                        "co2eGramsLocationBased", new java.math.BigDecimal("1000")),
                Map.of("requestId", "r-2", "emissionRecordId", recordOfRequest.get("r-2").toString(),
                        "co2eGramsLocationBased", new java.math.BigDecimal("3000.891")),
                Map.of("requestId", "r-3", "emissionRecordId", recordOfRequest.get("r-3").toString(),
                        "co2eGramsLocationBased", new java.math.BigDecimal("567"))));
        m.put("logCheckpoint", Map.of("origin", Checkpoint.ORIGIN, "treeSize", checkpoint.treeSize(),
                "rootHash", checkpoint.rootHashHex(), "timestamp", checkpoint.timestamp().toString(),
                "signature", checkpoint.signatureBase64()));
        manifest = JSON.writeValueAsBytes(m);
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
        List<byte[]> hashes = entries.stream().map(e -> Merkle.leafHash(e.getBytes(StandardCharsets.UTF_8))).toList();
        Merkle.HashSource source = (from, to, sink) -> {
            for (long i = from; i < to; i++) {
                sink.accept(hashes.get((int) i));
            }
        };
        List<String> path = Merkle.inclusionProof(index, entries.size(), source).stream()
                .map(HexFormat.of()::formatHex).toList();
        String entry = replacedEntryOrNull == null ? entries.get(index) : replacedEntryOrNull;
        return JSON.writeValueAsBytes(Map.of("requestId", requestId,
                "checkpoint", Map.of("treeSize", checkpoint.treeSize(), "rootHash", checkpoint.rootHashHex()),
                "leaves", List.of(Map.of("leafIndex", index, "kind", "EMISSION_RECORD", "entry", entry,
                        "leafHash", HexFormat.of().formatHex(hashes.get(index)), "auditPath", path))));
    }
}
