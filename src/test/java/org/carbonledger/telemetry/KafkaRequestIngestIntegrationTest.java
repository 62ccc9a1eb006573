package org.carbonledger.telemetry;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Value;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The ingest semantics on the Kafka transport, against a real in-JVM KRaft broker: the API checks and produces, the
 * application's own consumer stores. Its own application context (the shared one stays on the embedded transport).
 */
@KafkaTransport
class KafkaRequestIngestIntegrationTest extends RequestIngestContract {

    @Value("${spring.kafka.bootstrap-servers}")
    String bootstrapServers;

    @Override
    protected void awaitStored() {
        KafkaLag.awaitTestContextStored(bootstrapServers);
    }

    @Override
    protected boolean inFlightDuplicatesAnsweredOnce() {
        return false;
    }

    @Test
    void cloudEventsGoThroughTheTopicWithTheirSourceAndCountOnce() {
        Tenant tenant = newTenant(unique("ce-kafka"), 100);
        java.util.UUID workload = newWorkload(tenant.key(), "chat", "meta-llama/Meta-Llama-3.1-70B-Instruct",
                "us-east-1");
        java.time.Instant at = START.minusSeconds(3600);
        var events = java.util.List.of(org.carbonledger.support.Api.map("specversion", "1.0", "id", "evt-k1",
                "source", "//gateway.example/eu-1", "type", "org.carbonledger.inference.request.v1",
                "datacontenttype", "application/json", "time", at.toString(),
                "data", request("ce-k1", workload, 30, 40, at)));
        byte[] body = org.carbonledger.support.Api.JSON.writeValueAsString(events)
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        var first = api.postBytes(tenant.key(), "/v1/telemetry/requests", body, "application/cloudevents-batch+json");
        assertThat(first.status()).as(first.toString()).isEqualTo(200);
        assertThat(first.body().path("accepted").asInt()).isEqualTo(1);
        awaitStored();
        var replay = api.postBytes(tenant.key(), "/v1/telemetry/requests", body, "application/cloudevents-batch+json");
        assertThat(replay.body().path("duplicates").asInt()).isEqualTo(1);
        awaitStored();
        assertThat(jdbc.sql("""
                select r.source, count(e.id) from inference_requests r
                  left join emission_records e on e.inference_request_id = r.id
                 where r.tenant_id = ? group by r.id, r.source""").param(tenant.id())
                .query((rs, n) -> rs.getString(1) + ":" + rs.getLong(2)).list()).containsExactly("cloudevents:1");
    }

    @Test
    void theInstanceReportsItsTransportAndHoldsEveryPartitionAlone() throws InterruptedException {
        var response = api.get(OPERATOR_KEY, "/v1/operator/telemetry/transport");
        for (int i = 0; i < 300 && response.body().path("assignedPartitions").size() < 4; i++) {
            Thread.sleep(100);
            response = api.get(OPERATOR_KEY, "/v1/operator/telemetry/transport");
        }
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        assertThat(response.text("transport")).isEqualTo("kafka");
        assertThat(response.text("topic")).isEqualTo(KafkaTransport.TOPIC);
        assertThat(response.text("consumerGroup")).isEqualTo(KafkaTransport.GROUP);
        assertThat(response.body().path("assignedPartitions").toString()).isEqualTo("[\"telemetry-test-0\","
                + "\"telemetry-test-1\",\"telemetry-test-2\",\"telemetry-test-3\"]");
    }
}
