package org.carbonledger.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import org.carbonledger.billing.Invoice;
import org.carbonledger.billing.stripe.StripeReconciler;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ReconcileCommandTest {

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    private String printed() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void reportsEachChangeAndExits0WhenEverythingWasChecked() {
        var change = new StripeReconciler.ReconciliationChange(UUID.randomUUID(), "INV-2026-09-000007",
                Invoice.Status.FINALIZED, Invoice.Status.PAID, "Stripe invoice in_1 is paid");
        int exit = ReconcileCommand.print(new StripeReconciler.ReconciliationReport(true, 3, List.of(change),
                List.of()), out);
        assertThat(exit).isZero();
        assertThat(printed()).isEqualTo("checked 3 invoices; 1 changed\n"
                + "  INV-2026-09-000007: FINALIZED -> PAID (Stripe invoice in_1 is paid)\n");
    }

    @Test
    void exits1WhenSomeInvoiceCouldNotBeChecked() {
        int exit = ReconcileCommand.print(new StripeReconciler.ReconciliationReport(true, 1, List.of(),
                List.of("INV-2026-09-000008: connection refused")), out);
        assertThat(exit).isEqualTo(1);
        assertThat(printed()).contains("  not checked: INV-2026-09-000008: connection refused");
    }

    @Test
    void exits2WithoutStripe() {
        assertThat(ReconcileCommand.print(new StripeReconciler.ReconciliationReport(false, 0, List.of(), List.of()),
                out)).isEqualTo(2);
        assertThat(printed()).startsWith("Stripe is not configured");
    }
}
