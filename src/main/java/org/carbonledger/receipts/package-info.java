/** Signed receipts (PDF/A-3 with the JSON manifest attached, PAdES), their verification, and the trace of a request. */
package org.carbonledger.receipts;
