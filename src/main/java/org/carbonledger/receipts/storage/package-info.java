/**
 * Where issued receipt PDFs are kept besides the database: a small port ({@link ReceiptStore}) with a filesystem
 * adapter (default, under the data directory) and an S3 adapter (AWS SDK v2; any S3-compatible endpoint).
 */
package org.carbonledger.receipts.storage;
