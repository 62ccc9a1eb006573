/** Ingest of metered inference requests: validation, exactly-once storage per (tenant, requestId), RequestsMetered. */
package org.carbonledger.telemetry;
