package org.carbonledger.emissions;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class EstimatorFitTest {

    @Test
    void refittingReproducesTheCommittedCoefficientsAndReport() throws Exception {
        EstimatorFit.Result refit = new EstimatorFit().fit();
        EstimatorFit.Result committed = EstimatorV1.load();
        assertThat(refit.datasetSha256()).isEqualTo(committed.datasetSha256());
        assertThat(refit.coefficients()).hasSize(EstimatorV1Model.FEATURES.size());
        for (int i = 0; i < refit.coefficients().length; i++) {
            assertThat(refit.coefficients()[i]).isCloseTo(committed.coefficients()[i], within(1e-9));
        }
        assertThat(refit.residualLnQ05()).isCloseTo(committed.residualLnQ05(), within(1e-9));
        assertThat(refit.residualLnQ95()).isCloseTo(committed.residualLnQ95(), within(1e-9));
        assertThat(refit.leaveOneModelOut()).isEqualTo(committed.leaveOneModelOut());
        assertThat(Files.readString(Path.of("docs/domain/estimator-v1-report.md")))
                .isEqualTo(EstimatorFit.report(refit));
    }

    @Test
    void crossValidationHoldsOutEachOfTheModels() {
        EstimatorFit.Result fit = EstimatorV1.load();
        assertThat(fit.heldOutModels()).hasSize(29);
        assertThat(fit.leaveOneModelOut().rows()).isEqualTo(356);
        // the accuracy the report claims (docs/domain/estimator-v1-report.md)
        assertThat(fit.leaveOneModelOut().medianErrorFactor()).isCloseTo(1.180, within(0.0005));
        assertThat(fit.leaveOneModelOut().shareWithin1_5()).isCloseTo(0.820, within(0.0005));
        assertThat(fit.ecologitsAsShipped().medianErrorFactor()).isCloseTo(1.500, within(0.0005));
    }

    @Test
    void ecologitsFormulaAsPublished() {
        // 70 B active, B = 64: (1.1665e-6 × e^(−0.0112059 × 64) × 70 + 4.0529e-5) Wh × 3600 J/Wh per token per GPU
        double perToken = (1.1665273170451914e-06 * Math.exp(-0.011205921025579175 * 64) * 70
                + 4.052928146734005e-05) * 3600;
        assertThat(EstimatorFit.ecologitsJoulesPerRequest(70, 64, 2, 100)).isCloseTo(perToken * 200, within(1e-9));
        assertThat(EstimatorFit.ecologitsGpuCount(70)).isEqualTo(4); // 168 GB → 3 → 4
        assertThat(EstimatorFit.ecologitsGpuCount(8)).isEqualTo(1);
    }
}
