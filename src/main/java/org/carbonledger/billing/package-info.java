/** Pricing, billing periods, invoices with carbon lines, and payments (offline mode). Publishes InvoicePaid. */
package org.carbonledger.billing;
