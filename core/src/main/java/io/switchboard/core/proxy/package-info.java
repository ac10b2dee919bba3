/**
 * Proxies to the backend: the SPI through which the command handler asks the backend before a client joins a
 * room or publishes, and hands it a client's {@code rpc}. The server implements it over HTTP behind a guard.
 */
package io.switchboard.core.proxy;
