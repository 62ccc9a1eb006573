package org.carbonledger.support;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import static org.assertj.core.api.Assertions.assertThat;

/** The log scanner finds what it is meant to find (the suite-wide check itself runs after every test class). */
class LogSecretsTest {

    @Test
    void capturesLogEventsIncludingExceptionMessages() {
        LogSecrets.install();
        LogSecrets.drain();
        // a level of its own: other tests (the CLI) raise the root level
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("probe")).setLevel(ch.qos.logback.classic.Level.INFO);
        LoggerFactory.getLogger("probe").warn("probe {}", "message", new IllegalStateException("cause text"));
        List<String> lines = LogSecrets.drain();
        assertThat(lines).anySatisfy(l -> assertThat(l).contains("probe message").contains("cause text"));
    }

    @Test
    void findsApiKeysAuthorizationValuesAndLiteralSecrets() {
        String key = "clk_abcdefgh_" + "a2345678".repeat(4);
        assertThat(LogSecrets.findSecrets(List.of("request with " + key), Set.of())).hasSize(1);
        assertThat(LogSecrets.findSecrets(List.of("header Authorization: Bearer abc.def-123456"), Set.of()))
                .hasSize(1);
        assertThat(LogSecrets.findSecrets(List.of("authorization=Basic dXNlcjpwYXNzd29yZA=="), Set.of())).hasSize(1);
        assertThat(LogSecrets.findSecrets(List.of("keystore opened with s3cr3t-pw-value"), Set.of("s3cr3t-pw-value")))
                .hasSize(1);
        assertThat(LogSecrets.findSecrets(List.of("Operator key from CARBONLEDGER_ADMIN_KEY is registered",
                "API key clk_abcdefgh (prefix) revoked", "missing API key: send Authorization: Bearer <key>"),
                LogSecrets.knownSecrets())).isEmpty();
    }
}
