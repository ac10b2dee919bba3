/**
 * Which nodes form the cluster: the {@link io.switchboard.core.cluster.NodeRegistry} SPI, its single-node default
 * ({@link io.switchboard.core.cluster.LocalNodeRegistry}) and the heartbeat registry over a broker
 * ({@link io.switchboard.core.cluster.BrokerNodeRegistry}) that clustered nodes use over Redis or NATS.
 */
package io.switchboard.core.cluster;
