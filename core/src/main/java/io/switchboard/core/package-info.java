/**
 * Switchboard's core, independent of any transport. The packages, from the top down (arrows only run down;
 * {@code PackageRulesTest} holds them to it):
 * <ul>
 *   <li>{@code command}: one client command in, replies out;</li>
 *   <li>{@code hub}: the {@code Hub} facade and its package-private engine (rooms, joins, sequencing, fan-out);</li>
 *   <li>{@code broker}, {@code history}, {@code presence}: the cluster SPIs with their in-memory implementations;
 *       {@code guard}: deadlines and circuit breaking around their calls;</li>
 *   <li>{@code auth}, {@code limit}, {@code metrics}, {@code config}: services the hub and the server share;</li>
 *   <li>{@code transport}: the SPI every transport implements ({@code Session}, frames);</li>
 *   <li>{@code internal}: small utilities.</li>
 * </ul>
 * The root package holds the types every layer names: {@link io.switchboard.core.HubException},
 * {@link io.switchboard.core.DisconnectReason} and {@link io.switchboard.core.TimeSource}.
 */
package io.switchboard.core;
