package org.carbonledger.receipts.web;

import java.util.List;
import org.carbonledger.receipts.TransparencyLog;
import org.carbonledger.receipts.log.Checkpoint;
import org.carbonledger.shared.CallerContext;
import org.carbonledger.shared.web.ApiProblem;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The transparency log: signed checkpoints, a request's inclusion proof, consistency between two tree sizes. A
 * tenant sees its own leaves' entries; of everything else only hashes.
 */
@RestController
class LogController {

    static final int MAX_CHECKPOINTS = 200;
    static final int DEFAULT_CHECKPOINTS = 50;

    private final TransparencyLog log;
    private final CallerContext callers;

    LogController(TransparencyLog log, CallerContext callers) {
        this.log = log;
        this.callers = callers;
    }

    /** A signed checkpoint; {@code text} is exactly the signed UTF-8 text. */
    record CheckpointView(long treeSize, String rootHash, String timestamp, String signature, String text) {
        static CheckpointView of(Checkpoint c) {
            return new CheckpointView(c.treeSize(), c.rootHashHex(), c.timestamp().toString(),
                    c.signatureBase64(), c.text());
        }
    }

    record InclusionLeaf(long leafIndex, String kind, String entry, String leafHash, List<String> auditPath) {
    }

    record InclusionProof(String requestId, CheckpointView checkpoint, List<InclusionLeaf> leaves) {
    }

    record ConsistencyProof(long first, long second, String firstRootHash, String secondRootHash,
            List<String> proof) {
    }

    @org.carbonledger.shared.web.RequiresScope(org.carbonledger.shared.Scope.READ)
    @GetMapping("/v1/log/checkpoints")
    CheckpointPage checkpoints(@RequestParam(required = false) Integer limit,
            @RequestParam(required = false) String cursor) {
        callers.requireTenant();
        int size = limit == null ? DEFAULT_CHECKPOINTS : limit;
        if (size < 1 || size > MAX_CHECKPOINTS) {
            throw ApiProblem.invalid("limit", "limit must be between 1 and " + MAX_CHECKPOINTS);
        }
        Long before = null;
        if (cursor != null) {
            try {
                before = Long.parseLong(cursor);
            } catch (NumberFormatException e) {
                before = -1L;
            }
            if (before < 1) {
                throw ApiProblem.invalid("cursor", "not a cursor returned by this endpoint (nextCursor)");
            }
        }
        List<CheckpointView> fetched = log.checkpoints(before, size + 1).stream().map(CheckpointView::of).toList();
        List<CheckpointView> items = fetched.subList(0, Math.min(size, fetched.size()));
        String next = fetched.size() > size ? String.valueOf(items.get(items.size() - 1).treeSize()) : null;
        return new CheckpointPage(items, next);
    }

    /** A page of checkpoints, newest first; {@code nextCursor} is null on the last page. */
    record CheckpointPage(List<CheckpointView> items, String nextCursor) {
    }

    @org.carbonledger.shared.web.RequiresScope(org.carbonledger.shared.Scope.READ)
    @GetMapping("/v1/log/proofs/inclusion")
    InclusionProof inclusion(@RequestParam String requestId, @RequestParam(required = false) Long treeSize) {
        var tenant = callers.requireTenant();
        Checkpoint checkpoint;
        if (treeSize == null) {
            checkpoint = log.latestCheckpoint().orElseThrow(() -> ApiProblem.notFound("checkpoint", "latest"));
        } else {
            checkpoint = log.checkpoint(treeSize).orElseThrow(() -> ApiProblem.invalid("treeSize",
                    "no signed checkpoint has tree size " + treeSize + " (see GET /v1/log/checkpoints)"));
        }
        var leaves = log.leavesOfRequest(tenant, requestId, checkpoint.treeSize());
        if (leaves.isEmpty()) {
            throw ApiProblem.notFound("request in the log at tree size " + checkpoint.treeSize(), requestId);
        }
        return new InclusionProof(requestId, CheckpointView.of(checkpoint), leaves.stream()
                .map(l -> new InclusionLeaf(l.index(), l.kind(), l.entryText(), TransparencyLog.hex(l.leafHash()),
                        log.inclusionProof(l.index(), checkpoint.treeSize()).stream()
                                .map(TransparencyLog::hex).toList()))
                .toList());
    }

    @org.carbonledger.shared.web.RequiresScope(org.carbonledger.shared.Scope.READ)
    @GetMapping("/v1/log/proofs/consistency")
    ConsistencyProof consistency(@RequestParam long first, @RequestParam long second) {
        callers.requireTenant();
        long size = log.size();
        if (first < 1) {
            throw ApiProblem.invalid("first", "first must be at least 1");
        }
        if (second < first) {
            throw ApiProblem.invalid("second", "second must not be smaller than first");
        }
        if (second > size) {
            throw ApiProblem.invalid("second", "the log has only " + size + " leaves");
        }
        return new ConsistencyProof(first, second, TransparencyLog.hex(log.rootOf(first)),
                TransparencyLog.hex(log.rootOf(second)),
                log.consistencyProof(first, second).stream().map(TransparencyLog::hex).toList());
    }

}
