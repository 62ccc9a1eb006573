/** Offset inventory (lots with serial ranges), retirements by serial, and the gram-exact allocation ledger. */
package org.carbonledger.offsets;
