/** The {@code carbonledger} command line: serve, demo, verify, fit-estimator, estimate. */
package org.carbonledger.cli;
