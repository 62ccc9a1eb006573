package org.carbonledger.emissions.internal;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The window energy rule of measured mode on hand-computed cases and random counter series. */
class MeasuredAttributionTest {

    static final Instant WS = Instant.parse("2026-10-01T07:00:00Z");
    static final Instant WE = WS.plusSeconds(300);
    static final Duration GAP = Duration.ofMinutes(15);

    static MeasuredAttribution.Sample s(int gpu, long second, String joules) {
        return new MeasuredAttribution.Sample(gpu, WS.plusSeconds(second), new BigDecimal(joules));
    }

    static MeasuredAttribution.Req r(long from, long to) {
        return new MeasuredAttribution.Req(null, null, 1, 1, WS.plusSeconds(from), WS.plusSeconds(to), null);
    }

    static Map<Integer, List<MeasuredAttribution.Sample>> byGpu(MeasuredAttribution.Sample... samples) {
        Map<Integer, List<MeasuredAttribution.Sample>> map = new TreeMap<>();
        for (var sample : samples) {
            map.computeIfAbsent(sample.gpu(), g -> new ArrayList<>()).add(sample);
        }
        return map;
    }

    @Test
    void samplesAroundTheWindowAreInterpolatedAndResetsCountFromZero() {
        // 200 W from 06:59 to 07:01 (24,000 J over 120 s), then a restart: 50 J counted by 07:06 (330 s)
        var energy = MeasuredAttribution.measure(byGpu(s(0, -60, "1000"), s(0, 60, "25000"), s(0, 360, "50")),
                WS, WE, List.of(r(0, 30)), GAP);
        assertThat(energy.measured()).isCloseTo(200 * 60 + 50.0 * 240 / 300, within(1e-9));
        assertThat(energy.resets()).isEqualTo(1);
        // idle: 30 s of the first segment at 200 W + all of the second (240 s at 50/300 W)
        assertThat(energy.idle()).isCloseTo(200 * 30 + 50.0 * 240 / 300, within(1e-9));
        assertThat(energy.gpuSecondsCovered()).isCloseTo(300, within(1e-9));
    }

    @Test
    void aWindowWaitsForEveryReportingGpuAndForGapsToClose() {
        assertThat(MeasuredAttribution.measure(byGpu(s(0, 0, "0"), s(0, 300, "10"), s(1, 0, "0"), s(1, 200, "5")),
                WS, WE, List.of(), GAP)).as("GPU 1 has not reported up to 07:05").isNull();
        assertThat(MeasuredAttribution.measure(byGpu(s(0, -3600, "0"), s(0, 3600, "10")), WS, WE, List.of(), GAP))
                .as("two hours between samples").isNull();
        assertThat(MeasuredAttribution.measure(byGpu(s(0, 400, "0"), s(0, 700, "10")), WS, WE, List.of(), GAP))
                .as("samples only after the window").isNull();
    }

    @Test
    void busyTimeIsTheUnionOfRequestIntervals() {
        assertThat(MeasuredAttribution.busySeconds(List.of(r(60, 120), r(90, 180), r(240, 360), r(250, 260)),
                WS, WE)).isCloseTo(180, within(1e-9));
        assertThat(MeasuredAttribution.overlapShare(r(240, 360), WS, WE)).isCloseTo(0.5, within(1e-12));
        assertThat(MeasuredAttribution.overlapShare(r(300, 300), WS, WE)).as("an instant at the end belongs to the"
                + " next window").isZero();
        assertThat(MeasuredAttribution.overlapShare(r(0, 0), WS, WE)).isEqualTo(1);
    }

    @RepeatedTest(50)
    void everyComponentIsNonNegativeAndIdleNeverExceedsMeasured() {
        Random random = new Random();
        List<MeasuredAttribution.Sample> samples = new ArrayList<>();
        for (int gpu = 0; gpu < 1 + random.nextInt(4); gpu++) {
            long t = -random.nextInt(120);
            double counter = random.nextInt(1_000_000);
            while (t < 420) {
                samples.add(new MeasuredAttribution.Sample(gpu, WS.plusSeconds(t),
                        BigDecimal.valueOf(counter).setScale(3, java.math.RoundingMode.HALF_EVEN)));
                t += 1 + random.nextInt(90);
                counter = random.nextInt(20) == 0 ? random.nextInt(500) : counter + random.nextDouble() * 700 * 90;
            }
            samples.add(new MeasuredAttribution.Sample(gpu, WS.plusSeconds(t),
                    BigDecimal.valueOf(counter + 1).setScale(3, java.math.RoundingMode.HALF_EVEN)));
        }
        List<MeasuredAttribution.Req> requests = new ArrayList<>();
        for (int i = 0; i < random.nextInt(6); i++) {
            long from = random.nextInt(400) - 50;
            requests.add(r(from, from + random.nextInt(120)));
        }
        var energy = MeasuredAttribution.measure(byGpu(samples.toArray(MeasuredAttribution.Sample[]::new)), WS, WE,
                requests, GAP);
        assertThat(energy).isNotNull();
        assertThat(energy.measured()).isGreaterThanOrEqualTo(0);
        assertThat(energy.idle()).isBetween(0.0, energy.measured());
        assertThat(energy.gpuSecondsCovered()).isLessThanOrEqualTo(300.0 * 4 + 1e-6);
        for (var request : requests) {
            assertThat(MeasuredAttribution.overlapShare(request, WS, WE)).isBetween(0.0, 1.0);
        }
    }
}
