package org.carbonledger.shared;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * What an API key may do. Tenant keys carry any of {@code ingest}, {@code read} and {@code billing-admin};
 * operator keys carry {@code operator} (and only that).
 */
public enum Scope {
    /** Meter requests and register workloads. */
    INGEST("ingest"),
    /** Read the tenant's workloads, invoices, retirements, receipts and traces. */
    READ("read"),
    /** Close billing periods, record payments, and manage the tenant's API keys. */
    BILLING_ADMIN("billing-admin"),
    /** The platform's own staff: tenants, the offset inventory, the audit log, actuator. */
    OPERATOR("operator");

    public static final Set<Scope> TENANT_SCOPES = Set.copyOf(EnumSet.of(INGEST, READ, BILLING_ADMIN));

    private final String wire;

    Scope(String wire) {
        this.wire = wire;
    }

    /** The name on the wire and in the database ({@code billing-admin}). */
    public String wire() {
        return wire;
    }

    public static Optional<Scope> fromWire(String wire) {
        return Arrays.stream(values()).filter(s -> s.wire.equals(wire)).findFirst();
    }

    @Override
    public String toString() {
        return wire;
    }
}
