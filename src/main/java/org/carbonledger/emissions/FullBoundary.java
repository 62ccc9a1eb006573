package org.carbonledger.emissions;

/**
 * The full boundary of one request's energy around its accelerator energy, each component kept separate:
 *
 * <pre>
 * host     = accelerator × h            (CPU/DRAM share of the serving machine)
 * idle     = (accelerator + host) × i   (provisioned capacity kept idle for the service)
 * overhead = (accelerator + host + idle) × (PUE − 1)
 * total    = accelerator + host + idle + overhead
 * embodied = GPU-seconds × (GPU card + server share per GPU) / lifetime                    (SCI "M", gCO2e)
 * </pre>
 *
 * Defaults: h = 25/58 and i = 10/83, the shares Google measured for a median Gemini prompt (accelerators 58 %, host
 * 25 %, idle 10 %, arXiv:2508.15734); server excl. GPUs 5,700 kgCO2e per 8 GPUs and a 3-year lifetime (EcoLogits
 * v0.9.1, BoaviztAPI p5.48xlarge). See docs/domain/methodology.md.
 */
public final class FullBoundary {

    public static final double DEFAULT_HOST_RATIO = 25.0 / 58.0;
    public static final double DEFAULT_IDLE_RATIO = 10.0 / 83.0;
    public static final double DEFAULT_SERVER_EMBODIED_KG_PER_GPU = 5700.0 / 8.0;
    public static final double DEFAULT_LIFETIME_YEARS = 3.0;
    private static final double SECONDS_PER_YEAR = 365.25 * 24 * 3600;

    /** Components in joules (energy) and grams (embodied); low/high scale the total like the accelerator range. */
    public record Components(double acceleratorJoules, double hostJoules, double idleJoules, double overheadJoules,
            double totalJoules, double totalJoulesLow, double totalJoulesHigh, double embodiedGrams) {
    }

    private final double hostRatio;
    private final double idleRatio;
    private final double serverEmbodiedKgPerGpu;
    private final double lifetimeYears;
    private final GpuCatalog gpus;

    public FullBoundary(double hostRatio, double idleRatio, double serverEmbodiedKgPerGpu, double lifetimeYears,
            GpuCatalog gpus) {
        if (hostRatio < 0 || idleRatio < 0 || serverEmbodiedKgPerGpu < 0 || !(lifetimeYears > 0)) {
            throw new IllegalArgumentException("boundary ratios must be ≥ 0 and the lifetime positive");
        }
        this.hostRatio = hostRatio;
        this.idleRatio = idleRatio;
        this.serverEmbodiedKgPerGpu = serverEmbodiedKgPerGpu;
        this.lifetimeYears = lifetimeYears;
        this.gpus = gpus;
    }

    public static FullBoundary defaults() {
        return new FullBoundary(DEFAULT_HOST_RATIO, DEFAULT_IDLE_RATIO, DEFAULT_SERVER_EMBODIED_KG_PER_GPU,
                DEFAULT_LIFETIME_YEARS, GpuCatalog.standard());
    }

    public Components of(EstimatorV1.GpuEnergy gpu, double pue) {
        if (!(pue >= 1)) {
            throw new EstimatorV1.InvalidInput("pue", "must be at least 1");
        }
        double accelerator = gpu.joules();
        double host = accelerator * hostRatio;
        double idle = (accelerator + host) * idleRatio;
        double it = accelerator + host + idle;
        double overhead = it * (pue - 1);
        double total = it + overhead;
        double scale = accelerator > 0 ? total / accelerator : 0;
        double embodiedKgPerGpu = gpus.byKey(gpu.gpuKey()).embodiedKgCo2e() + serverEmbodiedKgPerGpu;
        double embodiedGrams = gpu.gpuSeconds() * embodiedKgPerGpu * 1000 / (lifetimeYears * SECONDS_PER_YEAR);
        return new Components(accelerator, host, idle, overhead, total, gpu.lowJoules() * scale,
                gpu.highJoules() * scale, embodiedGrams);
    }
}
