package org.carbonledger.telemetry.kafka;

import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.SaslConfigs;

/**
 * {@code carbonledger.ingest.kafka.auth}: how every Kafka client of the transport (admin, producer, consumer)
 * authenticates to the brokers. Unset: whatever {@code spring.kafka.*} says (plaintext by default). {@code msk-iam}:
 * SASL/IAM over TLS to Amazon MSK (port 9098) with the AWS default credentials chain, e.g. the ECS task role.
 */
enum KafkaAuthentication {

    NONE(""),
    MSK_IAM("msk-iam");

    private final String setting;

    KafkaAuthentication(String setting) {
        this.setting = setting;
    }

    static KafkaAuthentication of(String setting) {
        if (setting == null || setting.isBlank()) {
            return NONE;
        }
        for (KafkaAuthentication authentication : values()) {
            if (authentication.setting.equals(setting.trim())) {
                return authentication;
            }
        }
        throw new IllegalArgumentException(
                "carbonledger.ingest.kafka.auth must be unset or msk-iam, not '" + setting + "'");
    }

    /** The client properties this authentication adds to every Kafka client's configuration. */
    Map<String, Object> clientProperties() {
        return switch (this) {
            case NONE -> Map.of();
            case MSK_IAM -> Map.of(
                    CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_SSL",
                    SaslConfigs.SASL_MECHANISM, "AWS_MSK_IAM",
                    SaslConfigs.SASL_JAAS_CONFIG, "software.amazon.msk.auth.iam.IAMLoginModule required;",
                    SaslConfigs.SASL_CLIENT_CALLBACK_HANDLER_CLASS,
                    "software.amazon.msk.auth.iam.IAMClientCallbackHandler");
        };
    }
}
