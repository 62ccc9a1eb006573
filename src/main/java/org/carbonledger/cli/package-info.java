/** The {@code carbonledger} command line: serve, demo, verify. */
package org.carbonledger.cli;
