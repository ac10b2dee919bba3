/**
 * Helpers shared by Switchboard's own modules (server, client, adapters, CLI, bench) that are not part
 * of the wire contract: one backoff formula, one epoll/NIO transport selection, one edit distance for
 * "did you mean" suggestions, one unwrapping of the failures that asynchronous stages hand on. They live
 * here because {@code protocol} is the one module every other module reaches (the client does not depend
 * on core).
 *
 * <p>Not an API: nothing here is promised to users of the client or of the protocol records, and it may
 * change with any release. The Netty dependency that {@link io.switchboard.protocol.internal.Transport}
 * needs is {@code optional} in this module, so it reaches only the modules that already use Netty
 * themselves; core stays free of Netty.
 */
package io.switchboard.protocol.internal;
