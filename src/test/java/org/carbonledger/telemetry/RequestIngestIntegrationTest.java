package org.carbonledger.telemetry;

/** The ingest semantics on the embedded transport (the default): the answer follows the commit. */
class RequestIngestIntegrationTest extends RequestIngestContract {

    @Override
    protected void awaitStored() {
        // acknowledged means committed
    }

    @org.junit.jupiter.api.Test
    void theInstanceReportsTheEmbeddedTransport() {
        var response = api.get(OPERATOR_KEY, "/v1/operator/telemetry/transport");
        org.assertj.core.api.Assertions.assertThat(response.status()).as(response.toString()).isEqualTo(200);
        org.assertj.core.api.Assertions.assertThat(response.text("transport")).isEqualTo("embedded");
        org.assertj.core.api.Assertions.assertThat(response.body().path("assignedPartitions").size()).isZero();
    }

    @Override
    protected boolean inFlightDuplicatesAnsweredOnce() {
        return true;
    }
}
