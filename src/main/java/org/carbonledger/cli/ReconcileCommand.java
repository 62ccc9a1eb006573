package org.carbonledger.cli;

import java.io.PrintStream;
import java.util.concurrent.Callable;
import org.carbonledger.billing.stripe.StripeReconciler;
import org.springframework.context.ConfigurableApplicationContext;
import picocli.CommandLine.Command;

/**
 * One reconciliation run against Stripe with the platform's configuration (database, {@code carbonledger.stripe.*}),
 * printing what changed. Exit 0 when every invoice could be checked, 1 when some could not, 2 without Stripe.
 */
@Command(name = "reconcile", mixinStandardHelpOptions = true,
        description = "Compare local invoice states with Stripe, repair what differs, and report the changes.")
class ReconcileCommand implements Callable<Integer> {

    @picocli.CommandLine.Unmatched
    String[] springArgs = new String[0];

    PrintStream out = System.out;

    @Override
    public Integer call() {
        String[] args = new String[springArgs.length + 3];
        System.arraycopy(springArgs, 0, args, 0, springArgs.length);
        args[springArgs.length] = "--server.port=0";
        args[springArgs.length + 1] = "--carbonledger.stripe.scheduling=false";
        args[springArgs.length + 2] = "--logging.level.root=WARN";
        try (ConfigurableApplicationContext context = Launcher.start(args)) {
            return print(context.getBean(StripeReconciler.class).reconcile(), out);
        }
    }

    static int print(StripeReconciler.ReconciliationReport report, PrintStream out) {
        if (!report.stripeConfigured()) {
            out.println("Stripe is not configured (carbonledger.stripe.api-key): nothing to reconcile");
            return 2;
        }
        out.println("checked " + report.invoicesChecked() + " invoices; " + report.changes().size() + " changed");
        report.changes().forEach(c -> out.println("  " + c.invoiceNumber() + ": " + c.from() + " -> " + c.to()
                + " (" + c.reason() + ")"));
        report.errors().forEach(e -> out.println("  not checked: " + e));
        return report.errors().isEmpty() ? 0 : 1;
    }
}
