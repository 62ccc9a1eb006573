package org.carbonledger.emissions.internal;

import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Configuration;
import org.springframework.scheduling.annotation.EnableScheduling;
import org.springframework.scheduling.annotation.Scheduled;

/**
 * The emissions schedule; everything off with {@code carbonledger.emissions.scheduling=false} (tests drive
 * {@link ScheduledRuns} by hand). The attribution of closed measurement windows runs by default; the provider syncs
 * run only when a provider has credentials and at least one zone or region to sync.
 */
final class EmissionsScheduling {

    private EmissionsScheduling() {
    }

    @Configuration(proxyBeanMethods = false)
    @EnableScheduling
    @ConditionalOnProperty(name = {"carbonledger.emissions.scheduling", "carbonledger.emissions.measured.scheduling"},
            havingValue = "true", matchIfMissing = true)
    static class MeasuredAttributionSchedule {

        private final ScheduledRuns runs;

        MeasuredAttributionSchedule(ScheduledRuns runs) {
            this.runs = runs;
        }

        @Scheduled(initialDelayString = "${carbonledger.emissions.measured.attribution-interval:PT5M}",
                fixedDelayString = "${carbonledger.emissions.measured.attribution-interval:PT5M}")
        void attributeClosedWindows() {
            runs.attributeClosedWindows();
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnableScheduling
    @ConditionalOnProperty(name = "carbonledger.emissions.scheduling", havingValue = "true", matchIfMissing = true)
    @ConditionalOnExpression("""
            (!'${carbonledger.grid.electricity-maps.token:}'.isBlank()
                and !'${carbonledger.grid.sync.electricity-maps-zones:}'.isBlank())
            or (!'${carbonledger.grid.watttime.username:}'.isBlank()
                and !'${carbonledger.grid.sync.watt-time-regions:}'.isBlank())""")
    static class GridSignalSchedule {

        private final ScheduledRuns runs;

        GridSignalSchedule(ScheduledRuns runs) {
            this.runs = runs;
        }

        @Scheduled(initialDelayString = "${carbonledger.grid.sync.initial-delay:PT1M}",
                fixedDelayString = "${carbonledger.grid.sync.interval:PT1H}")
        void syncGridSignals() {
            runs.syncGridSignals();
        }
    }
}
