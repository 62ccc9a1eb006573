package org.carbonledger.receipts.internal;

import java.sql.Timestamp;
import java.time.Clock;
import org.carbonledger.offsets.OffsetsReversed;
import org.springframework.context.event.EventListener;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/** Revokes the receipt of an invoice whose offsets were released after its payment was reversed. */
@Component
class ReceiptRevocation {

    private final JdbcClient jdbc;
    private final Clock clock;

    ReceiptRevocation(JdbcClient jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    @EventListener
    void on(OffsetsReversed reversed) {
        jdbc.sql("""
                update receipts set revoked_at = ?, revocation_reason = ?
                 where invoice_id = ? and tenant_id = ? and revoked_at is null""")
                .params(Timestamp.from(clock.instant()), reversed.reason() + ": " + reversed.co2eGramsReleased()
                        .stripTrailingZeros().toPlainString() + " g CO2e released", reversed.invoiceId(),
                        reversed.tenantId())
                .update();
    }
}
