package org.carbonledger.workload.internal;

import org.carbonledger.shared.Sha256;
import java.security.SecureRandom;
import java.sql.Array;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.carbonledger.shared.Caller;
import org.carbonledger.shared.Scope;
import org.carbonledger.shared.web.ApiProblem;
import org.carbonledger.shared.web.PageRequest;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/**
 * API keys: {@code clk_<prefix>_<secret>}, shown once, stored as a SHA-256 hash (keys carry 160 random bits, so a
 * fast hash is enough), identified by their prefix, scoped, revocable and rotatable with a grace period during
 * which the old and the new key both work.
 */
@Component
public class ApiKeys {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final char[] ALPHABET = "abcdefghijkmnopqrstuvwxyz23456789".toCharArray();
    /** {@code last_used_at} is written at most this often per key, not on every request. */
    private static final Duration LAST_USED_RESOLUTION = Duration.ofMinutes(1);

    private final JdbcClient jdbc;
    private final Clock clock;
    private final Duration rotationGrace;

    ApiKeys(JdbcClient jdbc, Clock clock,
            @Value("${carbonledger.api-keys.rotation-grace:PT24H}") Duration rotationGrace) {
        this.jdbc = jdbc;
        this.clock = clock;
        this.rotationGrace = rotationGrace;
    }

    /** A tenant key as listed: never the secret. */
    public record KeyInfo(UUID id, String prefix, List<String> scopes, Instant createdAt, Instant lastUsedAt,
            Instant expiresAt, Instant revokedAt) {
    }

    /** A newly issued key: the plain key appears here once. */
    public record Issued(KeyInfo info, String apiKey) {
    }

    /** The first key of a new tenant: all tenant scopes. */
    public String issueTenantKey(UUID tenantId) {
        return issue(tenantId, Scope.TENANT_SCOPES).apiKey();
    }

    public Issued issue(UUID tenantId, Set<Scope> scopes) {
        if (scopes.isEmpty() || !Scope.TENANT_SCOPES.containsAll(scopes)) {
            throw ApiProblem.invalid("scopes", "one or more of ingest, read, billing-admin");
        }
        String prefix = random(8);
        String key = "clk_" + prefix + "_" + random(32);
        UUID id = UUID.randomUUID();
        insert(id, tenantId, Caller.Role.TENANT, prefix, key, scopes);
        return new Issued(get(tenantId, id), key);
    }

    /** Registers a configured operator key once (idempotent across restarts). */
    public void ensureOperatorKey(String key) {
        if (resolve(key).isPresent()) {
            return;
        }
        insert(UUID.randomUUID(), null, Caller.Role.OPERATOR,
                "op-" + HexFormat.of().formatHex(sha256(key)).substring(0, 8), key, Set.of(Scope.OPERATOR));
    }

    public Optional<Caller> resolve(String key) {
        return resolveHash(sha256(key));
    }

    /** As {@link #resolve(String)} for a key known only by its SHA-256 hash (the form keys are stored in). */
    public Optional<Caller> resolveHash(byte[] secretHash) {
        Instant now = clock.instant();
        var caller = jdbc.sql("""
                select id, role, tenant_id, prefix, scopes, last_used_at from api_keys
                 where secret_hash = ? and revoked_at is null and (expires_at is null or expires_at > ?)""")
                .params(secretHash, Timestamp.from(now))
                .query((rs, n) -> {
                    Timestamp lastUsed = rs.getTimestamp("last_used_at");
                    UUID id = rs.getObject("id", UUID.class);
                    if (lastUsed == null || lastUsed.toInstant().isBefore(now.minus(LAST_USED_RESOLUTION))) {
                        touch(id, now);
                    }
                    return new Caller(Caller.Role.valueOf(rs.getString("role")),
                            rs.getObject("tenant_id", UUID.class), id, rs.getString("prefix"), scopes(rs));
                })
                .optional();
        return caller;
    }

    public PageRequest.Page<KeyInfo> list(UUID tenantId, PageRequest page) {
        var after = page.ascendingAfter();
        return page.page(jdbc.sql("select * from api_keys where tenant_id = ? and (created_at, id) > (?, ?) "
                        + "order by created_at, id limit ?")
                .params(tenantId, Timestamp.from(after.at()), after.id(), page.fetchSize())
                .query(ApiKeys::info).list(), k -> new PageRequest.Cursor(k.createdAt(), k.id()));
    }

    public KeyInfo get(UUID tenantId, UUID id) {
        return jdbc.sql("select * from api_keys where tenant_id = ? and id = ?").params(tenantId, id)
                .query(ApiKeys::info).optional().orElseThrow(() -> ApiProblem.notFound("API key", id));
    }

    /** Revokes a key at once; revoking a revoked key changes nothing. */
    public KeyInfo revoke(UUID tenantId, UUID id) {
        jdbc.sql("update api_keys set revoked_at = ? where tenant_id = ? and id = ? and revoked_at is null")
                .params(Timestamp.from(clock.instant()), tenantId, id).update();
        return get(tenantId, id);
    }

    /** A new key with the same scopes; the old one keeps working for the grace period, then expires. */
    @Transactional
    public Issued rotate(UUID tenantId, UUID id) {
        KeyInfo old = get(tenantId, id);
        Instant now = clock.instant();
        if (old.revokedAt() != null || old.expiresAt() != null) {
            throw new ApiProblem(HttpStatus.CONFLICT, "Conflict", "API key " + id
                    + (old.revokedAt() != null ? " is revoked" : " was rotated already") + "; rotate the current key",
                    null);
        }
        int updated = jdbc.sql("update api_keys set expires_at = ? where id = ? and expires_at is null "
                        + "and revoked_at is null")
                .params(Timestamp.from(now.plus(rotationGrace)), id).update();
        if (updated != 1) {
            throw ApiProblem.conflict("API key " + id + " was rotated or revoked meanwhile");
        }
        Set<Scope> scopes = EnumSet.noneOf(Scope.class);
        old.scopes().forEach(s -> scopes.add(Scope.fromWire(s).orElseThrow()));
        return issue(tenantId, scopes);
    }

    public Duration rotationGrace() {
        return rotationGrace;
    }

    private void touch(UUID id, Instant now) {
        jdbc.sql("update api_keys set last_used_at = ? where id = ?").params(Timestamp.from(now), id).update();
    }

    private void insert(UUID id, UUID tenantId, Caller.Role role, String prefix, String key, Set<Scope> scopes) {
        String[] wire = scopes.stream().sorted().map(Scope::wire).toArray(String[]::new);
        jdbc.sql("insert into api_keys (id, tenant_id, role, prefix, secret_hash, created_at, scopes) "
                        + "values (?, ?, ?, ?, ?, ?, ?::text[])")
                .params(id, tenantId, role.name(), prefix, sha256(key), Timestamp.from(clock.instant()),
                        "{" + String.join(",", wire) + "}")
                .update();
    }

    private static Set<Scope> scopes(ResultSet rs) throws SQLException {
        Array array = rs.getArray("scopes");
        Set<Scope> scopes = EnumSet.noneOf(Scope.class);
        for (Object s : (Object[]) array.getArray()) {
            scopes.add(Scope.fromWire((String) s).orElseThrow());
        }
        return scopes;
    }

    private static KeyInfo info(ResultSet rs, int n) throws SQLException {
        return new KeyInfo(rs.getObject("id", UUID.class), rs.getString("prefix"),
                scopes(rs).stream().sorted().map(Scope::wire).toList(), instant(rs, "created_at"),
                instant(rs, "last_used_at"), instant(rs, "expires_at"), instant(rs, "revoked_at"));
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        Timestamp t = rs.getTimestamp(column);
        return t == null ? null : t.toInstant();
    }

    private static String random(int length) {
        char[] out = new char[length];
        for (int i = 0; i < length; i++) {
            out[i] = ALPHABET[RANDOM.nextInt(ALPHABET.length)];
        }
        return new String(out);
    }

    static byte[] sha256(String key) {
        return Sha256.digest(key);
    }
}
