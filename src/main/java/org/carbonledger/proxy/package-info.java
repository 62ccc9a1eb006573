/**
 * The metering proxy: forwards OpenAI-compatible calls to configured upstreams unchanged, streams responses through,
 * and meters each call as an inference request through the telemetry ingest, spooling to disk when storage fails.
 */
package org.carbonledger.proxy;
