/** Stripe Climate as an offset provider: the product catalog sync, orders, and the order lifecycle webhooks. */
package org.carbonledger.offsets.stripe;
