package org.carbonledger.workload.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.springframework.core.io.ClassPathResource;
import org.springframework.stereotype.Component;

/** Parameter counts of well-known models ({@code model-profiles.csv}, with sources), matched case-insensitively. */
@Component
public class ModelProfiles {

    private final Map<String, BigDecimal> paramsBillion = new HashMap<>();

    public ModelProfiles() {
        try (var in = new BufferedReader(new InputStreamReader(
                new ClassPathResource("model-profiles.csv").getInputStream(), StandardCharsets.UTF_8))) {
            in.lines().skip(1).map(line -> line.split(",", 3)).forEach(cols -> {
                paramsBillion.put(key(cols[0]), new BigDecimal(cols[1]));
                int slash = cols[0].indexOf('/');
                if (slash > 0) {
                    paramsBillion.putIfAbsent(key(cols[0].substring(slash + 1)), new BigDecimal(cols[1]));
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Optional<BigDecimal> paramsBillion(String model) {
        return Optional.ofNullable(paramsBillion.get(key(model)));
    }

    private static String key(String model) {
        return model.trim().toLowerCase(Locale.ROOT);
    }
}
