/**
 * The transparency log's mathematics, usable without Spring or a database: RFC 9162 Merkle tree hashing, inclusion
 * and consistency proofs and their verification, signed checkpoints. {@code carbonledger verify} uses it offline.
 */
@org.springframework.modulith.NamedInterface("log")
package org.carbonledger.receipts.log;
