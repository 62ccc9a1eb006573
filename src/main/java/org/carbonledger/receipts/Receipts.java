package org.carbonledger.receipts;

import org.carbonledger.shared.web.PageRequest;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;

/** Reads a tenant's receipts. */
@Service
public class Receipts {

    private final JdbcClient jdbc;

    Receipts(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** A page of the tenant's receipts, newest first. */
    public PageRequest.Page<Receipt> list(UUID tenantId, PageRequest page) {
        var before = page.descendingAfter();
        return page.page(jdbc.sql("select id, tenant_id, invoice_id, number, pdf_sha256, issued_at, revoked_at, "
                        + "revocation_reason from receipts "
                        + "where tenant_id = ? and (issued_at, id) < (?, ?) order by issued_at desc, id desc limit ?")
                .params(tenantId, java.sql.Timestamp.from(before.at()), before.id(), page.fetchSize())
                .query(Receipts::map).list(), r -> new PageRequest.Cursor(r.issuedAt(), r.id()));
    }

    public Optional<Receipt> find(UUID tenantId, UUID id) {
        return jdbc.sql("select id, tenant_id, invoice_id, number, pdf_sha256, issued_at, revoked_at, "
                + "revocation_reason from receipts "
                + "where tenant_id = ? and id = ?").params(tenantId, id).query(Receipts::map).optional();
    }

    public Optional<byte[]> pdf(UUID tenantId, UUID id) {
        return jdbc.sql("select pdf from receipts where tenant_id = ? and id = ?").params(tenantId, id)
                .query((rs, n) -> rs.getBytes(1)).optional();
    }

    /** The receipt with exactly these bytes, if we issued it. */
    public Optional<Receipt> bySha256(String sha256) {
        return jdbc.sql("select id, tenant_id, invoice_id, number, pdf_sha256, issued_at, revoked_at, "
                + "revocation_reason from receipts "
                + "where pdf_sha256 = ?").param(sha256).query(Receipts::map).optional();
    }

    private static Receipt map(ResultSet rs, int n) throws SQLException {
        return new Receipt(rs.getObject("id", UUID.class), rs.getObject("tenant_id", UUID.class),
                rs.getObject("invoice_id", UUID.class), rs.getString("number"), rs.getString("pdf_sha256"),
                rs.getTimestamp("issued_at").toInstant(),
                rs.getTimestamp("revoked_at") == null ? null : rs.getTimestamp("revoked_at").toInstant(),
                rs.getString("revocation_reason"));
    }
}
