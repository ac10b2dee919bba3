/**
 * Java client for Switchboard protocol v1: {@link io.switchboard.client.SwitchboardClient} (created
 * by {@link io.switchboard.client.SwitchboardClients#create} from a
 * {@link io.switchboard.client.ClientConfig} and a {@link io.switchboard.client.ClientListener}),
 * {@link io.switchboard.client.SwitchboardClientPool}
 * for several connections over several nodes, and the immutable records the server's messages
 * are delivered as.
 *
 * <p>What the client guarantees, in one place: requests complete with the server's reply or fail
 * with a named {@link io.switchboard.client.SwitchboardClientException}; dropped connections are
 * retried with full-jitter backoff as the close-code table allows; room messages reach the
 * application exactly once per offset and in order across reconnects, or
 * {@link io.switchboard.client.RoomListener#onRecoveryFailed} says they may not have; callbacks
 * never run on a Netty event loop unless the configured executor runs inline.
 *
 * <p>{@code io.switchboard.client.internal} is the Netty implementation; nothing in it is API.
 */
package io.switchboard.client;
