package org.carbonledger.telemetry;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.carbonledger.support.Api;
import org.carbonledger.support.IntegrationTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class CloudEventsIngestIntegrationTest extends IntegrationTest {

    private Tenant tenant;
    private UUID workload;
    private final Instant at = START.minusSeconds(3600);

    @BeforeEach
    void tenantWithWorkload() {
        tenant = newTenant(unique("ce"), 100);
        workload = newWorkload(tenant.key(), "chat", "meta-llama/Meta-Llama-3.1-70B-Instruct", "us-east-1");
    }

    private Map<String, Object> event(String id, Map<String, Object> data) {
        return Api.map("specversion", "1.0", "id", id, "source", "//gateway.example/eu-1",
                "type", "org.carbonledger.inference.request.v1", "datacontenttype", "application/json",
                "time", at.toString(), "data", data);
    }

    private Api.Response post(Object body, String contentType) {
        return api.postBytes(tenant.key(), "/v1/telemetry/requests",
                Api.JSON.writeValueAsString(body).getBytes(StandardCharsets.UTF_8), contentType);
    }

    @Test
    void aStructuredEventIsOneRequestAndItsIdIsTheRequestIdWhenDataHasNone() {
        Map<String, Object> data = new java.util.LinkedHashMap<>(request("ignored", workload, 30, 40, at));
        data.remove("requestId");
        var response = post(event("evt-1", data), "application/cloudevents+json");
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        assertThat(response.body().path("accepted").asInt()).isEqualTo(1);
        assertThat(response.body().path("items").get(0).path("requestId").asString()).isEqualTo("evt-1");
        assertThat(jdbc.sql("select source from inference_requests where tenant_id = ? and request_id = 'evt-1'")
                .param(tenant.id()).query(String.class).single()).isEqualTo("cloudevents");
        var replay = post(event("evt-1", data), "application/cloudevents+json");
        assertThat(replay.body().path("duplicates").asInt()).isEqualTo(1);
    }

    @Test
    void aBatchKeepsValidEventsAndReportsEachInvalidOne() {
        Map<String, Object> wrongType = event("e-2", request("r-2", workload, 1, 1, at));
        wrongType.put("type", "com.example.other");
        Map<String, Object> badData = event("e-3", request("r-3", workload, -1, 1, at));
        Map<String, Object> badSpec = event("e-4", request("r-4", workload, 1, 1, at));
        badSpec.put("specversion", "0.3");
        var response = post(List.of(event("e-1", request("r-1", workload, 1, 1, at)), wrongType, badData, badSpec,
                event("e-5", request("r-5", workload, 1, 1, at))), "application/cloudevents-batch+json");
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        assertThat(response.body().path("accepted").asInt()).isEqualTo(2);
        assertThat(response.body().path("rejected").asInt()).isEqualTo(3);
        var items = response.body().path("items");
        assertThat(items.get(1).path("field").asString()).isEqualTo("events[1].type");
        assertThat(items.get(2).path("field").asString()).isEqualTo("events[2].data.inputTokens");
        assertThat(items.get(3).path("field").asString()).isEqualTo("events[3].specversion");
        assertThat(items.get(4).path("status").asString()).isEqualTo("ACCEPTED");
    }

    @Test
    void aBatchThatIsNotAnArrayOrNotJsonIsA400() {
        var notArray = post(event("e", request("r", workload, 1, 1, at)), "application/cloudevents-batch+json");
        assertThat(notArray.status()).isEqualTo(400);
        assertThat(notArray.text("field")).isEqualTo("body");
        var notJson = api.postBytes(tenant.key(), "/v1/telemetry/requests", "{".getBytes(),
                "application/cloudevents+json");
        assertThat(notJson.status()).isEqualTo(400);
        assertThat(notJson.text("detail")).startsWith("malformed JSON");
    }
}
