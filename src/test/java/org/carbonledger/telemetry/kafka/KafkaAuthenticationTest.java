package org.carbonledger.telemetry.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.apache.kafka.common.security.auth.AuthenticateCallbackHandler;
import org.junit.jupiter.api.Test;

class KafkaAuthenticationTest {

    static KafkaIngestSettings settings(String auth) {
        return new KafkaIngestSettings(null, 0, (short) 0, null, "test", 0, 0, 0, auth);
    }

    @Test
    void mskIamMakesEveryClientUseSaslIamOverTls() {
        assertThat(settings("msk-iam").authentication().clientProperties()).containsExactlyInAnyOrderEntriesOf(Map.of(
                "security.protocol", "SASL_SSL",
                "sasl.mechanism", "AWS_MSK_IAM",
                "sasl.jaas.config", "software.amazon.msk.auth.iam.IAMLoginModule required;",
                "sasl.client.callback.handler.class", "software.amazon.msk.auth.iam.IAMClientCallbackHandler"));
    }

    @Test
    void withoutTheSettingNoAuthenticationPropertyIsSet() {
        assertThat(settings(null).authentication().clientProperties()).isEmpty();
        assertThat(settings("").authentication().clientProperties()).isEmpty();
    }

    @Test
    void theNamedLoginModuleAndCallbackHandlerAreOnTheClasspath() throws Exception {
        assertThat(Class.forName("software.amazon.msk.auth.iam.IAMLoginModule"))
                .isAssignableTo(javax.security.auth.spi.LoginModule.class);
        assertThat(Class.forName("software.amazon.msk.auth.iam.IAMClientCallbackHandler"))
                .isAssignableTo(AuthenticateCallbackHandler.class);
    }

    @Test
    void anUnknownAuthenticationIsRefusedAtStartup() {
        assertThatThrownBy(() -> settings("scram"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("carbonledger.ingest.kafka.auth must be unset or msk-iam, not 'scram'");
    }
}
