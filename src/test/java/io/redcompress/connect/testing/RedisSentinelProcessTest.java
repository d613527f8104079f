package io.redcompress.connect.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;

/**
 * {@link RedisSentinelProcess} with Lettuce connecting through the sentinels, as the connector will.
 * Run with {@code -Dredis.server.binary=bundled} to check the Redis 6.2 binary bundled in embedded-redis.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RedisSentinelProcessTest {

    private static ClientResources resources;

    @BeforeAll
    static void resources() {
        resources = DefaultClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(2).build();
    }

    @AfterAll
    static void shutdown() {
        resources.shutdown(0, 2, TimeUnit.SECONDS);
    }

    @Test
    void lettuceFollowsTheMasterThroughAFailover() {
        try (RedisSentinelProcess sentinel = RedisSentinelProcess.builder().password("s3cret").start()) {
            RedisServerProcess initialMaster = sentinel.dataNodes().get(0);
            assertThat(sentinel.masterName()).isEqualTo("mymaster");
            assertThat(sentinel.currentMaster())
                    .isEqualTo(new RedisSentinelProcess.Address("127.0.0.1", initialMaster.port()));
            assertThat(sentinel.sentinelUri()).matches(
                    "redis-sentinel://127\\.0\\.0\\.1:\\d+,127\\.0\\.0\\.1:\\d+,127\\.0\\.0\\.1:\\d+#mymaster");

            RedisURI uri = RedisURI.create(sentinel.sentinelUri());
            assertThat(uri.getSentinelMasterId()).isEqualTo("mymaster");
            assertThat(uri.getSentinels()).extracting(RedisURI::getPort)
                    .containsExactlyElementsOf(sentinel.sentinelAddresses().stream()
                            .map(RedisSentinelProcess.Address::port).toList());
            uri.setAuthentication(sentinel.password()); // the data nodes'; Lettuce sends the sentinels none
            uri.setTimeout(Duration.ofSeconds(10));

            RedisClient client = RedisClient.create(resources, uri);
            try (StatefulRedisConnection<String, String> connection = client.connect()) {
                RedisCommands<String, String> redis = connection.sync();
                redis.set("before", "1");
                assertThat(redis.info("server")).contains("tcp_port:" + initialMaster.port());

                RedisSentinelProcess.Address promoted = sentinel.failover();

                assertThat(promoted.port()).isNotEqualTo(initialMaster.port());
                assertThat(sentinel.currentMaster()).isEqualTo(promoted);
                // the old master was reconfigured, which closed our connection; Lettuce asked the sentinels again
                redis.set("after", "2");
                assertThat(redis.info("server")).contains("tcp_port:" + promoted.port());
            } finally {
                client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            }
            try (RespClient master = sentinel.masterClient()) {
                assertThat(master.port()).isEqualTo(sentinel.currentMaster().port());
                assertThat(master.getString("before")).isEqualTo("1");
                assertThat(master.getString("after")).isEqualTo("2");
            }
            try (RespClient oldMaster = initialMaster.client()) {
                assertThat(oldMaster.infoMap("replication")).containsEntry("role", "slave")
                        .containsEntry("master_port", Integer.toString(sentinel.currentMaster().port()));
            }
        }
    }

    @Test
    void killingTheMasterPromotesAReplica() {
        try (RedisSentinelProcess sentinel = RedisSentinelProcess.builder().replicas(2).start()) {
            RedisServerProcess initialMaster = sentinel.currentMasterNode();
            assertThat(sentinel.replicaNodes()).hasSize(2);
            try (RespClient master = sentinel.masterClient()) {
                master.set("k", "v");
            }
            sentinel.awaitReplication();

            RedisSentinelProcess.Address promoted = sentinel.killMaster();

            assertThat(initialMaster.isRunning()).isFalse();
            assertThat(promoted.port()).isNotEqualTo(initialMaster.port());
            assertThat(sentinel.replicaNodes()).hasSize(1);
            try (RespClient master = sentinel.masterClient()) {
                assertThat(master.infoMap("replication")).containsEntry("role", "master");
                assertThat(master.getString("k")).isEqualTo("v");
            }

            RedisClient client = RedisClient.create(resources, RedisURI.create(sentinel.sentinelUri()));
            try (StatefulRedisConnection<String, String> connection = client.connect()) {
                assertThat(connection.sync().get("k")).isEqualTo("v");
            } finally {
                client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            }
        }
    }
}
