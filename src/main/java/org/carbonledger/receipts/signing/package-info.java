/** Receipt signing and offline verification (PAdES, DSS); used without Spring by {@code carbonledger verify}. */
@org.springframework.modulith.NamedInterface("signing")
package org.carbonledger.receipts.signing;
