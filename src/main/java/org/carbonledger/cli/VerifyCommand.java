package org.carbonledger.cli;

import java.io.ByteArrayInputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.concurrent.Callable;
import org.carbonledger.receipts.signing.ReceiptChecks;
import org.carbonledger.receipts.signing.VerificationResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;

/**
 * Offline receipt verification: no database, no network. Exit 0 when every check passes, 1 when one fails, 2 on a
 * usage error.
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = "Verify a receipt PDF offline: PAdES signature over every byte, signer, PDF/A-3b, attached "
                + "manifest, the signed log checkpoint it commits to and, with --request-id and --proof, that "
                + "request's inclusion in the log.")
class VerifyCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "FILE.pdf", description = "the receipt to verify")
    Path file;

    @Option(names = "--trust", paramLabel = "CERT.pem",
            description = "the receipt-signing certificate to require (PEM); without it the signer is reported")
    Path trust;

    @Option(names = "--request-id", paramLabel = "ID",
            description = "a request the receipt covers; check its inclusion proof (needs --proof)")
    String requestId;

    @Option(names = "--proof", paramLabel = "proof.json",
            description = "the request's inclusion proof, as returned by GET /v1/log/proofs/inclusion")
    Path proof;

    PrintStream out = System.out;

    @Override
    public Integer call() throws Exception {
        Logging.quiet();
        if (!Files.isRegularFile(file)) {
            out.println("INVALID: " + file + " is not a readable file");
            return 2;
        }
        X509Certificate anchor = null;
        if (trust != null) {
            try {
                anchor = (X509Certificate) CertificateFactory.getInstance("X.509")
                        .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(trust)));
            } catch (Exception e) {
                out.println("INVALID: cannot read trust certificate " + trust + ": " + e.getMessage());
                return 2;
            }
        }
        if ((requestId == null) != (proof == null)) {
            out.println("INVALID: --request-id and --proof go together");
            return 2;
        }
        byte[] proofJson = null;
        if (proof != null) {
            if (!Files.isRegularFile(proof)) {
                out.println("INVALID: " + proof + " is not a readable file");
                return 2;
            }
            proofJson = Files.readAllBytes(proof);
        }
        ReceiptChecks.Report report = new ReceiptChecks().check(Files.readAllBytes(file), anchor, requestId,
                proofJson);
        VerificationResult result = report.signature();
        out.println((report.valid() ? "VALID: " : "INVALID: ") + report.headline().detail());
        for (ReceiptChecks.Verdict verdict : report.verdicts()) {
            out.printf("  %-6s %-11s %s%n", verdict.passed() ? "[ok]" : "[FAIL]", verdict.check(), verdict.detail());
        }
        if (result.signerSubject() != null) {
            out.println("  signer:       " + result.signerSubject());
            out.println("  fingerprint:  SHA-256 " + result.signerSha256Fingerprint());
        }
        if (result.signingTime() != null) {
            out.println("  signed at:    " + result.signingTime());
        }
        if (report.manifest() != null) {
            out.println(result.anchored() ? "  trust:        signer is the given trust certificate"
                    : "  trust:        signer not checked against a trust anchor (pass --trust CERT.pem)");
            JsonNode manifest = report.manifest();
            out.println("  receipt:      " + manifest.path("receiptNumber").asString() + " for "
                    + manifest.path("tenant").path("name").asString() + ", invoice "
                    + manifest.path("invoice").path("number").asString());
            JsonNode totals = manifest.path("totals");
            out.println("  emissions:    " + totals.path("co2eGramsLocationBased").asString()
                    + " g CO2e (location-based) from " + (totals.has("requestCount")
                            ? totals.path("requestCount").asLong() : manifest.path("requests").size()) + " requests; "
                    + totals.path("co2eGramsAllocated").asString() + " g covered by retired offsets");
        }
        return report.valid() ? 0 : 1;
    }
}
