/**
 * The metrics SPI: {@link io.switchboard.core.metrics.HubMetrics}, called by the hub at the points where
 * connections open and close, messages arrive and leave, and commands are processed. Core names no
 * metrics library; the server implements it with Micrometer.
 */
package io.switchboard.core.metrics;
