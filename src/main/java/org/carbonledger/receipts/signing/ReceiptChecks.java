package org.carbonledger.receipts.signing;

import java.io.ByteArrayInputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.carbonledger.receipts.log.Checkpoint;
import org.carbonledger.receipts.log.Merkle;
import org.verapdf.gf.foundry.VeraGreenfieldFoundryProvider;
import org.verapdf.pdfa.Foundries;
import org.verapdf.pdfa.PDFAParser;
import org.verapdf.pdfa.PDFAValidator;
import org.verapdf.pdfa.flavours.PDFAFlavour;
import org.verapdf.pdfa.results.TestAssertion;
import org.verapdf.pdfa.results.ValidationResult;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Every check of a receipt, each with its own verdict: the PAdES signature, PDF/A-3b conformance (veraPDF), the
 * attached manifest, the signed log checkpoint the manifest commits to, and — given a proof from
 * {@code GET /v1/log/proofs/inclusion} — the inclusion of one request's leaves under that checkpoint's root.
 * Offline and without Spring; never throws for bad input.
 */
public class ReceiptChecks {

    public static final String SIGNATURE = "signature";
    public static final String PDF_A = "pdf/a";
    public static final String MANIFEST = "manifest";
    public static final String CHECKPOINT = "checkpoint";
    public static final String INCLUSION = "inclusion";
    /** Receipts listing every request (decision 0013); still verified as issued. */
    static final String MANIFEST_FORMAT_V1 = "carbonledger-receipt/1";
    /** Receipts committing to the log checkpoint with totals and a breakdown (decision 0052). */
    public static final String MANIFEST_FORMAT = "carbonledger-receipt/2";
    private static final List<String> SUMMED = List.of("energyJoules", "co2eGramsLocationBased",
            "co2eGramsMarketBased", "co2eGramsLow", "co2eGramsHigh");

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static volatile boolean veraPdfReady;

    private final ReceiptVerifier verifier = new ReceiptVerifier();

    /** One check's outcome. */
    public record Verdict(String check, boolean passed, String detail) {
    }

    /** All verdicts; valid only when every one passed. */
    public record Report(VerificationResult signature, List<Verdict> verdicts, JsonNode manifest) {
        public boolean valid() {
            return verdicts.stream().allMatch(Verdict::passed);
        }

        /** The first failed verdict, or the signature verdict when all passed. */
        public Verdict headline() {
            return verdicts.stream().filter(v -> !v.passed()).findFirst().orElse(verdicts.get(0));
        }
    }

    public Report check(byte[] pdf, X509Certificate trustAnchorOrNull) {
        return check(pdf, trustAnchorOrNull, null, null);
    }

    /** With {@code requestId} and {@code proofJson} also checks that request's inclusion proof. */
    public Report check(byte[] pdf, X509Certificate trustAnchorOrNull, String requestId, byte[] proofJson) {
        List<Verdict> verdicts = new ArrayList<>();
        VerificationResult signature = verifier.verify(pdf, trustAnchorOrNull);
        verdicts.add(new Verdict(SIGNATURE, signature.valid(), signature.reason()));
        verdicts.add(pdfA(pdf, signature));
        JsonNode manifest = null;
        if (!signature.valid()) {
            verdicts.add(new Verdict(MANIFEST, false, "not checked: the signature is not valid"));
            verdicts.add(new Verdict(CHECKPOINT, false, "not checked: the signature is not valid"));
        } else {
            try {
                manifest = JSON.readTree(signature.manifestJson());
                verdicts.add(manifest(manifest));
                verdicts.add(checkpoint(manifest, signature.signerCertificate().getPublicKey()));
            } catch (RuntimeException e) {
                verdicts.add(new Verdict(MANIFEST, false, "the attached manifest is not JSON: " + e.getMessage()));
                verdicts.add(new Verdict(CHECKPOINT, false, "not checked: no readable manifest"));
            }
        }
        if (requestId != null || proofJson != null) {
            verdicts.add(inclusion(manifest, requestId, proofJson));
        }
        return new Report(signature, List.copyOf(verdicts), manifest);
    }

    private static Verdict pdfA(byte[] pdf, VerificationResult signature) {
        if (signature.signerSubject() == null && !signature.valid()) {
            return new Verdict(PDF_A, false, "not checked: " + signature.reason());
        }
        try {
            initVeraPdf();
            try (PDFAParser parser = Foundries.defaultInstance().createParser(new ByteArrayInputStream(pdf),
                    PDFAFlavour.PDFA_3_B);
                 PDFAValidator validator = Foundries.defaultInstance().createValidator(PDFAFlavour.PDFA_3_B, false)) {
                ValidationResult result = validator.validate(parser);
                if (result.isCompliant()) {
                    return new Verdict(PDF_A, true, "PDF/A-3b compliant (veraPDF)");
                }
                String first = result.getTestAssertions().stream()
                        .filter(a -> a.getStatus() != TestAssertion.Status.PASSED)
                        .map(a -> a.getRuleId().getClause() + "-" + a.getRuleId().getTestNumber() + ": "
                                + a.getMessage())
                        .findFirst().orElse("no details");
                return new Verdict(PDF_A, false, "not PDF/A-3b compliant: " + first);
            }
        } catch (Exception | LinkageError e) {
            return new Verdict(PDF_A, false, "could not be validated as PDF/A: " + e.getMessage());
        }
    }

    private static void initVeraPdf() {
        if (!veraPdfReady) {
            synchronized (ReceiptChecks.class) {
                if (!veraPdfReady) {
                    VeraGreenfieldFoundryProvider.initialise();
                    veraPdfReady = true;
                }
            }
        }
    }

    static Verdict manifest(JsonNode m) {
        String format = m.path("format").asString(null);
        if (!MANIFEST_FORMAT.equals(format) && !MANIFEST_FORMAT_V1.equals(format)) {
            return new Verdict(MANIFEST, false, "format is not " + MANIFEST_FORMAT + " (or " + MANIFEST_FORMAT_V1
                    + ")");
        }
        String number = m.path("receiptNumber").asString(null);
        if (number == null || number.isBlank()) {
            return new Verdict(MANIFEST, false, "receiptNumber is missing");
        }
        JsonNode totals = m.path("totals");
        if (!totals.path("co2eGramsLocationBased").isNumber()) {
            return new Verdict(MANIFEST, false, "totals.co2eGramsLocationBased is missing");
        }
        return MANIFEST_FORMAT.equals(format) ? manifestV2(m, number, totals) : manifestV1(m, number, totals);
    }

    /** Version 2: the breakdown per workload and model adds up to every total, and the lines count its requests. */
    private static Verdict manifestV2(JsonNode m, String number, JsonNode totals) {
        if (!totals.path("requestCount").isIntegralNumber()) {
            return new Verdict(MANIFEST, false, "totals.requestCount is missing");
        }
        long requests = totals.path("requestCount").asLong();
        if (!m.path("breakdown").isArray()) {
            return new Verdict(MANIFEST, false, "the breakdown per workload and model is missing");
        }
        long counted = 0;
        for (JsonNode b : m.path("breakdown")) {
            counted += b.path("requestCount").asLong();
        }
        if (counted != requests) {
            return new Verdict(MANIFEST, false, "the breakdown counts " + counted + " requests but the total says "
                    + requests);
        }
        for (String field : SUMMED) {
            if (!totals.path(field).isNumber()) {
                return new Verdict(MANIFEST, false, "totals." + field + " is missing");
            }
            BigDecimal sum = BigDecimal.ZERO;
            for (JsonNode b : m.path("breakdown")) {
                if (!b.path(field).isNumber()) {
                    return new Verdict(MANIFEST, false, "breakdown " + b.path("workloadName").asString() + "/"
                            + b.path("model").asString() + " has no " + field);
                }
                sum = sum.add(b.path(field).decimalValue());
            }
            BigDecimal total = totals.path(field).decimalValue();
            if (sum.compareTo(total) != 0) {
                return new Verdict(MANIFEST, false, "the breakdown adds up to " + sum.toPlainString() + " for "
                        + field + " but the total says " + total.toPlainString());
            }
        }
        long lineRequests = 0;
        for (JsonNode l : m.path("lines")) {
            lineRequests += l.path("requestCount").asLong();
        }
        if (lineRequests != requests) {
            return new Verdict(MANIFEST, false, "the lines count " + lineRequests + " requests but the total says "
                    + requests);
        }
        return new Verdict(MANIFEST, true, "receipt " + number + ": " + requests + " requests in "
                + m.path("breakdown").size() + " workload/model group(s) adding up to the total "
                + totals.path("co2eGramsLocationBased").decimalValue().toPlainString()
                + " g CO2e (location-based)");
    }

    /** Version 1: the listed requests add up to the total and the lines count them. */
    private static Verdict manifestV1(JsonNode m, String number, JsonNode totals) {
        BigDecimal sum = BigDecimal.ZERO;
        long requests = 0;
        for (JsonNode r : m.path("requests")) {
            if (!r.path("co2eGramsLocationBased").isNumber()) {
                return new Verdict(MANIFEST, false, "request " + r.path("requestId").asString() + " has no CO2e");
            }
            sum = sum.add(r.path("co2eGramsLocationBased").decimalValue());
            requests++;
        }
        BigDecimal total = totals.path("co2eGramsLocationBased").decimalValue();
        if (sum.compareTo(total) != 0) {
            return new Verdict(MANIFEST, false, "the requests add up to " + sum.toPlainString()
                    + " g CO2e but the total says " + total.toPlainString() + " g");
        }
        long lineRequests = 0;
        for (JsonNode l : m.path("lines")) {
            lineRequests += l.path("requestCount").asLong();
        }
        if (lineRequests != requests) {
            return new Verdict(MANIFEST, false, "the lines count " + lineRequests + " requests but " + requests
                    + " are listed");
        }
        return new Verdict(MANIFEST, true, "receipt " + number + ": " + requests + " requests adding up to the total "
                + total.toPlainString() + " g CO2e (location-based)");
    }

    static Verdict checkpoint(JsonNode m, PublicKey signerKey) {
        Checkpoint c = checkpointOf(m);
        if (c == null) {
            return new Verdict(CHECKPOINT, false, "the manifest commits to no readable log checkpoint");
        }
        if (!c.verify(signerKey)) {
            return new Verdict(CHECKPOINT, false, "the checkpoint signature does not verify with the receipt's "
                    + "signing certificate");
        }
        return new Verdict(CHECKPOINT, true, "tree size " + c.treeSize() + ", root " + c.rootHashHex()
                + ", signed " + c.timestamp() + " by the receipt-signing key");
    }

    /** The checkpoint named in the manifest's {@code logCheckpoint}, or null. */
    public static Checkpoint checkpointOf(JsonNode m) {
        if (m == null) {
            return null;
        }
        JsonNode c = m.path("logCheckpoint");
        try {
            if (!Checkpoint.ORIGIN.equals(c.path("origin").asString(null)) || !c.path("treeSize").isIntegralNumber()) {
                return null;
            }
            byte[] root = HexFormat.of().parseHex(c.path("rootHash").asString());
            if (root.length != Merkle.HASH_BYTES) {
                return null;
            }
            return new Checkpoint(c.path("treeSize").asLong(), root, Instant.parse(c.path("timestamp").asString()),
                    Base64.getDecoder().decode(c.path("signature").asString()));
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** The inclusion check alone, for a manifest already read from a receipt whose signature verified. */
    public static Verdict inclusionOf(JsonNode manifest, String requestId, byte[] proofJson) {
        return inclusion(manifest, requestId, proofJson);
    }

    static Verdict inclusion(JsonNode m, String requestId, byte[] proofJson) {
        if (requestId == null || proofJson == null) {
            return new Verdict(INCLUSION, false, "give both a request id and its proof");
        }
        Checkpoint c = checkpointOf(m);
        if (c == null) {
            return new Verdict(INCLUSION, false, "not checked: the receipt commits to no readable checkpoint");
        }
        JsonNode proof;
        try {
            proof = JSON.readTree(proofJson);
        } catch (RuntimeException e) {
            return new Verdict(INCLUSION, false, "the proof is not JSON: " + e.getMessage());
        }
        JsonNode pc = proof.path("checkpoint");
        if (pc.path("treeSize").asLong(-1) != c.treeSize() || !c.rootHashHex().equals(pc.path("rootHash").asString())) {
            return new Verdict(INCLUSION, false, "the proof is for tree size " + pc.path("treeSize").asString()
                    + ", root " + pc.path("rootHash").asString() + " — not the receipt's checkpoint (tree size "
                    + c.treeSize() + "); fetch it with treeSize=" + c.treeSize());
        }
        JsonNode leaves = proof.path("leaves");
        if (!leaves.isArray() || leaves.isEmpty()) {
            return new Verdict(INCLUSION, false, "the proof contains no leaves");
        }
        String tenantId = m.path("tenant").path("id").asString(null);
        Set<String> provenRecords = new TreeSet<>();
        Set<String> receiptRetirements = new TreeSet<>();
        m.path("offsets").forEach(o -> receiptRetirements.add(o.path("retirementId").asString()));
        int records = 0;
        int allocations = 0;
        int toThisReceipt = 0;
        BigDecimal gramsToThisReceipt = BigDecimal.ZERO;
        for (JsonNode leaf : leaves) {
            long index = leaf.path("leafIndex").asLong(-1);
            byte[] entry = leaf.path("entry").asString("").getBytes(StandardCharsets.UTF_8);
            JsonNode e;
            try {
                e = JSON.readTree(entry);
            } catch (RuntimeException ex) {
                return new Verdict(INCLUSION, false, "leaf " + index + ": the entry is not JSON");
            }
            if (!requestId.equals(e.path("requestId").asString(null))) {
                return new Verdict(INCLUSION, false, "leaf " + index + " is about request "
                        + e.path("requestId").asString() + ", not " + requestId);
            }
            if (tenantId != null && !tenantId.equals(e.path("tenantId").asString(null))) {
                return new Verdict(INCLUSION, false, "leaf " + index + " belongs to another tenant");
            }
            List<byte[]> path = new ArrayList<>();
            try {
                leaf.path("auditPath").forEach(p -> path.add(HexFormat.of().parseHex(p.asString())));
            } catch (RuntimeException ex) {
                return new Verdict(INCLUSION, false, "leaf " + index + ": the audit path is not hex");
            }
            if (!Merkle.verifyInclusion(index, c.treeSize(), Merkle.leafHash(entry), path, c.rootHash())) {
                return new Verdict(INCLUSION, false, "leaf " + index + " does not lead to the checkpoint root: "
                        + "the entry or its audit path was changed");
            }
            switch (e.path("kind").asString("")) {
                case "EMISSION_RECORD" -> {
                    records++;
                    provenRecords.add(e.path("emissionRecordId").asString());
                }
                case "ALLOCATION" -> {
                    allocations++;
                    if (receiptRetirements.contains(e.path("retirementId").asString())) {
                        toThisReceipt++;
                        try {
                            gramsToThisReceipt = gramsToThisReceipt.add(new BigDecimal(e.path("co2eGrams").asString()));
                        } catch (NumberFormatException ex) {
                            return new Verdict(INCLUSION, false, "leaf " + index + ": co2eGrams is not a decimal");
                        }
                    }
                }
                default -> {
                    return new Verdict(INCLUSION, false, "leaf " + index + " has an unknown kind");
                }
            }
        }
        // a version 1 receipt names the billed record of each request: it must be among the proven ones
        for (JsonNode r : m.path("requests")) {
            if (requestId.equals(r.path("requestId").asString(null))
                    && !provenRecords.contains(r.path("emissionRecordId").asString())) {
                return new Verdict(INCLUSION, false, "the receipt bills emission record "
                        + r.path("emissionRecordId").asString() + " of " + requestId + ", which the proof does not "
                        + "contain");
            }
        }
        if (records == 0) {
            return new Verdict(INCLUSION, false, "the proof contains no emission record of " + requestId);
        }
        return new Verdict(INCLUSION, true, "request " + requestId + ": " + records + " emission record version(s) "
                + "and " + allocations + " allocation(s) are in the log under the receipt's checkpoint; "
                + toThisReceipt + " allocation(s) to this receipt's retirements, " + gramsToThisReceipt.toPlainString()
                + " g CO2e");
    }
}
