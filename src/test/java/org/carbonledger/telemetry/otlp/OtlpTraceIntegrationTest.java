package org.carbonledger.telemetry.otlp;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.carbonledger.support.IntegrationTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * OTLP/HTTP traces into requests, on the embedded transport; {@link KafkaOtlpTraceIntegrationTest} runs the same
 * cases on the Kafka transport. Reads of what is stored follow {@link #awaitStored()}.
 */
class OtlpTraceIntegrationTest extends IntegrationTest {

    /** Returns when every acknowledged request is stored: at once in the embedded transport. */
    protected void awaitStored() {
    }

    private static final String TRACE = "5b8efff798038103d269b633813fc60c";

    private Tenant tenant;
    private UUID workload;
    private final Instant at = START.minusSeconds(3600);

    @BeforeEach
    void tenantWithWorkload() {
        tenant = newTenant(unique("otlp"), 100);
        workload = newWorkload(tenant.key(), "chat", "meta-llama/Meta-Llama-3.1-70B-Instruct", "us-east-1");
    }

    private static KeyValue attr(String key, String value) {
        return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setStringValue(value)).build();
    }

    private static KeyValue attr(String key, long value) {
        return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setIntValue(value)).build();
    }

    private Span.Builder span(String spanId) {
        long end = at.getEpochSecond() * 1_000_000_000L + 250_000_000L;
        return Span.newBuilder().setTraceId(ByteString.fromHex(TRACE)).setSpanId(ByteString.fromHex(spanId))
                .setName("chat llama").setStartTimeUnixNano(end - 2_000_000_000L).setEndTimeUnixNano(end);
    }

    private Span genAi(String spanId, long in, long out) {
        return span(spanId).addAttributes(attr("gen_ai.operation.name", "chat"))
                .addAttributes(attr("gen_ai.provider.name", "openai"))
                .addAttributes(attr("gen_ai.request.model", "meta-llama/Meta-Llama-3.1-70B-Instruct"))
                .addAttributes(attr("gen_ai.response.model", "meta-llama/Meta-Llama-3.1-70B-Instruct"))
                .addAttributes(attr("server.address", "vllm.internal"))
                .addAttributes(attr("gen_ai.usage.input_tokens", in))
                .addAttributes(attr("gen_ai.usage.output_tokens", out)).build();
    }

    private ExportTraceServiceRequest export(Span... spans) {
        return ExportTraceServiceRequest.newBuilder().addResourceSpans(ResourceSpans.newBuilder()
                .setResource(Resource.newBuilder().addAttributes(attr("service.name", "chat-api"))
                        .addAttributes(attr(GenAiSpans.WORKLOAD_ATTRIBUTE, workload.toString())))
                .addScopeSpans(ScopeSpans.newBuilder().addAllSpans(java.util.List.of(spans)))).build();
    }

    private long count(String table) {
        awaitStored();
        return jdbc.sql("select count(*) from " + table + " where tenant_id = ?").param(tenant.id())
                .query(Long.class).single();
    }

    @Test
    void genAiSpansBecomeRequestsOtherSpansAreCountedAndRejectedOnesReportedAsPartialSuccess() throws Exception {
        Span http = span("00000000000000a1").setName("GET /health")
                .addAttributes(attr("http.request.method", "GET")).build();
        Span noUsage = span("00000000000000a2").addAttributes(attr("gen_ai.operation.name", "chat")).build();
        var request = export(genAi("00000000000000b1", 812, 405), http, genAi("00000000000000b2", 10, 0), noUsage);
        var response = api.postBytes(tenant.key(), "/v1/traces", request.toByteArray(), "application/x-protobuf");
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/x-protobuf");
        assertThat(response.headers().firstValue("X-Carbonledger-Spans-Ignored")).hasValue("1");
        var parsed = ExportTraceServiceResponse.parseFrom(response.bytes());
        assertThat(parsed.getPartialSuccess().getRejectedSpans()).isEqualTo(1);
        assertThat(parsed.getPartialSuccess().getErrorMessage())
                .isEqualTo("span 00000000000000a2: gen_ai.usage.input_tokens is required");

        awaitStored();
        var row = jdbc.sql("""
                select request_id, trace_id, span_id, input_tokens, output_tokens, source, ended_at, workload_id
                  from inference_requests where tenant_id = ? and span_id = '00000000000000b1'""")
                .param(tenant.id()).query().singleRow();
        assertThat(row.get("request_id")).isEqualTo(TRACE + "-00000000000000b1");
        assertThat(row.get("trace_id")).isEqualTo(TRACE);
        assertThat(row.get("input_tokens")).isEqualTo(812L);
        assertThat(row.get("output_tokens")).isEqualTo(405L);
        assertThat(row.get("source")).isEqualTo("otlp");
        assertThat(row.get("workload_id")).isEqualTo(workload);
        assertThat(((java.sql.Timestamp) row.get("ended_at")).toInstant()).isEqualTo(at.plusMillis(250));
        assertThat(count("inference_requests")).isEqualTo(2);
        assertThat(count("emission_records")).isEqualTo(2);

        var replay = api.postBytes(tenant.key(), "/v1/traces", request.toByteArray(), "application/x-protobuf");
        assertThat(ExportTraceServiceResponse.parseFrom(replay.bytes()).getPartialSuccess().getRejectedSpans())
                .isEqualTo(1);
        assertThat(count("inference_requests")).as("a re-exported span counts once").isEqualTo(2);
    }

    @Test
    void otlpJsonWithHexIdsAndTheWorkloadFromTheHeader() {
        long end = at.getEpochSecond() * 1_000_000_000L;
        String body = """
                {"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"x"}},
                                                             {"key":"host.name","value":{"stringValue":"dgx-7"}}]},
                  "scopeSpans":[{"scope":{"name":"openllmetry"},"spans":[
                    {"traceId":"%s","spanId":"00000000000000c1","name":"chat","kind":3,
                     "startTimeUnixNano":"%d","endTimeUnixNano":"%d",
                     "attributes":[{"key":"gen_ai.system","value":{"stringValue":"openai"}},
                                   {"key":"gen_ai.usage.input_tokens","value":{"intValue":"42"}},
                                   {"key":"gen_ai.usage.output_tokens","value":{"intValue":7}}]},
                    {"traceId":"%s","spanId":"00000000000000c2","name":"db","kind":3,
                     "startTimeUnixNano":"%d","endTimeUnixNano":"%d"}]}]}]}
                """.formatted(TRACE, end - 1000, end, TRACE, end - 1000, end);
        var response = api.postBytes(tenant.key(), "/v1/traces", body.getBytes(StandardCharsets.UTF_8),
                "application/json", Map.of("X-Carbonledger-Workload", workload.toString()));
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        assertThat(response.body().path("partialSuccess").isMissingNode()).as(response.toString()).isTrue();
        assertThat(response.headers().firstValue("X-Carbonledger-Spans-Ignored")).hasValue("1");
        awaitStored();
        assertThat(jdbc.sql("select input_tokens + output_tokens from inference_requests where tenant_id = ? and"
                + " request_id = ?").params(tenant.id(), TRACE + "-00000000000000c1").query(Long.class).single())
                .isEqualTo(49L);
        // the resource's host.name is the node measured mode attributes energy from
        assertThat(jdbc.sql("select node_id from inference_requests where tenant_id = ? and request_id = ?")
                .params(tenant.id(), TRACE + "-00000000000000c1").query(String.class).single()).isEqualTo("dgx-7");
        // the request's trace shows that provenance
        var traced = api.get(tenant.key(), "/v1/trace/requests/" + TRACE + "-00000000000000c1").body().path("request");
        assertThat(traced.path("traceId").asString()).isEqualTo(TRACE);
        assertThat(traced.path("spanId").asString()).isEqualTo("00000000000000c1");
        assertThat(traced.path("nodeId").asString()).isEqualTo("dgx-7");
        assertThat(traced.path("source").asString()).isEqualTo("otlp");
    }

    @Test
    void aGenAiSpanWithoutAWorkloadIsRejected() throws Exception {
        var request = ExportTraceServiceRequest.newBuilder().addResourceSpans(ResourceSpans.newBuilder()
                .addScopeSpans(ScopeSpans.newBuilder().addSpans(genAi("00000000000000d1", 1, 1)))).build();
        var response = api.postBytes(tenant.key(), "/v1/traces", request.toByteArray(), "application/x-protobuf");
        var parsed = ExportTraceServiceResponse.parseFrom(response.bytes());
        assertThat(parsed.getPartialSuccess().getRejectedSpans()).isEqualTo(1);
        assertThat(parsed.getPartialSuccess().getErrorMessage()).contains("no workload");
        assertThat(count("inference_requests")).isZero();
    }

    @Test
    void malformedProtobufOrJsonIsA400Problem() {
        var protobuf = api.postBytes(tenant.key(), "/v1/traces", new byte[] {0x0a, 0x7f, 0x01},
                "application/x-protobuf");
        assertThat(protobuf.status()).isEqualTo(400);
        assertThat(protobuf.text("field")).isEqualTo("body");
        assertThat(protobuf.text("detail")).startsWith("malformed protobuf");
        var json = api.postBytes(tenant.key(), "/v1/traces", "{\"resourceSpans\":".getBytes(), "application/json");
        assertThat(json.status()).isEqualTo(400);
        assertThat(json.text("detail")).startsWith("malformed JSON");
        var badHex = api.postBytes(tenant.key(), "/v1/traces", ("{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":"
                + "[{\"traceId\":\"xyz\"}]}]}]}").getBytes(), "application/json");
        assertThat(badHex.status()).isEqualTo(400);
        assertThat(badHex.text("detail")).isEqualTo("traceId 'xyz' is not hex");
    }
}
