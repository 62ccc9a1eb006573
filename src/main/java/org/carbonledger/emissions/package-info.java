/** Methodology: per-request energy estimate, grid emission factors, CO2e with provenance and range. */
package org.carbonledger.emissions;
