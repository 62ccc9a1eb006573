package org.carbonledger.telemetry.web;

import org.carbonledger.shared.Scope;
import org.carbonledger.shared.web.RequiresScope;
import org.carbonledger.telemetry.IngestTransport;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** Operators: which telemetry transport this instance runs and, for Kafka, the partitions its consumer holds. */
@RestController
class TransportController {

    private final IngestTransport transport;

    TransportController(IngestTransport transport) {
        this.transport = transport;
    }

    @GetMapping("/v1/operator/telemetry/transport")
    @RequiresScope(Scope.OPERATOR)
    IngestTransport.Status transport() {
        return transport.status();
    }
}
