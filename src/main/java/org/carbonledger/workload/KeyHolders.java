package org.carbonledger.workload;

import java.util.Optional;
import org.carbonledger.shared.Caller;
import org.carbonledger.shared.Sha256;
import org.carbonledger.workload.internal.ApiKeys;
import org.springframework.stereotype.Service;

/**
 * Who holds an API key, for callers that authenticate keys outside the {@code /v1} filter chain (the metering
 * proxy). Keys are looked up by their SHA-256 hash, the form in which they are stored.
 */
@Service
public class KeyHolders {

    private final ApiKeys apiKeys;

    KeyHolders(ApiKeys apiKeys) {
        this.apiKeys = apiKeys;
    }

    /** The SHA-256 of a key: what may be kept instead of the key itself. */
    public static byte[] hash(String key) {
        return Sha256.digest(key);
    }

    /** The holder of a valid (neither revoked nor expired) key with this hash. */
    public Optional<Caller> byHash(byte[] keyHash) {
        return apiKeys.resolveHash(keyHash);
    }
}
