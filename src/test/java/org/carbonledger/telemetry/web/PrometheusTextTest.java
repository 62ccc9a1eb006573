package org.carbonledger.telemetry.web;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.carbonledger.shared.web.ApiProblem;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PrometheusTextTest {

    @Test
    void readsSamplesLabelsEscapesAndTimestamps() {
        var samples = PrometheusText.parse("""
                # HELP DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION Total energy consumption since boot (in mJ).
                # TYPE DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION counter
                DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{gpu="0",UUID="GPU-1",Hostname="node-1",note="a \\"b\\" \\\\ c\\nd",} 123456789 1790000000123
                DCGM_FI_DEV_GPU_TEMP 41
                up{job="dcgm"}\t1.5e3
                """);
        assertThat(samples).hasSize(3);
        var first = samples.get(0);
        assertThat(first.name()).isEqualTo("DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION");
        assertThat(first.line()).isEqualTo(3);
        assertThat(first.labels()).containsExactly(Map.entry("gpu", "0"), Map.entry("UUID", "GPU-1"),
                Map.entry("Hostname", "node-1"), Map.entry("note", "a \"b\" \\ c\nd"));
        assertThat(first.value()).isEqualTo("123456789");
        assertThat(first.timestamp()).isEqualTo(Instant.ofEpochMilli(1790000000123L));
        assertThat(samples.get(1).labels()).isEmpty();
        assertThat(samples.get(1).timestamp()).isNull();
        assertThat(PrometheusText.decimal(samples.get(2).value())).isEqualByComparingTo("1500");
        assertThat(PrometheusText.decimal("NaN")).isNull();
        assertThat(PrometheusText.decimal("+Inf")).isNull();
    }

    @Test
    void eachSyntaxErrorNamesItsLineAndColumn() {
        for (var bad : List.of(
                List.of("m{gpu=\"0\" 1", "line 1, column 11: expected , or } after a label"),
                List.of("m{gpu=0} 1", "line 1, column 7: expected \""),
                List.of("ok 1\nm 12abc", "line 2, column 8: '12abc' is not a number"),
                List.of("m 1 12:00", "line 1, column 10: '12:00' is not a timestamp in milliseconds"),
                List.of("m{a=\"1\",a=\"2\"} 1", "line 1, column 14: label a appears twice"),
                List.of("m{a=\"\\t\"} 1", "line 1, column 8: unknown escape \\t in a label value"),
                List.of("9m 1", "line 1, column 1: expected a metric name"),
                List.of("m{a=\"1\"}1", "line 1, column 9: expected a blank before the value"),
                List.of("m 1 2 3", "line 1, column 7: unexpected text after the timestamp"))) {
            assertThatThrownBy(() -> PrometheusText.parse(bad.get(0))).as(bad.get(0))
                    .isInstanceOf(ApiProblem.class).hasMessage(bad.get(1));
        }
    }
}
