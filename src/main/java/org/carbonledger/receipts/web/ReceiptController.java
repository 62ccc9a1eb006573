package org.carbonledger.receipts.web;

import org.springframework.web.bind.annotation.RequestParam;
import org.carbonledger.shared.web.PageRequest;
import org.carbonledger.shared.web.PublicEndpoint;
import org.carbonledger.shared.web.RequiresScope;
import org.carbonledger.shared.Scope;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.carbonledger.receipts.BackwardTrace;
import org.carbonledger.receipts.Receipt;
import org.carbonledger.receipts.Receipts;
import org.carbonledger.receipts.RequestTrace;
import org.carbonledger.receipts.signing.ReceiptChecks;
import org.carbonledger.receipts.signing.SigningKey;
import org.carbonledger.receipts.signing.VerificationResult;
import org.carbonledger.shared.CallerContext;
import org.carbonledger.shared.web.ApiProblem;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

@RestController
class ReceiptController {

    static final int MAX_PDF_BYTES = 20 * 1024 * 1024;

    private final Receipts receipts;
    private final RequestTrace trace;
    private final ReceiptChecks checks = new ReceiptChecks();
    private final SigningKey signingKey;
    private final CallerContext callers;
    private final BackwardTrace backward;

    ReceiptController(Receipts receipts, RequestTrace trace, SigningKey signingKey, CallerContext callers,
            BackwardTrace backward) {
        this.backward = backward;
        this.receipts = receipts;
        this.trace = trace;
        this.signingKey = signingKey;
        this.callers = callers;
    }

    @GetMapping("/v1/receipts")
    @RequiresScope(Scope.READ)
    PageRequest.Page<Receipt> list(@RequestParam(required = false) Integer limit, @RequestParam(required = false) String cursor) {
        return receipts.list(callers.requireTenant(), PageRequest.of(limit, cursor));
    }

    @GetMapping("/v1/receipts/{id}")
    @RequiresScope(Scope.READ)
    Receipt get(@PathVariable UUID id) {
        return receipts.find(callers.requireTenant(), id).orElseThrow(() -> ApiProblem.notFound("receipt", id));
    }

    @GetMapping(path = "/v1/receipts/{id}/pdf", produces = MediaType.APPLICATION_PDF_VALUE)
    @RequiresScope(Scope.READ)
    ResponseEntity<byte[]> pdf(@PathVariable UUID id) {
        UUID tenant = callers.requireTenant();
        Receipt receipt = receipts.find(tenant, id).orElseThrow(() -> ApiProblem.notFound("receipt", id));
        byte[] pdf = receipts.pdf(tenant, id).orElseThrow();
        return ResponseEntity.ok()
                .header(HttpHeaders.CONTENT_DISPOSITION, "attachment; filename=\"" + receipt.number() + ".pdf\"")
                .contentType(MediaType.APPLICATION_PDF).body(pdf);
    }

    /** One check: signature, pdf/a, manifest or checkpoint. */
    record Verdict(String check, boolean passed, String detail) {
    }

    /** Verification result: valid when every verdict passed; reason is the first failure (or the signature's). */
    record Verification(boolean valid, String reason, String signer, String signerSha256Fingerprint,
            Instant signingTime, String receiptNumber, List<Verdict> verdicts) {
    }

    /** Unauthenticated: anyone holding a receipt can check it. */
    @PostMapping(path = "/v1/receipts/verify", consumes = {MediaType.APPLICATION_PDF_VALUE,
            MediaType.APPLICATION_OCTET_STREAM_VALUE})
    @PublicEndpoint("anyone holding a receipt can check its signature")
    Verification verify(@RequestBody(required = false) byte[] pdf) {
        if (pdf == null || pdf.length == 0) {
            throw ApiProblem.invalid("body", "send the receipt PDF as the request body (Content-Type: application/pdf)");
        }
        if (pdf.length > MAX_PDF_BYTES) {
            throw ApiProblem.invalid("body", "a receipt is at most " + MAX_PDF_BYTES + " bytes");
        }
        ReceiptChecks.Report report = checks.check(pdf, signingKey.certificate());
        VerificationResult result = report.signature();
        String number = report.manifest() == null ? null : report.manifest().path("receiptNumber").asString(null);
        return new Verification(report.valid(), report.headline().detail(), result.signerSubject(),
                result.signerSha256Fingerprint(), result.signingTime(), number, report.verdicts().stream()
                        .map(v -> new Verdict(v.check(), v.passed(), v.detail())).toList());
    }

    @GetMapping("/v1/trace/requests/{requestId}")
    @RequiresScope(Scope.READ)
    RequestTrace.Trace trace(@PathVariable String requestId) {
        return trace.of(callers.requireTenant(), requestId)
                .orElseThrow(() -> ApiProblem.notFound("request", requestId));
    }

    static final int MAX_PAGE = 1000;

    @org.carbonledger.shared.web.RequiresScope(org.carbonledger.shared.Scope.READ)
    @GetMapping("/v1/trace/receipts/{id}/requests")
    BackwardTrace.RequestPage receiptRequests(@PathVariable UUID id, @RequestParam(required = false) String cursor,
            @RequestParam(defaultValue = "100") int limit) {
        UUID tenant = callers.requireTenant();
        if (limit < 1 || limit > MAX_PAGE) {
            throw ApiProblem.invalid("limit", "limit must be between 1 and " + MAX_PAGE);
        }
        if (cursor != null) {
            try {
                BackwardTrace.decode(cursor);
            } catch (IllegalArgumentException e) {
                throw ApiProblem.invalid("cursor", "not a cursor returned by this endpoint (nextCursor)");
            }
        }
        return backward.requestsOf(tenant, id, cursor, limit).orElseThrow(() -> ApiProblem.notFound("receipt", id));
    }

    @org.carbonledger.shared.web.RequiresScope(org.carbonledger.shared.Scope.READ)
    @GetMapping("/v1/trace/serials/{serial}")
    BackwardTrace.SerialTrace serial(@PathVariable String serial) {
        UUID tenant = callers.requireTenant();
        try {
            return backward.serial(tenant, serial).orElseThrow(() -> ApiProblem.notFound("retired serial", serial));
        } catch (IllegalArgumentException e) {
            throw ApiProblem.invalid("serial", e.getMessage());
        }
    }
}
