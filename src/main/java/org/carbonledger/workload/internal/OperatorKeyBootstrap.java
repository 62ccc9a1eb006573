package org.carbonledger.workload.internal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.beans.factory.InitializingBean;
import org.springframework.stereotype.Component;

/** Registers {@code CARBONLEDGER_ADMIN_KEY}, when set, as an operator key, before the API serves requests. */
@Component
class OperatorKeyBootstrap implements InitializingBean {

    private static final Logger log = LoggerFactory.getLogger(OperatorKeyBootstrap.class);

    private final ApiKeys apiKeys;
    private final String adminKey;

    OperatorKeyBootstrap(ApiKeys apiKeys, @Value("${carbonledger.admin-key:}") String adminKey) {
        this.apiKeys = apiKeys;
        this.adminKey = adminKey;
    }

    @Override
    public void afterPropertiesSet() {
        if (adminKey.isBlank()) {
            log.info("No CARBONLEDGER_ADMIN_KEY set: no operator key registered at this start");
            return;
        }
        if (adminKey.length() < 16) {
            throw new IllegalStateException("CARBONLEDGER_ADMIN_KEY must be at least 16 characters long");
        }
        apiKeys.ensureOperatorKey(adminKey);
        log.info("Operator key from CARBONLEDGER_ADMIN_KEY is registered");
    }
}
