package org.carbonledger.proxy;

import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.carbonledger.shared.Caller;
import org.carbonledger.shared.Scope;
import org.carbonledger.workload.KeyHolders;

/**
 * Resolves proxy keys (carbonledger keys with scope {@code ingest}) to tenants, cached for {@code ttl} so that calls
 * do not wait on storage. When storage cannot be asked, a cached answer is used however old; a key never seen
 * before is let through and metered by its hash, which is resolved when the record is stored.
 */
final class ProxyKeys {

    /** The outcome for one key: a tenant, a hash to resolve later, invalid or lacking the scope. */
    record Holder(UUID tenantId, String keyHash, boolean invalid, boolean forbidden) {
    }

    private record Cached(Holder holder, long expiresAtNanos) {
    }

    interface Lookup {
        Optional<Caller> byHash(byte[] hash);
    }

    private final Lookup lookup;
    private final long ttlNanos;
    private final ConcurrentHashMap<String, Cached> cache = new ConcurrentHashMap<>();

    ProxyKeys(Lookup lookup, Duration ttl) {
        this.lookup = lookup;
        this.ttlNanos = ttl.toNanos();
    }

    /** The cached outcome for a key while it is fresh, else null (then {@link #resolve} may ask storage). */
    Holder cached(String key) {
        Cached cached = cache.get(ProxyServer.hex(KeyHolders.hash(key)));
        return cached != null && System.nanoTime() - cached.expiresAtNanos() < 0 ? cached.holder() : null;
    }

    /** The outcome for a key; may ask storage (blocking) when the cache has no fresh answer. */
    Holder resolve(String key) {
        byte[] hash = KeyHolders.hash(key);
        String hex = ProxyServer.hex(hash);
        Cached cached = cache.get(hex);
        long now = System.nanoTime();
        if (cached != null && now - cached.expiresAtNanos() < 0) {
            return cached.holder();
        }
        Optional<Caller> caller;
        try {
            caller = lookup.byHash(hash);
        } catch (RuntimeException storageDown) {
            return cached != null ? cached.holder() : new Holder(null, hex, false, false);
        }
        Holder holder = caller.isEmpty() || caller.get().tenant().isEmpty() ? new Holder(null, hex, true, false)
                : !caller.get().has(Scope.INGEST) ? new Holder(caller.get().tenantId(), hex, false, true)
                : new Holder(caller.get().tenantId(), hex, false, false);
        cache.put(hex, new Cached(holder, now + ttlNanos));
        return holder;
    }
}
