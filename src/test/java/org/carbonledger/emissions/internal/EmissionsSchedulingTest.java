package org.carbonledger.emissions.internal;

import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;

/** Which parts of the emissions schedule exist for which configuration. */
class EmissionsSchedulingTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withBean(ScheduledRuns.class, () -> mock(ScheduledRuns.class))
            .withUserConfiguration(EmissionsScheduling.MeasuredAttributionSchedule.class,
                    EmissionsScheduling.GridSignalSchedule.class);

    @Test
    void attributionIsScheduledByDefaultAndProviderSyncsAreNotWithoutAProvider() {
        runner.run(context -> {
            assertThat(context).hasSingleBean(EmissionsScheduling.MeasuredAttributionSchedule.class);
            assertThat(context).doesNotHaveBean(EmissionsScheduling.GridSignalSchedule.class);
        });
    }

    @Test
    void zonesWithoutCredentialsOrCredentialsWithoutZonesScheduleNoSync() {
        runner.withPropertyValues("carbonledger.grid.sync.electricity-maps-zones=eu-west-1=IE")
                .run(context -> assertThat(context).doesNotHaveBean(EmissionsScheduling.GridSignalSchedule.class));
        runner.withPropertyValues("carbonledger.grid.watttime.username=u")
                .run(context -> assertThat(context).doesNotHaveBean(EmissionsScheduling.GridSignalSchedule.class));
    }

    @Test
    void aConfiguredProviderWithZonesIsSynced() {
        runner.withPropertyValues("carbonledger.grid.electricity-maps.token=t",
                "carbonledger.grid.sync.electricity-maps-zones=eu-west-1=IE")
                .run(context -> assertThat(context).hasSingleBean(EmissionsScheduling.GridSignalSchedule.class));
        runner.withPropertyValues("carbonledger.grid.watttime.username=u",
                "carbonledger.grid.sync.watt-time-regions=us-west-1=CAISO_NORTH")
                .run(context -> assertThat(context).hasSingleBean(EmissionsScheduling.GridSignalSchedule.class));
    }

    @Test
    void theSwitchesTurnTheScheduleOff() {
        runner.withPropertyValues("carbonledger.emissions.scheduling=false", "carbonledger.grid.electricity-maps.token=t",
                "carbonledger.grid.sync.electricity-maps-zones=eu-west-1=IE")
                .run(context -> {
                    assertThat(context).doesNotHaveBean(EmissionsScheduling.MeasuredAttributionSchedule.class);
                    assertThat(context).doesNotHaveBean(EmissionsScheduling.GridSignalSchedule.class);
                });
        runner.withPropertyValues("carbonledger.emissions.measured.scheduling=false")
                .run(context -> assertThat(context)
                        .doesNotHaveBean(EmissionsScheduling.MeasuredAttributionSchedule.class));
    }
}
