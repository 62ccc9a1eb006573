package org.carbonledger.emissions;

import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;

/**
 * Public specifications of the accelerators the estimator knows ({@code methodology/gpu-specs.csv}, with sources), and
 * recognition of GPU names as people write them: {@code H100}, {@code H100-80GB-HBM3}, {@code NVIDIA A100-SXM4-40GB},
 * {@code B200}, …
 */
public final class GpuCatalog {

    /** One accelerator; {@code calibrated} when the calibration data measured it, else scaled from {@code scaledFrom}. */
    public record Gpu(String key, double tdpWatts, double memoryBandwidthGbPerS, double denseBf16Tflops,
            double memoryGb, double embodiedKgCo2e, boolean calibrated, String scaledFrom, String source) {
    }

    private static final GpuCatalog DEFAULT = load();

    private final Map<String, Gpu> byKey;
    private final Map<String, Gpu> byAlias;

    private GpuCatalog(Map<String, Gpu> byKey, Map<String, Gpu> byAlias) {
        this.byKey = byKey;
        this.byAlias = byAlias;
    }

    public static GpuCatalog standard() {
        return DEFAULT;
    }

    public List<Gpu> all() {
        return List.copyOf(byKey.values());
    }

    public Gpu byKey(String key) {
        return Objects.requireNonNull(byKey.get(key), () -> "no GPU " + key);
    }

    /**
     * Recognises a GPU name: upper-cased, vendor words ({@code NVIDIA}, {@code Tesla}) dropped, spaces and
     * underscores as hyphens; then the longest known alias that the name equals or starts with (followed by a
     * hyphen), so {@code H100-80GB-HBM3} and {@code H100-SXM5-80GB} are the SXM H100 while {@code H100-PCIe} is not.
     */
    public Optional<Gpu> recognise(String name) {
        if (name == null || name.isBlank()) {
            return Optional.empty();
        }
        String n = normalise(name);
        Gpu exact = byAlias.get(n);
        if (exact != null) {
            return Optional.of(exact);
        }
        Gpu best = null;
        int bestLength = -1;
        for (Map.Entry<String, Gpu> e : byAlias.entrySet()) {
            String alias = e.getKey();
            if (n.startsWith(alias + "-") && alias.length() > bestLength) {
                best = e.getValue();
                bestLength = alias.length();
            }
        }
        return Optional.ofNullable(best);
    }

    static String normalise(String name) {
        String n = name.trim().toUpperCase(Locale.ROOT).replace('_', '-').replace(' ', '-');
        n = n.replaceAll("-+", "-");
        for (String vendor : List.of("NVIDIA-", "TESLA-")) {
            if (n.startsWith(vendor)) {
                n = n.substring(vendor.length());
            }
        }
        return n;
    }

    private static GpuCatalog load() {
        Map<String, Gpu> byKey = new LinkedHashMap<>();
        Map<String, Gpu> byAlias = new LinkedHashMap<>();
        try (Reader in = new InputStreamReader(Objects.requireNonNull(
                GpuCatalog.class.getResourceAsStream("/methodology/gpu-specs.csv")), StandardCharsets.UTF_8)) {
            for (CSVRecord r : CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get().parse(in)) {
                Gpu gpu = new Gpu(r.get("key"), Double.parseDouble(r.get("tdp_watts")),
                        Double.parseDouble(r.get("memory_bandwidth_gb_per_s")),
                        Double.parseDouble(r.get("dense_bf16_tflops")), Double.parseDouble(r.get("memory_gb")),
                        Double.parseDouble(r.get("embodied_kgco2e")), Boolean.parseBoolean(r.get("calibrated")),
                        r.get("scaled_from").isBlank() ? null : r.get("scaled_from"), r.get("source"));
                byKey.put(gpu.key(), gpu);
                List<String> aliases = new ArrayList<>(List.of(r.get("aliases").split("\\|")));
                aliases.add(gpu.key());
                for (String alias : aliases) {
                    String a = alias.trim().toUpperCase(Locale.ROOT).replace(' ', '-');
                    Gpu previous = byAlias.put(a, gpu);
                    if (previous != null && previous != gpu) {
                        throw new IllegalStateException("GPU alias " + a + " is ambiguous");
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new GpuCatalog(Collections.unmodifiableMap(byKey), Collections.unmodifiableMap(byAlias));
    }
}
