package org.carbonledger.billing;

import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.carbonledger.billing.Invoice.Status.*;

class InvoiceStatusTest {

    @Test
    void onlyTheListedMovesAreAllowed() {
        var allowed = java.util.Map.of(
                OPEN, EnumSet.of(FINALIZED, PAID, VOID),
                FINALIZED, EnumSet.of(PAID, PAYMENT_FAILED, VOID, UNCOLLECTIBLE),
                PAYMENT_FAILED, EnumSet.of(PAID, VOID, UNCOLLECTIBLE),
                UNCOLLECTIBLE, EnumSet.of(PAID, VOID),
                PAID, EnumSet.of(REFUNDED, DISPUTED),
                DISPUTED, EnumSet.of(PAID, CHARGED_BACK));
        for (Invoice.Status from : Invoice.Status.values()) {
            Set<Invoice.Status> expected = allowed.getOrDefault(from, EnumSet.noneOf(Invoice.Status.class));
            for (Invoice.Status to : Invoice.Status.values()) {
                assertThat(from.canMoveTo(to)).as(from + " -> " + to).isEqualTo(expected.contains(to));
            }
            assertThat(from.isTerminal()).as(from + " terminal").isEqualTo(expected.isEmpty());
        }
    }

    @Test
    void aRefusedMoveSaysFromWhereToWhere() {
        assertThatThrownBy(() -> REFUNDED.moveTo(PAID)).isInstanceOf(IllegalStateException.class)
                .hasMessage("an invoice in status REFUNDED cannot become PAID");
        assertThatThrownBy(PAID::pay).hasMessage("an invoice in status PAID cannot become PAID");
    }
}
