package io.redcompress.connect.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import org.apache.kafka.connect.errors.ConnectException;
import org.junit.jupiter.api.Test;

import io.redcompress.connect.config.RedisSinkConfig;
import io.redcompress.connect.mapping.RecordId;
import io.redcompress.connect.mapping.RedisWrite;
import io.redcompress.connect.testing.RedisServerProcess;
import io.redcompress.connect.testing.RespClient;

/** The sender as a task starts it, against a real redis-server. */
class LettuceWriteSenderTest {

    private static final byte[] SAMPLE = "t:sample".getBytes(StandardCharsets.UTF_8);

    @Test
    void aTaskStartBuildsOneClientAndTasksShareLettucesThreads() throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.builder().start()) {
            RedisSinkConfig config = new RedisSinkConfig(Map.of("redis.uri", redis.uri()));
            int usersBefore = RedisClientFactory.clientsUsingSharedResources();
            long createdBefore = RedisClientFactory.clientsCreated();
            try (LettuceWriteSender first = LettuceWriteSender.connectChecked(config, SAMPLE, "t:*");
                 LettuceWriteSender second = LettuceWriteSender.connectChecked(config, SAMPLE, "t:*")) {
                assertThat(RedisClientFactory.clientsCreated() - createdBefore).as("the checks' client writes too").isEqualTo(2);
                assertThat(RedisClientFactory.clientsUsingSharedResources() - usersBefore).isEqualTo(2);
                RecordId id = new RecordId("t", 0, 0);
                assertThat(first.send(List.of(new RedisWrite.SetValue(id, "k".getBytes(StandardCharsets.UTF_8),
                        new byte[] {(byte) 0xF5, 0, 0}, 0, 0))).toCompletableFuture().get())
                        .singleElement().satisfies(r -> assertThat(r.isAcknowledged()).isTrue());
                try (RespClient client = redis.client()) {
                    assertThat(client.get("k")).containsExactly(0xF5 - 256, 0, 0);
                }
            }
            assertThat(RedisClientFactory.clientsUsingSharedResources()).as("released with the last client").isEqualTo(usersBefore);
        }
    }

    @Test
    void aCheckThatFailsLeavesNoClientBehindAndNamesTheKey() {
        try (RedisServerProcess redis = RedisServerProcess.builder().start();
             RespClient admin = redis.client()) {
            admin.command("ACL", "SETUSER", "devices", "on", ">pw", "~device:*", "+@all");
            int usersBefore = RedisClientFactory.clientsUsingSharedResources();
            RedisSinkConfig config = new RedisSinkConfig(Map.of("redis.uri", redis.uri(), "redis.username", "devices",
                    "redis.password", "pw", "key.template", "t:${key}"));
            assertThatThrownBy(() -> LettuceWriteSender.connectChecked(config, SAMPLE, "t:*"))
                    .isInstanceOf(ConnectException.class).hasMessageContaining("(config key: key.template)");
            assertThat(RedisClientFactory.clientsUsingSharedResources()).isEqualTo(usersBefore);
        }
    }
}
