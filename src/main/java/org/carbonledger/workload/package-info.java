/** Tenants, their API keys, and workloads (a model served on given hardware in a region). */
package org.carbonledger.workload;
