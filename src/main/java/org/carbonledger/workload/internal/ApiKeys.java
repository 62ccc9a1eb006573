package org.carbonledger.workload.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.HexFormat;
import java.util.Optional;
import java.util.UUID;
import org.carbonledger.shared.Caller;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * API keys: {@code clk_<prefix>_<secret>}, shown once, stored as a SHA-256 hash (keys carry 160 random bits, so a
 * fast hash is enough), identified by their prefix.
 */
@Component
public class ApiKeys {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final char[] ALPHABET = "abcdefghijkmnopqrstuvwxyz23456789".toCharArray();

    private final JdbcClient jdbc;
    private final Clock clock;

    ApiKeys(JdbcClient jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    public String issueTenantKey(UUID tenantId) {
        String prefix = random(8);
        String key = "clk_" + prefix + "_" + random(32);
        insert(tenantId, Caller.Role.TENANT, prefix, key);
        return key;
    }

    /** Registers a configured operator key once (idempotent across restarts). */
    public void ensureOperatorKey(String key) {
        if (resolve(key).isPresent()) {
            return;
        }
        insert(null, Caller.Role.OPERATOR, "op-" + HexFormat.of().formatHex(sha256(key)).substring(0, 8), key);
    }

    public Optional<Caller> resolve(String key) {
        return jdbc.sql("select role, tenant_id, prefix from api_keys where secret_hash = ? and revoked_at is null")
                .param(sha256(key))
                .query((rs, n) -> new Caller(Caller.Role.valueOf(rs.getString("role")),
                        rs.getObject("tenant_id", UUID.class), rs.getString("prefix")))
                .optional();
    }

    private void insert(UUID tenantId, Caller.Role role, String prefix, String key) {
        jdbc.sql("insert into api_keys (id, tenant_id, role, prefix, secret_hash, created_at) values (?, ?, ?, ?, ?, ?)")
                .params(UUID.randomUUID(), tenantId, role.name(), prefix, sha256(key), Timestamp.from(clock.instant()))
                .update();
    }

    private static String random(int length) {
        char[] out = new char[length];
        for (int i = 0; i < length; i++) {
            out[i] = ALPHABET[RANDOM.nextInt(ALPHABET.length)];
        }
        return new String(out);
    }

    static byte[] sha256(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
