/**
 * Lifecycle hooks: the SPI through which the hub tells the backend that connections came and went, joined
 * and left rooms, and that rooms became occupied or vacated. The server's webhook sender implements it.
 */
package io.switchboard.core.hooks;
