package org.carbonledger.shared.audit;

import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.UUID;
import org.carbonledger.shared.Caller;
import org.carbonledger.shared.CallerContext;
import org.carbonledger.shared.web.PageRequest;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;

/**
 * The audit log of administrative actions (tenant and key creation, key revocation and rotation, offset product and
 * lot creation, registry retirements recorded, procurements placed, Stripe Climate
 * products synced, period close, payment): who (the key's prefix and role, and its tenant), what, when and from where
 * (remote address). Append-only; operators read it through {@code GET /v1/audit-events}.
 */
@Component
public class AuditLog {

    /** The recorded actions. */
    public enum Action {
        TENANT_CREATED, API_KEY_CREATED, API_KEY_REVOKED, API_KEY_ROTATED, OFFSET_LOT_CREATED, OFFSET_PRODUCT_CREATED,
        OFFSET_RETIREMENT_RECORDED, OFFSET_PROCUREMENT_PLACED, OFFSET_PRODUCTS_SYNCED,
        BILLING_PERIOD_CLOSED, INVOICE_PAID
    }

    public record Event(UUID id, Instant occurredAt, String actorRole, String actorKeyPrefix, UUID actorTenantId,
            Action action, String targetType, String targetId, String remoteAddress) {
    }

    private final JdbcClient jdbc;
    private final Clock clock;
    private final CallerContext callers;

    AuditLog(JdbcClient jdbc, Clock clock, CallerContext callers) {
        this.jdbc = jdbc;
        this.clock = clock;
        this.callers = callers;
    }

    /** Records an action of the caller of the current request on a target. */
    public void record(Action action, String targetType, Object targetId) {
        Caller caller = callers.caller();
        var attributes = (ServletRequestAttributes) RequestContextHolder.getRequestAttributes();
        String remote = attributes == null ? null : attributes.getRequest().getRemoteAddr();
        jdbc.sql("""
                insert into audit_events (id, occurred_at, actor_role, actor_key_prefix, actor_tenant_id, action,
                                          target_type, target_id, remote_address)
                values (?, ?, ?, ?, ?, ?, ?, ?, ?)""")
                .params(UUID.randomUUID(), Timestamp.from(clock.instant()), caller.role().name(), caller.keyPrefix(),
                        caller.tenantId(), action.name(), targetType, String.valueOf(targetId), remote)
                .update();
    }

    /** Newest first. */
    public PageRequest.Page<Event> list(PageRequest page) {
        var before = page.descendingAfter();
        return page.page(jdbc.sql("""
                        select * from audit_events where (occurred_at, id) < (?, ?)
                         order by occurred_at desc, id desc limit ?""")
                .params(Timestamp.from(before.at()), before.id(), page.fetchSize())
                .query((rs, n) -> new Event(rs.getObject("id", UUID.class),
                        rs.getTimestamp("occurred_at").toInstant(), rs.getString("actor_role"),
                        rs.getString("actor_key_prefix"), rs.getObject("actor_tenant_id", UUID.class),
                        Action.valueOf(rs.getString("action")), rs.getString("target_type"),
                        rs.getString("target_id"), rs.getString("remote_address")))
                .list(), e -> new PageRequest.Cursor(e.occurredAt(), e.id()));
    }
}
